"""Storage backends: ``MemoryStorage`` and ``SqliteStorage``, behind the ``Storage`` protocol."""

from ._protocol import LedgerMeta, Storage
from .memory import MemoryStorage
from .sqlite import SqliteStorage

__all__ = ["LedgerMeta", "MemoryStorage", "SqliteStorage", "Storage"]
