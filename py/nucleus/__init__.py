"""Nucleus: an embeddable, tamper-evident, append-only ledger.

    import nucleus
    with nucleus.Ledger.open("my-ledger", nucleus.SqliteStorage("ledger.db")) as ledger:
        h = ledger.append({"id": "r1", "stream": "events", "payload": {"n": 1}})
        ledger.verify()

Everything public is re-exported here; modules whose names start with ``_`` are not public.
"""

from ._acl import AccessControl, ledger_resource
from ._builtin_modules import AssetModule, ProofModule
from ._canonical import MAX_SAFE_INTEGER, canonicalize
from ._checkpoint import Checkpoint
from ._context import RequestContext, is_valid_oid
from ._entry import Entry
from ._errors import (
    ERROR_CODES,
    AccessDenied,
    ArgumentError,
    ChainIntegrityError,
    ConfigError,
    ContextError,
    LedgerClosed,
    LedgerFull,
    LedgerLocked,
    LedgerMismatch,
    ModuleRejected,
    NucleusError,
    ProofInvalid,
    SignatureInvalid,
    StorageError,
    StorageUnsupported,
    ValidationError,
)
from ._hashing import ENTRY_FORMAT_TAG, FORMAT_VERSION, entry_hash, entry_preimage
from ._ledger import Ledger
from ._modules import Module, ModuleRegistry, ModuleState
from ._note import NoteVerdict, generate_key, sign_note, verify_note
from ._options import LedgerOptions

# Merkle proofs (issue 10): standalone verification, no ledger or storage needed.
from ._proofs import verify_consistency, verify_inclusion
from ._query import QueryResult
from ._records import MAX_ID_LENGTH, MAX_RECORD_BYTES, MAX_STREAM_LENGTH
from ._upgrade import upgrade_file
from .storage import MemoryStorage, PostgresStorage, SqliteStorage, Storage

__version__ = "0.1.0"

__all__ = [
    "ENTRY_FORMAT_TAG",
    "ERROR_CODES",
    "FORMAT_VERSION",
    "MAX_ID_LENGTH",
    "MAX_RECORD_BYTES",
    "MAX_SAFE_INTEGER",
    "MAX_STREAM_LENGTH",
    "AccessControl",
    "AccessDenied",
    "ArgumentError",
    "AssetModule",
    "ChainIntegrityError",
    "Checkpoint",
    "ConfigError",
    "ContextError",
    "Entry",
    "Ledger",
    "LedgerClosed",
    "LedgerFull",
    "LedgerLocked",
    "LedgerMismatch",
    "LedgerOptions",
    "MemoryStorage",
    "Module",
    "ModuleRegistry",
    "ModuleRejected",
    "ModuleState",
    "NoteVerdict",
    "NucleusError",
    "PostgresStorage",
    "ProofInvalid",
    "ProofModule",
    "QueryResult",
    "RequestContext",
    "SignatureInvalid",
    "SqliteStorage",
    "Storage",
    "StorageError",
    "StorageUnsupported",
    "ValidationError",
    "__version__",
    "canonicalize",
    "entry_hash",
    "entry_preimage",
    "generate_key",
    "is_valid_oid",
    "ledger_resource",
    "sign_note",
    "upgrade_file",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
]
