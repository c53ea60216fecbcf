"""The ledger's Merkle tree as the engine keeps it: the right edge in memory, complete subtrees in storage. Not
public. docs/FORMAT.md §9 is its specification.

Storage keeps the root of every complete subtree at the levels that are positive multiples of 8 (``STEP``): node
``(level, idx)`` is the root of leaves ``idx * 2**level … (idx + 1) * 2**level - 1``, a row once all of them exist.
Level 0 (the leaf hashes) is the entries' hash column. Any other complete subtree is folded from at most 128 nodes
one stored level below (``TreeReader``), so a root or a proof takes a few range reads per 8 levels: O(log n).

The right edge (``Frontier``: the complete subtrees of the binary decomposition of the size) lives in the engine,
so appending hashes only the new leaves and the nodes they complete, level by level, each level one batch for the
host's SHA-256 when it lent one (``_host``).
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ._errors import ChainIntegrityError
from ._host import lent
from ._merkle import EMPTY_ROOT, node_hash

STEP = 8
#: A stored node: ``(level, idx, hash)``.
TreeNode = tuple[int, int, bytes]
# Below this many preimages a host call costs more than it saves.
_HOST_MIN = 32
_sha256 = hashlib.sha256


class TreeSource(Protocol):
    """Where the tree's stored levels are read from: the storage, or a tree built in memory."""

    def entry_hashes(self, start: int, end: int) -> list[str]:
        """The entry hashes of seqs ``start … end-1`` that exist, in seq order."""
        ...

    def tree_nodes(self, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        """``(idx, hash)`` of the stored nodes of ``level`` with ``start <= idx < end``, in idx order."""
        ...


def is_stored_level(level: int) -> bool:
    return level > 0 and level % STEP == 0


def _pieces(blob: bytes, size: int) -> tuple[bytes, ...]:
    """``blob`` cut into ``size``-byte pieces, in C (``struct``): a Python loop over them costs more under Pyodide
    than hashing them."""
    return struct.unpack(f"{size}s" * (len(blob) // size), blob)


def _hashed(prefix: bytes, blob: bytes, size: int) -> bytes:
    """The SHA-256 digests (concatenated) of ``prefix`` + each ``size``-byte piece of ``blob``. Whole levels go
    through here: one host call when the host lent its SHA-256 (``_host``), else hashlib piece by piece."""
    pieces = _pieces(blob, size)
    host = lent().sha256_hex
    if host is not None and len(pieces) >= _HOST_MIN:
        # prefix + p0 + prefix + p1 ...: one buffer, and the lengths of its pieces
        return bytes.fromhex(host(prefix + prefix.join(pieces), array("I", [size + 1]) * len(pieces)))
    return b"".join([_sha256(prefix + p).digest() for p in pieces])


def leaf_blob(entry_hashes: Sequence[str]) -> bytes:
    """The RFC 9162 leaf hashes of entries, concatenated: SHA-256(0x00 || the 32 bytes of each entry hash)."""
    return _hashed(b"\x00", bytes.fromhex("".join(entry_hashes)), 32)


def leaf_hashes(entry_hashes: Sequence[str]) -> list[bytes]:
    """The RFC 9162 leaf hashes of entries, one by one."""
    return list(_pieces(leaf_blob(entry_hashes), 32))


@dataclass(frozen=True, slots=True)
class Frontier:
    """The tree of ``size`` leaves as its right edge: ``nodes[level]`` is the root of the complete subtree of
    ``2**level`` leaves that the binary decomposition of ``size`` holds at that level (bit ``level`` set)."""

    size: int = 0
    nodes: dict[int, bytes] = field(default_factory=dict)

    def root(self) -> bytes:
        """MTH of the ``size`` leaves: the decomposition folded right to left."""
        acc: bytes | None = None
        for level in sorted(self.nodes):
            acc = self.nodes[level] if acc is None else node_hash(self.nodes[level], acc)
        return EMPTY_ROOT if acc is None else acc

    def extended(self, entry_hashes: Sequence[str]) -> tuple[Frontier, list[TreeNode]]:
        """The frontier after appending leaves for ``entry_hashes``, and the stored-level nodes they complete.
        Each level is one blob of 32-byte nodes, hashed pairwise into the next (``_hashed``)."""
        old, new = self.size, self.size + len(entry_hashes)
        level_blob = leaf_blob(entry_hashes)
        edge = dict(self.nodes)
        completed: list[TreeNode] = []
        level = 0
        while level_blob:
            first = old >> level  # the index of the blob's first node
            if first & 1:  # its left sibling is the old edge's node at this level
                level_blob = self.nodes[level] + level_blob
                first -= 1
            count = len(level_blob) // 32
            if is_stored_level(level):
                completed.extend(
                    (level, idx, level_blob[32 * (idx - first) : 32 * (idx - first + 1)])
                    for idx in range(old >> level, first + count)
                )
            if count & 1:
                edge[level] = level_blob[-32:]
            else:
                edge.pop(level, None)
            level_blob = _hashed(b"\x01", level_blob[: 64 * (count // 2)], 64)
            level += 1
        return Frontier(new, edge), completed


def tree_fault(level: int, idx: int, what: str) -> ChainIntegrityError:
    """``CHAIN_INVALID`` (kind ``tree``) about stored node ``(level, idx)``, at the first seq it covers."""
    seq = idx << level if 0 <= level < 64 and idx >= 0 else 0
    return ChainIntegrityError(
        f"the stored Merkle tree node at level {level}, index {idx} (from entry {seq}) {what}", seq=seq, kind="tree"
    )


class TreeReader:
    """Roots of subtrees of the first ``size`` leaves, read from ``source`` (and the frontier of that size when
    known) and folded; read blocks and folded nodes are kept for the reader's life (one proof or one open)."""

    def __init__(self, source: TreeSource, frontier: Frontier | None = None):
        self._source = source
        self._memo: dict[tuple[int, int], bytes] = {}
        if frontier is not None:
            for level, h in frontier.nodes.items():
                self._memo[(level, (frontier.size >> level) - 1)] = h

    def node(self, level: int, idx: int) -> bytes:
        """The root of the complete subtree ``(level, idx)``."""
        key = (level, idx)
        h = self._memo.get(key)
        if h is not None:
            return h
        if level % STEP == 0:
            self._read_block(level, idx)
            h = self._memo.get(key)
            if h is None:
                raise tree_fault(level, idx, "is missing")
            return h
        h = node_hash(self.node(level - 1, 2 * idx), self.node(level - 1, 2 * idx + 1))
        self._memo[key] = h
        return h

    def _read_block(self, level: int, idx: int) -> None:
        low = idx - idx % (1 << STEP)
        high = low + (1 << STEP)
        if level == 0:
            hashes = self._source.entry_hashes(low, high)
            self._memo.update(zip(((0, i) for i in range(low, high)), leaf_hashes(hashes), strict=False))
        else:
            self._memo.update(((level, i), h) for i, h in self._source.tree_nodes(level, low, high))

    def subtree(self, start: int, end: int) -> bytes:
        """MTH of leaves ``start … end-1``: RFC 9162's split, down to complete subtrees (``node``)."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self.node(n.bit_length() - 1, start // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def frontier(self, size: int) -> Frontier:
        """The right edge of the tree of ``size`` leaves."""
        return Frontier(
            size, {lv: self.node(lv, (size >> lv) - 1) for lv in range(size.bit_length()) if size >> lv & 1}
        )


class MemoryTree:
    """The stored levels of a tree kept in memory, over a store that keeps none (a file written before the tree,
    opened read-only): built by the verifying walk, read like a store's."""

    def __init__(self, entries: TreeSource):
        self._entries = entries
        self._levels: dict[int, list[bytes]] = {}

    def add(self, nodes: Iterable[TreeNode]) -> None:
        for level, _idx, h in nodes:  # completed in idx order, gap-free, per level
            self._levels.setdefault(level, []).append(h)

    def entry_hashes(self, start: int, end: int) -> list[str]:
        return self._entries.entry_hashes(start, end)

    def tree_nodes(self, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        kept = self._levels.get(level, [])
        start = max(start, 0)
        return list(enumerate(kept[start:end], start))


class TreeCheck:
    """The stored tree checked against entries as a verifying walk takes them in: every node their leaves complete
    must be stored, with the hash they give (read back in range reads of up to ``_FLUSH`` nodes, so memory stays
    bounded); ``finish`` then finds any stored node the tree does not hold. Over a store that keeps no tree, the
    nodes go to a ``MemoryTree`` instead."""

    _FLUSH = 4096

    def __init__(self, source: TreeSource, frontier: Frontier | None = None, memory: MemoryTree | None = None):
        self.frontier = Frontier() if frontier is None else frontier
        self.memory = memory
        self._source = source
        self._pending: list[TreeNode] = []

    def reader(self) -> TreeReader:
        """A reader of the tree checked so far."""
        return TreeReader(self.source(), self.frontier)

    def source(self) -> TreeSource:
        return self._source if self.memory is None else self.memory

    def add(self, first_seq: int, entry_hashes: Sequence[str]) -> None:
        """Entries ``first_seq …`` (verified) with these hashes; those the frontier holds already are skipped."""
        skip = self.frontier.size - first_seq
        if skip >= len(entry_hashes):
            return
        self.frontier, nodes = self.frontier.extended(entry_hashes[max(skip, 0) :])
        if self.memory is not None:
            self.memory.add(nodes)
            return
        self._pending.extend(nodes)
        if len(self._pending) >= self._FLUSH:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        by_level: dict[int, list[TreeNode]] = {}
        for node in pending:
            by_level.setdefault(node[0], []).append(node)
        faults = []
        for level, nodes in by_level.items():
            stored = dict(self._source.tree_nodes(level, nodes[0][1], nodes[-1][1] + 1))
            for _, idx, h in nodes:
                found = stored.get(idx)
                if found != h:
                    faults.append(
                        tree_fault(level, idx, "is missing" if found is None else "does not match its leaves")
                    )
                    break
        if faults:
            raise min(faults, key=lambda f: f.details["seq"])

    def finish(self, extra: tuple[int, int] | None) -> None:
        """After the walk: flush, then refuse ``extra``, the first stored node the tree does not hold (if any)."""
        self.flush()
        if extra is not None and self.memory is None:
            raise tree_fault(*extra, f"is not a node of the tree of the ledger's {self.frontier.size} entries")
