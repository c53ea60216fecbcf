"""The storage protocol every backend implements. Not public (``nucleus.Storage`` re-exports it).

Transaction semantics: ``append`` writes all of its entries or none of them, and a reader never sees
a partial batch. A backend never overwrites an entry: a ``seq`` or ``hash`` that exists already is an
error (``STORAGE_ERROR``) and leaves storage unchanged. ``nucleus.testing.check_storage`` is the
conformance suite a new backend must pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .._entry import Entry
from .._query import QuerySpec

# (seq, hash, prev_hash, timestamp, canonical record bytes): what the verifier reads, fast.
RawRow = tuple[int, str, "str | None", int, bytes]


@dataclass(frozen=True, slots=True)
class LedgerMeta:
    """What a backend remembers about its ledger besides the entries."""

    ledger_id: str
    owner: str | None


class Storage(Protocol):
    """A place to keep one ledger's entries and access grants."""

    persistent: bool
    """True when entries survive the process (``has_storage()``)."""

    def open(self, ledger_id: str, owner: str | None) -> LedgerMeta:
        """Create or migrate the store for ``ledger_id``; ``LEDGER_MISMATCH`` if it holds another ledger."""
        ...

    def tip(self) -> Entry | None:
        """The last entry, or None when empty."""
        ...

    def count(self) -> int:
        """The number of entries."""
        ...

    def append(self, entries: Sequence[Entry]) -> None:
        """Write ``entries`` (consecutive, after the tip) atomically and durably."""
        ...

    def get(self, entry_hash: str) -> Entry | None:
        """The entry with this hash."""
        ...

    def latest_by_id(self, record_id: str) -> Entry | None:
        """The entry with the highest seq whose record has this id."""
        ...

    def query(self, spec: QuerySpec) -> tuple[list[Entry], int]:
        """One page of matching entries in seq order, and the total number of matches."""
        ...

    def rows(self, start_seq: int = 0) -> Iterator[RawRow]:
        """Every entry from ``start_seq`` in seq order, as the verifier reads them."""
        ...

    def entries(self, start_seq: int = 0) -> Iterator[Entry]:
        """Every entry from ``start_seq`` in seq order."""
        ...

    def first_inconsistent_index(self) -> int | None:
        """The first seq whose index columns disagree with its record, or None."""
        ...

    def put_grant(self, grant: dict[str, Any]) -> None:
        """Insert or replace the grant keyed by (subjectOid, resourceOid, action)."""
        ...

    def remove_grant(self, subject: str, resource: str, action: str) -> bool:
        """Remove a grant; whether one existed."""
        ...

    def grants_for(self, subject: str) -> list[dict[str, Any]]:
        """Every grant held by ``subject``."""
        ...

    def close(self) -> None:
        """Release files and locks. Idempotent."""
        ...
