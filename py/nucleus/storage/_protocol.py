"""The storage protocol every backend implements. Not public (``nucleus.Storage`` re-exports it).

Transaction semantics: ``append`` writes all of its entries or none of them, and a reader never sees
a partial batch. A backend never overwrites an entry: a ``seq`` or ``hash`` that exists already is an
error (``STORAGE_ERROR``) and leaves storage unchanged. ``nucleus.testing.check_storage`` is the
conformance suite a new backend must pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .._entry import Entry
from .._query import QuerySpec
from .._stored import StoredRow
from .._tree import TreeNode

__all__ = ["Head", "IndexingStorage", "LedgerMeta", "SharedStorage", "Storage", "StoredRow", "TreeNode"]


@dataclass(frozen=True, slots=True)
class LedgerMeta:
    """What a backend knows about its ledger besides the entries: its id and the format its entries are hashed
    in (docs/FORMAT.md §7). Everything else (owner, grants) is in the chain."""

    ledger_id: str
    format_version: int


@dataclass(frozen=True, slots=True)
class Head:
    """Where a shared store says its ledger ends: the number of entries and the last one's hash (None when empty).
    Written in the same transaction as the entries, so a verified chain must end exactly there."""

    size: int
    hash: str | None


class Storage(Protocol):
    """A place to keep one ledger's entries."""

    persistent: bool
    """True when entries survive the process (``has_storage()``)."""

    read_only: bool
    """True when this store refuses writes (``append`` raises ``STORAGE_ERROR``)."""

    def open(self, ledger_id: str, *, create: bool = True) -> LedgerMeta:
        """Open the store of ``ledger_id``, creating it (durably) when new and ``create`` is true;
        ``STORAGE_ERROR`` with reason ``missing`` when new and ``create`` is false, ``LEDGER_MISMATCH`` if it
        holds another ledger. Creation writes nothing but the empty schema."""
        ...

    def tip(self) -> Entry | None:
        """The last entry, or None when empty."""
        ...

    def count(self) -> int:
        """The number of entries."""
        ...

    tree_kept: bool
    """True when this store keeps the Merkle tree's stored levels (docs/FORMAT.md §9); False only for a file
    written before the tree and opened read-only, whose tree the ledger then builds in memory. Set by ``open``."""

    def append(self, entries: Sequence[Entry], nodes: Sequence[TreeNode] = ()) -> None:
        """Write ``entries`` (consecutive, after the tip) and the Merkle tree ``nodes`` ``(level, idx, hash)`` they
        complete, atomically and durably. A node that exists already is an error, as an entry is."""
        ...

    def entry_hashes(self, start: int, end: int) -> list[str]:
        """The hashes of the entries with seqs ``start … end-1`` that exist, in seq order (the tree's leaves)."""
        ...

    def tree_nodes(self, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        """``(idx, hash)`` of the stored tree nodes of ``level`` with ``start <= idx < end``, in idx order."""
        ...

    def tree_extra(self, size: int) -> tuple[int, int] | None:
        """``(level, idx)`` of the first stored node (by level, then idx) that the tree of ``size`` leaves does not
        hold: a level that is not a positive multiple of 8, a negative idx, or a subtree reaching past ``size``
        (a shared store counts up to its current head when that is larger); None when there is none."""
        ...

    def get(self, entry_hash: str, end: int) -> Entry | None:
        """The entry with this hash and a seq in ``0 … end-1``."""
        ...

    def latest_by_id(self, record_id: str, end: int) -> Entry | None:
        """The entry with the highest seq below ``end`` whose record has this id, leaving out reserved streams."""
        ...

    def query(self, spec: QuerySpec) -> tuple[list[Entry], int]:
        """One page of matching entries in seq order, and the total number of matches (``spec.end`` bounds the
        seqs; reserved streams only when ``spec.includes_reserved``)."""
        ...

    def rows(self, start_seq: int = 0) -> Iterator[StoredRow]:
        """Every stored row from ``start_seq`` in seq order, as the verifier reads them; from 0 it includes
        any row with a negative seq, so that verification sees every row there is."""
        ...

    def entries(self, start_seq: int = 0) -> Iterator[Entry]:
        """Every entry from ``start_seq`` in seq order."""
        ...

    def recheck(self) -> None:
        """Re-read what ``open`` checked besides the entries (a file's ledger id and format), with its errors."""
        ...

    def legacy_acl(self) -> tuple[str | None, list[dict[str, Any]]]:
        """A format-1 store's owner and grants, kept beside its chain; ``(None, [])`` for format 2."""
        ...

    def close(self) -> None:
        """Release files and locks. Idempotent."""
        ...


class IndexingStorage(Storage, Protocol):
    """A store that indexes the payload fields modules filter on (``Module.filter_fields``). Optional: a store without
    ``index_payload_fields`` answers the same queries by reading every entry.

    An index is derived from the entries, so it is never trusted as it is found: before its first use by a query, a
    store checks (or rebuilds) it against the stored entries, and a query re-tests every condition on the entry it
    returns, so that a tampered index can neither add nor hide a match."""

    def index_payload_fields(self, fields: Sequence[str]) -> None:
        """Keep an index on each payload field of ``fields`` (names matching ``FIELD_NAME``), created and filled in
        one transaction when missing; called by ``Ledger.open`` after verification, never on a read-only store."""
        ...


# Builds the entries to write once the ledger has taken in what other writers appended (see ``append_after``), with
# the Merkle tree nodes they complete.
BuildEntries = Callable[[Head, Iterator[StoredRow]], tuple[Sequence[Entry], Sequence[TreeNode]]]


class SharedStorage(Storage, Protocol):
    """A store that other processes append to at the same time (``PostgresStorage``), marked by ``shared = True``.

    The ledger then never trusts the tip it knows: before its own appends, and before reads, it takes in what the
    others committed since, verifying those rows as opening does (``Ledger._catch_up``). Appends go through
    ``append_after`` instead of ``append``."""

    shared: bool
    """True: other writers may append to this ledger at any time."""

    def snapshot(self, start_seq: int) -> tuple[Head, Iterator[StoredRow]]:
        """The ledger's head and its rows from ``start_seq`` on (as ``rows``), read from one consistent snapshot of
        the store, so that the rows must end exactly at the head."""
        ...

    def append_after(self, size: int, build: BuildEntries) -> Sequence[Entry]:
        """One write transaction holding the ledger's write lock (its head): ``build(head, rows)`` gets the locked
        head and the rows from seq ``size`` up to it (what other writers committed after the caller's tip of
        ``size`` entries), and returns the entries to write after them and the tree nodes they complete, which are
        written and committed, durably, before this returns the entries. Whatever ``build`` raises rolls the
        transaction back and propagates; an empty result writes nothing. Writers of one ledger are serialized;
        ledgers never wait for each other."""
        ...
