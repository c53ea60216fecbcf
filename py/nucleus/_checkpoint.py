"""Checkpoints: ``{origin, size, root, hash}`` a user keeps elsewhere to detect truncation, rollback and forks, and
to check Merkle proofs against. docs/FORMAT.md §4b is the specification.

A chain proves that nothing inside it changed; it cannot prove that nothing was cut off its end or that it was not
rebuilt from an earlier point. A checkpoint can: entry ``size - 1`` of the ledger must still have ``hash``, and the
Merkle tree of the first ``size`` entries must still have ``root``. Its text form is a C2SP tlog-checkpoint note
body (origin, size, base64 root, then the extension line ``chain <hash>`` when ``size > 0``), parsed strictly.
The legacy ``{size, hash}`` and ``nucleus checkpoint v1\\n<size>\\n<hash>\\n`` are still taken in (root unchecked).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from ._canonical import MAX_SAFE_INTEGER
from ._errors import ArgumentError

_HASH = re.compile(r"[0-9a-f]{64}")
_SIZE = re.compile(r"0|[1-9][0-9]*")
_ORIGIN = re.compile(r"nucleus/[A-Za-z0-9][A-Za-z0-9._~:@-]{0,127}")
_LEGACY_HEADER = "nucleus checkpoint v1"
ORIGIN_PREFIX = "nucleus/"


def encode_hash(raw: bytes) -> str:
    """A Merkle hash as JSON and text carry it: standard base64 with padding (44 characters)."""
    return base64.b64encode(raw).decode("ascii")


def decode_hash(text: Any, what: str) -> bytes:
    """The 32 bytes of a base64 Merkle hash; ``INVALID_ARGUMENT`` unless it is exactly ``encode_hash`` of them."""
    if type(text) is str and len(text) == 44:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 32 and encode_hash(raw) == text:
            return raw
    raise ArgumentError(f"{what} must be a SHA-256 hash in base64 (44 characters), got {text!r}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The ledger ``origin`` names had ``size`` entries, the last one had ``hash``, and their Merkle tree had
    ``root`` (base64). ``origin`` and ``root`` are None only for a legacy checkpoint taken in."""

    size: int
    hash: str | None
    origin: str | None = None
    root: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{origin, size, root, hash}`` (a legacy checkpoint: ``{size, hash}``)."""
        if self.origin is None or self.root is None:
            return {"size": self.size, "hash": self.hash}
        return {"origin": self.origin, "size": self.size, "root": self.root, "hash": self.hash}

    def to_text(self) -> str:
        """The C2SP tlog-checkpoint note body (a legacy checkpoint: its legacy text)."""
        if self.origin is None or self.root is None:
            return f"{_LEGACY_HEADER}\n{self.size}\n{self.hash or ''}\n"
        chain = f"chain {self.hash}\n" if self.hash is not None else ""
        return f"{self.origin}\n{self.size}\n{self.root}\n{chain}"

    @classmethod
    def parse(cls, value: Any) -> Checkpoint:
        """A checkpoint from its dict, its text form (either, new or legacy), or itself; ``INVALID_ARGUMENT`` when
        malformed."""
        if isinstance(value, Checkpoint):
            return value
        if isinstance(value, str):
            value = _parse_text(value)
        if type(value) is not dict or set(value) not in ({"size", "hash"}, {"origin", "size", "root", "hash"}):
            raise ArgumentError(
                f"a checkpoint is {{origin, size, root, hash}} (or legacy {{size, hash}}), got {value!r}"
            )
        size, h = value["size"], value["hash"]
        if type(size) is not int or not 0 <= size <= MAX_SAFE_INTEGER:  # JavaScript's exact integers, as in TS
            raise ArgumentError(f"checkpoint size must be an integer in 0…2^53-1, got {size!r}")
        if (size == 0) != (h is None) or (h is not None and (type(h) is not str or not _HASH.fullmatch(h))):
            raise ArgumentError(f"checkpoint hash must be 64 lowercase hex digits (null for size 0), got {h!r}")
        if "origin" not in value:
            return cls(size, h)
        origin = value["origin"]
        if type(origin) is not str or not _ORIGIN.fullmatch(origin):
            raise ArgumentError(f"checkpoint origin must be 'nucleus/<ledger id>', got {origin!r}")
        decode_hash(value["root"], "checkpoint root")
        return cls(size, h, origin, value["root"])


def _parse_text(text: str) -> dict[str, Any]:
    lines = text.split("\n")
    if lines[0] == _LEGACY_HEADER:
        if len(lines) != 4 or lines[3] != "" or not _SIZE.fullmatch(lines[1]):
            raise ArgumentError("legacy checkpoint text must be 'nucleus checkpoint v1\\n<size>\\n<hash>\\n'")
        return {"size": int(lines[1]), "hash": lines[2] or None}
    if len(lines) not in (4, 5) or lines[-1] != "" or not _SIZE.fullmatch(lines[1]):
        raise ArgumentError(
            "checkpoint text must be '<origin>\\n<size>\\n<root>\\n' and, when size > 0, 'chain <hash>\\n'"
        )
    size = int(lines[1])
    if (len(lines) == 5) != (size > 0) or (size > 0 and not lines[3].startswith("chain ")):
        raise ArgumentError("checkpoint text has the line 'chain <hash>' exactly when its size is above 0")
    return {"origin": lines[0], "size": size, "root": lines[2], "hash": lines[3][6:] if size else None}
