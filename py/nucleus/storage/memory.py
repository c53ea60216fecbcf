"""In-memory storage: dicts and lists, gone with the process."""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Sequence
from typing import Any

from .._entry import Entry
from .._errors import LedgerMismatch, StorageError
from .._hashing import FORMAT_VERSION
from .._query import RESERVED_PREFIX, QuerySpec
from .._tree import TreeNode, is_stored_level
from ._protocol import LedgerMeta, StoredRow


def matches(entry: Entry, spec: QuerySpec) -> bool:
    """Whether ``entry`` satisfies every filter of ``spec`` (the reference semantics of a query)."""
    if spec.stream is not None and entry.stream != spec.stream:
        return False
    if spec.end is not None and entry.seq >= spec.end:
        return False
    if not spec.includes_reserved and entry.stream.startswith(RESERVED_PREFIX):
        return False
    if spec.record_id is not None and entry.record_id != spec.record_id:
        return False
    if spec.timestamp_from is not None and entry.timestamp < spec.timestamp_from:
        return False
    if spec.timestamp_to is not None and entry.timestamp > spec.timestamp_to:
        return False
    if spec.conditions:
        payload = json.loads(entry.record_json)["payload"]
        if type(payload) is not dict:
            return False
        for field, value in spec.conditions:
            if field not in payload or payload[field] != value or type(payload[field]) is not type(value):
                return False
    return True


class MemoryStorage:
    """Keeps entries in a list with hash and id indexes. ``has_storage()`` is False."""

    persistent = False
    read_only = False
    tree_kept = True

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._by_hash: dict[str, int] = {}
        self._seqs_by_id: dict[str, list[int]] = {}
        self._meta: LedgerMeta | None = None
        self._tree: dict[int, list[bytes]] = {}
        # field → (entries indexed so far, {(type, value): seqs}): built by the first query on the field, extended by
        # later ones, so that appends pay nothing for it
        self._by_field: dict[str, tuple[int, dict[tuple[type, Any], list[int]]]] = {}

    def open(self, ledger_id: str, *, create: bool = True) -> LedgerMeta:
        if self._meta is None:
            self._meta = LedgerMeta(ledger_id, FORMAT_VERSION)
        elif self._meta.ledger_id != ledger_id:
            raise LedgerMismatch(
                f"this MemoryStorage holds ledger {self._meta.ledger_id!r}, not {ledger_id!r}",
                details={"reason": "other_ledger", "found": self._meta.ledger_id},
            )
        return self._meta

    def tip(self) -> Entry | None:
        return self._entries[-1] if self._entries else None

    def count(self) -> int:
        return len(self._entries)

    def append(self, entries: Sequence[Entry], nodes: Sequence[TreeNode] = ()) -> None:
        next_idx = {level: len(kept) for level, kept in self._tree.items()}
        for level, idx, _h in nodes:
            if idx != next_idx.get(level, 0):
                raise StorageError(f"tree node ({level}, {idx}) does not follow the stored nodes of its level")
            next_idx[level] = idx + 1
        start = len(self._entries)
        seen: set[str] = set()
        for offset, entry in enumerate(entries):
            if entry.seq != start + offset:
                raise StorageError(f"entry seq {entry.seq} does not follow {start + offset - 1}")
            if entry.hash in self._by_hash or entry.hash in seen:
                raise StorageError(f"an entry with hash {entry.hash} exists already")
            seen.add(entry.hash)
        for entry in entries:
            self._by_hash[entry.hash] = entry.seq
            if not entry.stream.startswith(RESERVED_PREFIX):
                self._seqs_by_id.setdefault(entry.record_id, []).append(entry.seq)
            self._entries.append(entry)
        for level, _idx, h in nodes:
            self._tree.setdefault(level, []).append(h)

    def entry_hashes(self, start: int, end: int) -> list[str]:
        return [e.hash for e in self._entries[max(start, 0) : max(end, 0)]]

    def tree_nodes(self, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        start = max(start, 0)
        return list(enumerate(self._tree.get(level, [])[start : max(end, start)], start))

    def tree_extra(self, size: int) -> tuple[int, int] | None:
        for level in sorted(self._tree):
            complete = size >> level if is_stored_level(level) else 0
            if len(self._tree[level]) > complete:
                return level, complete
        return None

    def get(self, entry_hash: str, end: int) -> Entry | None:
        seq = self._by_hash.get(entry_hash)
        return None if seq is None or seq >= end else self._entries[seq]

    def latest_by_id(self, record_id: str, end: int) -> Entry | None:
        seqs = self._seqs_by_id.get(record_id, [])
        below = bisect.bisect_left(seqs, end)  # seqs ascend: the last one below end
        return self._entries[seqs[below - 1]] if below else None

    def _field_seqs(self, field: str, value: Any) -> list[int]:
        """The seqs of the entries whose payload has ``field`` equal to ``value``, of its type, in seq order."""
        done, index = self._by_field.get(field, (0, {}))
        key = f'"{field}":'  # in the canonical text of every record whose payload has the field
        for entry in self._entries[done:]:
            if key in entry.record_json:
                payload = json.loads(entry.record_json)["payload"]
                if type(payload) is dict and type(payload.get(field)) in (str, int, bool):
                    index.setdefault((type(payload[field]), payload[field]), []).append(entry.seq)
        self._by_field[field] = (len(self._entries), index)
        return index.get((type(value), value), [])

    def query(self, spec: QuerySpec) -> tuple[list[Entry], int]:
        if spec.conditions:
            seqs = self._field_seqs(*spec.conditions[0])
            candidates = [self._entries[seq] for seq in seqs]
            source = reversed(candidates) if spec.descending else iter(candidates)
            hits = [e for e in source if matches(e, spec)]
            return hits[spec.offset : spec.offset + spec.limit], len(hits)
        source = reversed(self._entries) if spec.descending else iter(self._entries)
        hits = [e for e in source if matches(e, spec)]
        return hits[spec.offset : spec.offset + spec.limit], len(hits)

    def rows(self, start_seq: int = 0) -> Iterator[StoredRow]:
        for e in self._entries[start_seq:]:
            yield e.seq, e.hash, e.prev_hash, e.record_id, e.stream, e.timestamp, e.record_json.encode("utf-8")

    def entries(self, start_seq: int = 0) -> Iterator[Entry]:
        yield from self._entries[start_seq:]

    def recheck(self) -> None:
        pass  # nothing outside the entries to drift

    def legacy_acl(self) -> tuple[str | None, list[dict[str, Any]]]:
        return None, []

    def close(self) -> None:
        pass
