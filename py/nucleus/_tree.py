"""The ledger's Merkle tree as the engine keeps it: the right edge in memory, complete subtrees in storage. Not
public. docs/FORMAT.md §9 is its specification.

Storage keeps the root of every complete subtree at the levels that are positive multiples of 8 (``STEP``): node
``(level, idx)`` is the root of leaves ``idx * 2**level … (idx + 1) * 2**level - 1``, a row once all of them exist.
Level 0 (the leaf hashes) is the entries' hash column. Any other complete subtree is folded from at most 128 nodes
one stored level below (``TreeReader``), so a root or a proof takes a few range reads per 8 levels: O(log n).

The right edge (``Frontier``: the complete subtrees of the binary decomposition of the size) lives in the engine,
so appending hashes only the new leaves and the nodes they complete: level by level in Python, or the whole fold in
one call to the host when it lent one (``_host.MerkleFold``).
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from collections.abc import Iterable, Iterator, Sequence
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
    host = lent().sha256_into
    if host is not None and len(pieces) >= _HOST_MIN:
        out = bytearray(32 * len(pieces))
        # prefix + p0 + prefix + p1 ...: one buffer, and the lengths of its pieces
        host(prefix + prefix.join(pieces), array("I", [size + 1]) * len(pieces), out)
        return bytes(out)
    return b"".join([_sha256(prefix + p).digest() for p in pieces])


def fold(data: bytes, first: int, edge: Sequence[bytes], *, leaves: bool = True) -> list[bytes]:
    """The levels of the tree over the 32-byte pieces of ``data`` (leaf inputs, or level-0 nodes when not
    ``leaves``) placed from index ``first`` on, as blobs of 32-byte nodes, level 0 first, up to the first empty
    level: each level starts with the next node of ``edge`` (the right edge's nodes below ``first``, lowest level
    first) when bit ``level`` of ``first`` is set, and its consecutive pairs make the next level. One host call for
    the whole fold when the host lent one (``_host.MerkleFold``), else one blob per level (``_hashed``)."""
    count = len(data) // 32
    host = lent().merkle_fold
    if host is None or count < _HOST_MIN:
        lefts = iter(edge)
        level_blob = _hashed(b"\x00", data, 32) if leaves else data
        levels = []
        while level_blob:
            if first >> len(levels) & 1:
                level_blob = next(lefts) + level_blob
            levels.append(level_blob)
            level_blob = _hashed(b"\x01", level_blob[: 64 * (len(level_blob) // 64)], 64)
        return levels
    counts = []  # nodes per level, as the host writes them
    while count:
        count += first >> len(counts) & 1
        counts.append(count)
        count //= 2
    out = bytearray(32 * sum(counts))
    host(data, first, b"".join(edge), leaves, out)
    nodes = bytes(out)
    levels, at = [], 0
    for count in counts:
        levels.append(nodes[at : at + 32 * count])
        at += 32 * count
    return levels


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
        """The frontier after appending leaves for ``entry_hashes``, and the stored-level nodes they complete."""
        old = self.size
        edge = dict(self.nodes)
        completed: list[TreeNode] = []
        leaves = bytes.fromhex("".join(entry_hashes))
        for level, blob in enumerate(fold(leaves, old, [self.nodes[lv] for lv in sorted(self.nodes)])):
            first = old >> level & ~1  # the index of the blob's first node
            count = len(blob) // 32
            if is_stored_level(level):
                completed.extend(
                    (level, idx, blob[32 * (idx - first) : 32 * (idx - first + 1)])
                    for idx in range(old >> level, first + count)
                )
            if count & 1:
                edge[level] = blob[-32:]
            else:
                edge.pop(level, None)
        return Frontier(old + len(entry_hashes), edge), completed


def nodes_of_stored_hashes(batches: Iterable[Sequence[tuple[int, object]]]) -> Iterator[list[TreeNode]]:
    """The stored-level nodes of a ledger's tree, batch by batch, from its ``(seq, hash)`` rows in seq order (a
    schema migration adding the tree to older files). Stops at the first gap or malformed hash: verification, which
    runs next, names that entry and checks the tree against the entries."""
    frontier = Frontier()
    for batch in batches:
        good: list[str] = []
        for seq, h in batch:
            if seq != frontier.size + len(good) or type(h) is not str or len(h) != 64:
                break
            good.append(h)
        try:
            frontier, nodes = frontier.extended(good)
        except ValueError:  # a hash that is not hex
            return
        yield nodes
        if len(good) < len(batch):
            return


def _is_hash(value: object) -> bool:
    return type(value) is bytes and len(value) == 32


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
        #: ``(stored level, block)`` → the levels folded up from the block's nodes (``_read_block``)
        self._blocks: dict[tuple[int, int], list[bytes]] = {}
        if frontier is not None:
            for level, h in frontier.nodes.items():
                self._memo[(level, (frontier.size >> level) - 1)] = h

    def node(self, level: int, idx: int) -> bytes:
        """The root of the complete subtree ``(level, idx)``."""
        key = (level, idx)
        h = self._memo.get(key)  # the frontier's nodes, stored nodes as read, nodes computed on demand
        if h is not None:
            return h
        base = level - level % STEP
        shift = STEP - (level - base)
        block = idx >> shift
        levels = self._blocks.get((base, block))
        if levels is None:
            levels = self._read_block(base, block)
            h = self._memo.get(key)  # a stored node that is not folded (after a gap in the block)
            if h is not None:
                return h
        at = 32 * (idx - (block << shift))
        if level - base < len(levels) and at + 32 <= len(levels[level - base]):
            return levels[level - base][at : at + 32]
        if level == base:
            raise tree_fault(level, idx, "is missing")
        h = node_hash(self.node(level - 1, 2 * idx), self.node(level - 1, 2 * idx + 1))
        self._memo[key] = h
        return h

    def _read_block(self, level: int, block: int) -> list[bytes]:
        """Block ``block`` of stored level ``level`` (or of the leaves): its up to 256 nodes read in one range read,
        and the levels above them up to the next stored level, folded at once (``fold``). A proof needs nearly all
        of them (the siblings on its path cover the block), so computing them node by node costs more."""
        low = block << STEP
        if level == 0:
            data = bytes.fromhex("".join(self._source.entry_hashes(low, low + (1 << STEP))))
        else:
            stored = self._source.tree_nodes(level, low, low + (1 << STEP))
            idxs, hashes = zip(*stored, strict=True) if stored else ((), ())
            if idxs == tuple(range(low, low + len(idxs))) and all(map(_is_hash, hashes)):
                data = b"".join(hashes)
            else:  # a gap or a malformed node (tampered storage): fold the run before it, the rest on demand
                self._memo.update(((level, i), h) for i, h in stored)
                run = 0
                while run < len(stored) and stored[run][0] == low + run and _is_hash(stored[run][1]):
                    run += 1
                data = b"".join(hashes[:run])
        # Level STEP of the block is the next stored level: read from storage, never taken from the fold.
        levels = fold(data, 0, [], leaves=level == 0)[:STEP] if data else []
        self._blocks[(level, block)] = levels
        return levels

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
