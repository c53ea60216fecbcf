"""The one error hierarchy of Nucleus. Not public: import the names from ``nucleus``.

Every error carries a stable string ``code`` (the table below is the single source of the codes; the
TypeScript package checks its own table against it) and a JSON-safe ``details`` dict.
"""

from __future__ import annotations

from typing import Any

ERROR_CODES: dict[str, str] = {
    "INVALID_RECORD": "a record is malformed or holds a value JSON/RFC 8785 cannot represent",
    "INVALID_CONFIG": "ledger or module configuration is wrong",
    "INVALID_CONTEXT": "a request context is missing a valid requesterOid or has a bad timestamp",
    "INVALID_ARGUMENT": "an argument of an API call (query filter, hash, export text) is wrong",
    "ACCESS_DENIED": "access control refused the operation",
    "MODULE_REJECTED": "a module's before_append hook refused the record",
    "CHAIN_INVALID": "the hash chain is broken (details name the first bad seq and what broke)",
    "STORAGE_ERROR": "the storage backend failed (I/O, full or read-only disk, not a ledger file)",
    "STORAGE_UNSUPPORTED": "this storage is not available on this platform",
    "LEDGER_LOCKED": "another process holds the ledger's file lock",
    "LEDGER_CLOSED": "the ledger was closed",
    "LEDGER_MISMATCH": "the database or export belongs to another ledger, or to a newer format",
    "LEDGER_FULL": "the ledger reached its configured maxEntries",
    "PROOF_INVALID": "a Merkle proof or checkpoint does not verify (details.reason says which check failed)",
    "SIGNATURE_INVALID": "a signed note lacks enough valid signatures from trusted keys, or is malformed",
}


class NucleusError(Exception):
    """Base of every Nucleus error. ``code`` is stable; ``details`` is JSON-safe."""

    code = "STORAGE_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        if self.code not in ERROR_CODES:  # pragma: no cover - programming error
            raise ValueError(f"unknown error code {self.code!r}")
        self.message = message
        self.details: dict[str, Any] = details or {}

    def to_json(self) -> dict[str, Any]:
        """The error as plain data, as it crosses the JS boundary."""
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationError(NucleusError):
    """A record or another input value is invalid (``INVALID_RECORD`` unless told otherwise)."""

    code = "INVALID_RECORD"


class ConfigError(NucleusError):
    """Ledger, storage or module configuration is wrong."""

    code = "INVALID_CONFIG"


class ArgumentError(NucleusError):
    """An API argument other than a record is wrong."""

    code = "INVALID_ARGUMENT"


class ContextError(NucleusError):
    """A request context is missing or malformed."""

    code = "INVALID_CONTEXT"


class AccessDenied(NucleusError):
    """Access control refused the operation."""

    code = "ACCESS_DENIED"


class ModuleRejected(NucleusError):
    """A module's ``before_append`` hook refused a record."""

    code = "MODULE_REJECTED"


class ChainIntegrityError(NucleusError):
    """The chain does not verify. ``report`` names the first bad seq and what broke."""

    code = "CHAIN_INVALID"

    def __init__(self, message: str, *, seq: int, kind: str):
        super().__init__(message, details={"seq": seq, "kind": kind, "message": message})
        self.seq = seq
        self.kind = kind

    @property
    def report(self) -> dict[str, Any]:
        """``{"seq", "kind", "message"}``: where the chain first breaks and how."""
        return dict(self.details)


class StorageError(NucleusError):
    """The storage backend failed; nothing was changed."""

    code = "STORAGE_ERROR"


class StorageUnsupported(NucleusError):
    """The requested storage does not exist on this platform."""

    code = "STORAGE_UNSUPPORTED"


class LedgerLocked(NucleusError):
    """Another process holds the ledger file's lock."""

    code = "LEDGER_LOCKED"


class LedgerClosed(NucleusError):
    """The ledger was closed."""

    code = "LEDGER_CLOSED"


class LedgerMismatch(NucleusError):
    """The storage or export belongs to another ledger or a newer format."""

    code = "LEDGER_MISMATCH"


class LedgerFull(NucleusError):
    """The ledger reached ``max_entries``."""

    code = "LEDGER_FULL"


class ProofInvalid(NucleusError):
    """A Merkle inclusion or consistency proof, or a checkpoint, does not verify."""

    code = "PROOF_INVALID"


class SignatureInvalid(NucleusError):
    """A signed note is malformed or lacks enough valid signatures from trusted keys."""

    code = "SIGNATURE_INVALID"
