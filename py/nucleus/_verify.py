"""Chain verification: where the chain first breaks, and how. Not public. docs/FORMAT.md §4 is its specification.

Entries are walked in seq order; for each, the first failing check names the fault (``kind``):
``sequence`` (a seq missing or out of place, including rows before 0), ``link`` (``prev_hash`` is not the
previous entry's hash), ``hash`` (the stored hash is not the hash of the stored record at that position in
this ledger), ``record`` (the stored bytes are not the canonical form of a valid record), ``derived`` (an index
column disagrees with its record), ``timestamp`` (earlier than the previous entry's), ``acl`` (an
access-control entry the chain could not hold, or any entry of another reserved ``nucleus.`` stream). The stored
Merkle tree is checked as the walk goes (``tree``: a node missing or not the root of its leaves, named at the first
seq it covers; after the walk, a stored node the tree does not hold). After the walk: a shared store's head
(``check_head``: ``sequence`` or ``link``), then ``checkpoint`` (a kept checkpoint is not a prefix of this chain:
truncation, rollback or a fork; or its Merkle root is not this tree's root at its size).

``verify_from_checkpoint`` is the shorter walk of ``Ledger.open(..., verify="from_checkpoint")``: it trusts a kept
checkpoint for the entries before it (docs/ENGINE.md, "Opening from a checkpoint", says what that proves).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import gt
from typing import TYPE_CHECKING, Any, cast

from ._acl import ACL_STREAM, AclState, ledger_resource
from ._checkpoint import ORIGIN_PREFIX, Checkpoint, encode_hash
from ._errors import ChainIntegrityError
from ._hashing import chain_step, entry_template, hashes_hex
from ._merkle import EMPTY_ROOT
from ._query import RESERVED_PREFIX, QuerySpec
from ._stored import StoredRow, check_chunk, chunk_passes, stream_column
from ._tree import Frontier, MemoryTree, TreeCheck, TreeReader
from .storage.sqlite import SqliteStorage, read_ledger_file

if TYPE_CHECKING:
    from .storage._protocol import Head, SharedStorage, Storage

_CHUNK = 1024


@dataclass(frozen=True, slots=True)
class Tip:
    """The end of a verified chain: its length, last hash and last timestamp."""

    size: int
    hash: str | None
    timestamp: int


EMPTY_TIP = Tip(0, None, 0)


class ChainWalk:
    """One ledger's chain rules: its entry template and the access-control state its entries build."""

    def __init__(self, ledger_id: str, format_version: int, acl: AclState | None = None, tree: TreeCheck | None = None):
        self.template = entry_template(ledger_id, format_version)
        self.format_version = format_version
        self.resource = ledger_resource(ledger_id)
        self.acl = AclState() if acl is None else acl
        self.tree = tree

    def walk(self, rows: Iterable[StoredRow], start: Tip = EMPTY_TIP, *, stored: bool = True) -> Tip:
        """Walk ``rows`` (seq order) from ``start``; the new tip, or ``ChainIntegrityError`` at the first fault.
        ``stored``: the rows come from storage, so their bytes and index columns are re-checked (rows parsed
        from an export were canonicalized on the way in)."""
        tip = start
        it = iter(rows)
        while chunk := list(itertools.islice(it, _CHUNK)):
            tip = self._walk_chunk(chunk, tip, stored)
            if self.tree is not None:  # the chunk verified: its hashes are the next leaves
                self.tree.add(chunk[0][0], [row[1] for row in chunk])
        if self.tree is not None:
            self.tree.flush()
        return tip

    def _walk_chunk(self, rows: list[StoredRow], start: Tip, stored: bool) -> Tip:
        tip = self._passing_chunk(rows, start, stored)
        if tip is not None:
            return tip
        # Something in this chunk fails: walk it entry by entry to name the first fault and its kind.
        if stored:
            values, bad, bad_kind, bad_why = check_chunk(rows)
        else:
            values, bad, bad_kind, bad_why = [], None, "", ""
        expected = start.size
        prev = start.hash
        last_ts = start.timestamp
        template = self.template
        system = self.format_version >= 2 and _reserved(map(stream_column, rows))
        for index, (seq, stored_hash, prev_hash, _record_id, stream, timestamp, record) in enumerate(rows):
            if seq != expected:
                raise ChainIntegrityError(
                    f"entry {expected} is missing (found seq {seq} in its place)", seq=expected, kind="sequence"
                )
            if prev_hash != prev:
                raise ChainIntegrityError(
                    f"entry {seq} links to {prev_hash!r}, but entry {seq - 1} has hash {prev!r}",
                    seq=seq,
                    kind="link",
                )
            if chain_step(template, seq, prev, record) != stored_hash:
                raise ChainIntegrityError(
                    f"entry {seq}: stored hash does not match its record (the record or hash was altered)",
                    seq=seq,
                    kind="hash",
                )
            if index == bad:
                raise ChainIntegrityError(bad_why, seq=seq, kind=bad_kind)
            if timestamp < last_ts:
                raise ChainIntegrityError(
                    f"entry {seq}: timestamp {timestamp} is earlier than the previous entry's {last_ts}",
                    seq=seq,
                    kind="timestamp",
                )
            if system and stream.startswith(RESERVED_PREFIX):
                self._apply(seq, stream, values[index] if stored else _record(record))
            prev = stored_hash
            last_ts = timestamp
            expected = seq + 1
        return Tip(expected, prev, last_ts)

    def _passing_chunk(self, rows: list[StoredRow], start: Tip, stored: bool) -> Tip | None:
        """The chunk's tip when every check passes for every entry, judged a column at a time (comparisons of
        whole tuples, one hashing pass, one records check): None as soon as anything is off, so that the walk
        entry by entry decides and names the fault. Most chunks of most ledgers pass, so this is the hot path."""
        n = len(rows)
        try:
            seqs, hashes, prevs, ids, streams, stamps, records = zip(*rows, strict=True)
            if (
                seqs != tuple(range(start.size, start.size + n))
                or prevs[0] != start.hash
                or prevs[1:] != hashes[:-1]
                or set(map(type, stamps)) != {int}
                or stamps[0] < start.timestamp
                or any(map(gt, stamps, stamps[1:]))
                or set(map(len, hashes)) != {64}
                or hashes_hex(self.template, prevs, records, seqs) != "".join(hashes)
                or (stored and not chunk_passes(rows, ids, streams, stamps, records))
            ):
                return None
        except (AttributeError, TypeError, ValueError):  # a column of the wrong type: the walk names it
            return None
        if self.format_version >= 2 and _reserved(streams):
            for seq, stream, record in zip(seqs, streams, records, strict=True):
                if stream.startswith(RESERVED_PREFIX):
                    self._apply(seq, stream, _record(record))
        return Tip(start.size + n, hashes[-1], stamps[-1])

    def _apply(self, seq: int, stream: str, record: dict[str, Any]) -> None:
        """An entry of a reserved stream: access control, or a fault (no Nucleus writes any other)."""
        if stream != ACL_STREAM:
            raise ChainIntegrityError(
                f"entry {seq} is in the reserved stream {stream!r}, which no Nucleus writes", seq=seq, kind="acl"
            )
        self.acl.apply(seq, record, self.resource)


def _reserved(streams: Iterable[object]) -> bool:
    """Whether any of ``streams`` is reserved (``nucleus.*``); one set of a chunk's few distinct streams."""
    return any(type(stream) is str and stream.startswith(RESERVED_PREFIX) for stream in set(streams))


def _record(data: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(data)
    return value


def check_checkpoint(storage_rows: Iterator[StoredRow], kept: Checkpoint, tip: Tip) -> None:
    """``kind="checkpoint"`` unless the stored chain (ending at ``tip``) extends the kept checkpoint;
    ``storage_rows`` starts at entry ``kept.size - 1``."""
    if kept.size == 0:
        return
    if tip.size < kept.size:
        raise ChainIntegrityError(
            f"the ledger has {tip.size} entries but a kept checkpoint saw {kept.size}: "
            "entries were removed (truncation or rollback)",
            seq=tip.size,
            kind="checkpoint",
        )
    if next(storage_rows)[1] != kept.hash:
        raise ChainIntegrityError(
            f"entry {kept.size - 1} differs from the kept checkpoint: the ledger was rewritten (fork)",
            seq=kept.size - 1,
            kind="checkpoint",
        )


def check_root(reader: TreeReader, kept: Checkpoint) -> None:
    """``kind="checkpoint"`` unless the tree of the first ``kept.size`` entries has the kept checkpoint's root (when
    it has one: a legacy checkpoint has none)."""
    if kept.root is None or (kept.size == 0 and kept.root == encode_hash(EMPTY_ROOT)):
        return
    if kept.size == 0 or encode_hash(reader.subtree(0, kept.size)) != kept.root:
        raise ChainIntegrityError(
            f"the Merkle root of the first {kept.size} entries differs from the kept checkpoint's: "
            "the ledger was rewritten (fork)",
            seq=max(kept.size - 1, 0),
            kind="checkpoint",
        )


def tree_check(storage: Storage, frontier: Frontier | None = None) -> TreeCheck:
    """A check of ``storage``'s tree from ``frontier`` on, or (a store that keeps none) a tree built in memory."""
    memory = None if storage.tree_kept else MemoryTree(storage)
    return TreeCheck(storage, frontier, memory)


def tree_at(storage: Storage, size: int) -> TreeCheck:
    """A tree check that starts at ``size`` entries, trusting the stored tree before (a store that keeps none: built
    in memory from the entries' hashes, read whole)."""
    if storage.tree_kept:
        return TreeCheck(storage, TreeReader(storage).frontier(size))
    check = tree_check(storage)
    for start in range(0, size, 65536):
        check.add(start, storage.entry_hashes(start, min(start + 65536, size)))
    return check


def check_head(end: Tip, head: Head) -> None:
    """A shared store's head (docs/FORMAT.md §5b) is written in the same transaction as the entries, so the chain,
    read from the same snapshot, must end exactly there: rows past it were written around the ledger's lock, rows
    missing before it were deleted (which a chain alone cannot show at its end)."""
    if end.size < head.size:
        raise ChainIntegrityError(
            f"entry {end.size} is missing: the ledger's head says it holds {head.size} entries (rows were deleted)",
            seq=end.size,
            kind="sequence",
        )
    if end.size > head.size:
        raise ChainIntegrityError(
            f"entry {head.size} lies past the ledger's head, which says it holds {head.size} entries "
            "(a row was written without taking the ledger's lock)",
            seq=head.size,
            kind="sequence",
        )
    if end.hash != head.hash:
        raise ChainIntegrityError(
            f"the ledger's head names {head.hash!r} as the last hash, but entry {end.size - 1} has {end.hash!r}",
            seq=max(end.size - 1, 0),
            kind="link",
        )


def verify_stored(
    storage: Storage,
    walk: ChainWalk,
    kept: Checkpoint | None = None,
    *,
    start: Tip = EMPTY_TIP,
    limit: int | None = None,
) -> tuple[Tip, bool]:
    """Verify the stored entries after ``start`` (at most ``limit`` of them); the tip reached, and whether the
    whole chain is now verified (then a kept checkpoint is checked too). ``ChainIntegrityError`` names the
    first bad seq, whichever check finds it. A shared store is read from one snapshot, whose head the chain must
    end at (``check_head``)."""
    head = None
    if getattr(storage, "shared", False):
        head, rows = cast("SharedStorage", storage).snapshot(start.size)
    else:
        rows = storage.rows(start.size)
    end = walk.walk(rows if limit is None else itertools.islice(rows, limit), start)
    done = limit is None or end.size - start.size < limit
    if done and head is not None:
        check_head(end, head)
    if done and walk.tree is not None:
        walk.tree.finish(storage.tree_extra(end.size))
    if done and kept is not None and kept.size:
        check_checkpoint(storage.rows(kept.size - 1), kept, end)
        if walk.tree is not None:
            check_root(walk.tree.reader(), kept)
    return end, done


VERIFY_MODES = ("full", "from_checkpoint")
"""How ``Ledger.open`` verifies a persistent store: every entry (the default), or only from a kept checkpoint on."""


def verify_from_checkpoint(
    storage: Storage, ledger_id: str, format_version: int, kept: Checkpoint
) -> tuple[Tip, ChainWalk, int]:
    """Verify the stored chain from the kept checkpoint on, trusting it for the entries before it: where the chain
    ends, the walk (its access-control state and tree), and how many entries were walked. The stored tree before
    the checkpoint is trusted as far as its root is the checkpoint's (when it has one); every node after is checked.

    Entry ``kept.size - 1`` must hold the checkpoint's hash (``checkpoint`` otherwise, or when the ledger is shorter)
    and is itself walked (its hash, record, derived columns and access control); every entry after it gets every
    check of a full walk, and a shared store's head is checked as ever. The access-control state before it is
    rebuilt from the ``nucleus.acl`` entries alone (read by their stream index, each hash re-computed from its
    stored record and its stored link, and replayed): what they grant is what the chain says, as far as these
    entries show. Nothing else before entry ``kept.size - 1`` is read, so an edit there that keeps its stored
    hashes (or a forged access-control entry whose stream column was also changed) is found only by a full walk."""
    acl = _acl_until(storage, ledger_id, format_version, max(kept.size - 1, 0))
    if kept.size == 0:
        walk = ChainWalk(ledger_id, format_version, acl, tree_check(storage))
        tip, _ = verify_stored(storage, walk)
        return tip, walk, tip.size
    last = kept.size - 1
    head = None
    if getattr(storage, "shared", False):
        head, stored = cast("SharedStorage", storage).snapshot(last)
    else:
        stored = storage.rows(last)
    rows = iter(stored)
    first = next(rows, None)
    if first is None:
        size = min(head.size if head is not None else storage.count(), last)
        raise ChainIntegrityError(
            f"the ledger has {size} entries but a kept checkpoint saw {kept.size}: "
            "entries were removed (truncation or rollback)",
            seq=size,
            kind="checkpoint",
        )
    if first[0] != last:
        raise ChainIntegrityError(
            f"entry {last} is missing (found seq {first[0]} in its place)", seq=last, kind="sequence"
        )
    if first[1] != kept.hash:
        raise ChainIntegrityError(
            f"entry {last} differs from the kept checkpoint: the ledger was rewritten (fork)",
            seq=last,
            kind="checkpoint",
        )
    # The tree of the first size entries is the checkpoint's to vouch for too: its root must be the kept one.
    tree = tree_at(storage, kept.size)
    check_root(tree.reader(), kept)
    walk = ChainWalk(ledger_id, format_version, acl, tree)
    # Entry size - 1 links to whatever it stores: the entries before it are the checkpoint's to vouch for.
    tip = walk.walk(itertools.chain([first], rows), Tip(last, first[2], 0))
    if head is not None:
        check_head(tip, head)
    tree.finish(storage.tree_extra(tip.size))
    return tip, walk, tip.size - last


def _acl_until(storage: Storage, ledger_id: str, format_version: int, size: int) -> AclState:
    """The access-control state of the first ``size`` entries, from their ``nucleus.acl`` entries only (and a
    format-1 store's own tables): each one's stored hash must be the hash of its stored record and link."""
    state = AclState.from_legacy(*storage.legacy_acl())
    if not size or format_version < 2:
        return state
    template = entry_template(ledger_id, format_version)
    resource = ledger_resource(ledger_id)
    # The stream index is trusted as the entries before the checkpoint are (a full verify() replays them all).
    page, _ = storage.query(QuerySpec(stream=ACL_STREAM, end=size, limit=2**53 - 1, trust_indexes=True))
    for entry in page:
        if chain_step(template, entry.seq, entry.prev_hash, entry.record_json.encode()) != entry.hash:
            raise ChainIntegrityError(
                f"entry {entry.seq}: stored hash does not match its record (the record or hash was altered)",
                seq=entry.seq,
                kind="hash",
            )
        state.apply(entry.seq, entry.record, resource)
    return state


def verify_file(
    path: str, start: Tip = EMPTY_TIP, limit: int | None = None, kept: Checkpoint | None = None
) -> tuple[Tip, bool, list[str], Checkpoint | None]:
    """Verify up to ``limit`` entries after ``start`` of the ledger file at ``path``, opened read-only: the checks
    of opening it, in the same order. The tip reached, whether the whole chain is now verified (then ``kept`` is
    checked too), what the read-only opening cannot promise, and, once the whole chain is verified, its checkpoint
    (``Ledger.checkpoint``'s; legacy ``{size, hash}`` for a file that names no ledger)."""

    def read(storage: SqliteStorage) -> tuple[Tip, bool, list[str], Checkpoint | None]:
        # The stored tree is checked from where the chunk starts (the nodes before were checked by earlier chunks); a
        # file that keeps none has nothing to check.
        tree = tree_at(storage, start.size) if storage.tree_kept else None
        walk = ChainWalk(storage.ledger_id or "", storage.format_version, _acl_before(storage, start.size), tree)
        end, done = verify_stored(storage, walk, kept, start=start, limit=limit)
        checkpoint = None
        if done:
            # The walk's frontier is the root's right edge already; a file that keeps no tree has its root folded
            # from the entries' hashes (the chain just verified them), as a read-only open of it does.
            frontier = tree.frontier if tree is not None else tree_at(storage, end.size).frontier
            origin = ORIGIN_PREFIX + storage.ledger_id if storage.ledger_id else None
            checkpoint = Checkpoint(end.size, end.hash, origin, encode_hash(frontier.root()))
        return end, done, storage.caveats, checkpoint

    return read_ledger_file(path, read)


def _acl_before(storage: SqliteStorage, size: int) -> AclState:
    """The access-control state the first ``size`` entries built (verified by the caller's earlier chunks), so
    that a chunk replays the rest from where the last one stopped."""
    state = AclState.from_legacy(*storage.legacy_acl())
    if size and storage.format_version >= 2:
        page, _ = storage.query(QuerySpec(stream=ACL_STREAM, end=size, limit=2**53 - 1))
        for entry in page:
            state.apply(entry.seq, entry.record, ledger_resource(storage.ledger_id or ""))
    return state
