"""Storage backends: ``MemoryStorage``, ``SqliteStorage`` and ``PostgresStorage``, behind the ``Storage`` protocol."""

from ._protocol import LedgerMeta, SharedStorage, Storage
from .memory import MemoryStorage
from .postgres import PostgresStorage
from .sqlite import SqliteStorage

__all__ = ["LedgerMeta", "MemoryStorage", "PostgresStorage", "SharedStorage", "SqliteStorage", "Storage"]
