"""The conformance suite every storage backend must pass: ``check_storage(make_storage)``.

    from nucleus.testing import check_storage
    check_storage(lambda: MyStorage("/tmp/somewhere"))

``make_storage()`` returns a new, unopened backend object each call. For a persistent backend every call
must reach the same place (the same file), which must be empty (not yet created) at the first call; the
suite then also checks that ``open(..., create=False)`` refuses a store that does not exist yet and what
survives a close and reopen. Failures raise ``AssertionError`` naming the broken contract.
No test framework is needed.

A backend with ``many_ledgers = True`` (``PostgresStorage``) keeps any number of ledgers in that one place: there
another ledger id opens a ledger of its own, empty and untouched by this one's entries, where a one-ledger store
must refuse it (``LEDGER_MISMATCH``). A backend with ``shared = True`` (other processes append to the same ledger:
``nucleus.storage.SharedStorage``) must also keep the contract of ``snapshot`` and ``append_after``.

Every backend keeps the Merkle tree's stored nodes (docs/FORMAT.md §9) with the entries: written in the same
transaction, never overwritten, read back by level and index range. The suite stores made-up node hashes: a
backend stores nodes, the engine computes and checks them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from ._canonical import canonicalize
from ._entry import Entry
from ._errors import NucleusError
from ._hashing import FORMAT_VERSION, entry_hash
from ._query import RESERVED_PREFIX, QuerySpec
from .storage._protocol import Head, LedgerMeta, SharedStorage, Storage

LEDGER_ID = "conformance"
OWNER = "oid:onoal:user:conformance-owner"
ACL = f"{RESERVED_PREFIX}acl"


def _chain(
    records: list[dict[str, Any]], start: int = 0, prev: str | None = None, ledger_id: str = LEDGER_ID
) -> list[Entry]:
    """Entries with real (format-2) hashes for ``records`` from seq ``start`` after ``prev``."""
    out = []
    for offset, record in enumerate(records):
        canonical = canonicalize(record)
        seq = start + offset
        h = entry_hash(ledger_id, seq, prev, canonical)
        out.append(Entry(seq, h, prev, record["id"], record["stream"], record["timestamp"], canonical.decode()))
        prev = h
    return out


def _record(i: int, stream: str = "a", record_id: str | None = None, **payload: Any) -> dict[str, Any]:
    return {"id": record_id or f"r{i}", "stream": stream, "timestamp": 1000 + i // 2, "payload": {"i": i, **payload}}


def _expect(code: str, fn: Callable[[], Any], what: str, reason: str | None = None) -> None:
    try:
        fn()
    except NucleusError as err:
        assert err.code == code, f"{what}: expected {code}, got {err.code} ({err.message})"
        if reason is not None:
            got = err.details.get("reason")
            assert got == reason, f"{what}: expected details reason {reason!r}, got {got!r} ({err.message})"
        return
    raise AssertionError(f"{what}: expected {code}, nothing was raised")


def _snapshot(s: Storage) -> tuple[Any, ...]:
    tree = [s.tree_nodes(level, 0, 2**62) for level in (8, 16)]
    return (s.count(), s.tip(), list(s.rows()), list(s.entries()), tree)


def _reserved(e: Entry) -> bool:
    return e.stream.startswith(RESERVED_PREFIX)


def _check_meta(s: Storage, meta: LedgerMeta, what: str) -> None:
    assert (meta.ledger_id, meta.format_version) == (LEDGER_ID, FORMAT_VERSION), (
        f"{what}: open() must return the ledger id and format version {FORMAT_VERSION}, got {meta}"
    )
    assert s.read_only is False, "read_only must be False for a store the suite writes to"
    s.recheck()  # nothing drifted: must not raise
    assert s.legacy_acl() == (None, []), "legacy_acl() must be (None, []) for a format-2 store"


def _check_reads(s: Storage, entries: list[Entry]) -> None:
    n = len(entries)
    assert s.count() == n, f"count() is {s.count()}, want {n}"
    assert s.tip() == (entries[-1] if entries else None), "tip() is not the last entry"
    assert list(s.entries()) == entries, "entries() does not return every entry in seq order"
    assert list(s.entries(3)) == entries[3:], "entries(start_seq) does not start at start_seq"
    want_rows = [
        (e.seq, e.hash, e.prev_hash, e.record_id, e.stream, e.timestamp, e.record_json.encode()) for e in entries
    ]
    assert list(s.rows()) == want_rows, (
        "rows() must yield (seq, hash, prev_hash, record_id, stream, timestamp, canonical record bytes)"
    )
    assert list(s.rows(3)) == want_rows[3:], "rows(start_seq) does not start at start_seq"
    assert list(s.rows(n)) == [], "rows(start past the end) must be empty"
    for e in entries:
        assert s.get(e.hash, n) == e, f"get({e.hash[:12]}…, end) does not return entry {e.seq}"
        assert s.get(e.hash, e.seq + 1) == e, f"get({e.hash[:12]}…, end={e.seq + 1}) does not return entry {e.seq}"
        assert s.get(e.hash, e.seq) is None, f"get() served entry {e.seq} at end={e.seq} (only seqs below end)"
    assert s.get("f" * 64, n) is None, "get(unknown hash) must be None"
    ids = {e.record_id for e in entries} | {"no-such-id"}
    for end in range(n + 1):
        for record_id in sorted(ids):
            want = None
            for e in entries[:end]:
                if e.record_id == record_id and not _reserved(e):
                    want = e
            got = s.latest_by_id(record_id, end)
            assert got == want, (
                f"latest_by_id({record_id!r}, end={end}) is {got and got.seq}, want {want and want.seq} "
                "(the highest seq below end, leaving out reserved streams)"
            )


def _payload_has(e: Entry, conditions: tuple[tuple[str, Any], ...]) -> bool:
    payload = json.loads(e.record_json)["payload"]
    return all(field in payload and type(payload[field]) is type(v) and payload[field] == v for field, v in conditions)


def _check_queries(s: Storage, entries: list[Entry]) -> None:
    visible = [e for e in entries if not _reserved(e)]

    def want(pred: Callable[[Entry], bool], among: list[Entry] = visible) -> list[Entry]:
        found = [e for e in among if pred(e)]
        assert found, "the conformance data must give every query a match"
        return found

    ts = sorted({e.timestamp for e in visible})
    lo, hi = ts[1], ts[-2]
    cut = entries[len(entries) // 2].seq
    cases: list[tuple[QuerySpec, list[Entry]]] = [
        (QuerySpec(), visible),
        (QuerySpec(stream="b"), want(lambda e: e.stream == "b")),
        (QuerySpec(record_id="dup"), want(lambda e: e.record_id == "dup")),
        (QuerySpec(timestamp_from=lo), want(lambda e: e.timestamp >= lo)),
        (QuerySpec(timestamp_to=hi), want(lambda e: e.timestamp <= hi)),
        (
            QuerySpec(timestamp_from=lo, timestamp_to=hi, stream="a"),
            want(lambda e: lo <= e.timestamp <= hi and e.stream == "a"),
        ),
        (QuerySpec(end=cut), want(lambda e: e.seq < cut)),
        (QuerySpec(end=cut, record_id="dup"), want(lambda e: e.seq < cut and e.record_id == "dup")),
        (QuerySpec(end=0), []),
        # Reserved streams: only when the query names one.
        (QuerySpec(stream=ACL), want(lambda e: e.stream == ACL, entries)),
        (QuerySpec(stream=ACL, record_id="dup"), want(lambda e: e.stream == ACL and e.record_id == "dup", entries)),
        (QuerySpec(stream=ACL, end=cut), want(lambda e: e.stream == ACL and e.seq < cut, entries)),
        (QuerySpec(stream=f"{RESERVED_PREFIX}other"), []),
    ]
    for conditions in ((("tag", "x"),), (("tag", "x"), ("flag", True)), (("flag", False),), (("i", 3),)):
        cases.append((QuerySpec(conditions=conditions), want(lambda e, c=conditions: _payload_has(e, c))))
    cases.append((QuerySpec(conditions=(("i", "3"),)), []))  # "3" is not 3
    cases.append((QuerySpec(stream="none"), []))
    for spec, expected in cases:
        page, total = s.query(spec)
        assert (page, total) == (expected[: spec.limit], len(expected)), f"query({spec}) is wrong"
        desc = replace(spec, descending=True)
        page, total = s.query(desc)
        assert (page, total) == (expected[::-1][: spec.limit], len(expected)), f"query({desc}) is wrong"
    for offset, limit in ((0, 3), (3, 3), (len(visible) - 1, 5), (len(visible) + 5, 2)):
        page, total = s.query(QuerySpec(offset=offset, limit=limit))
        assert (page, total) == (visible[offset : offset + limit], len(visible)), f"page {offset}/{limit} is wrong"
        page, total = s.query(QuerySpec(offset=offset, limit=limit, end=cut))
        below = [e for e in visible if e.seq < cut]
        assert (page, total) == (below[offset : offset + limit], len(below)), (
            f"page {offset}/{limit} with end={cut} is wrong"
        )


def _check_rollback(s: Storage, entries: list[Entry]) -> None:
    before = _snapshot(s)
    tip = entries[-1]
    fresh = _chain([_record(90), _record(91), _record(92)], tip.seq + 1, tip.hash)
    # The third entry reuses a stored hash: the whole batch, its tree nodes included, must fail and leave no trace.
    reused_hash = fresh[2]._replace(hash=entries[0].hash)
    batch = [fresh[0], fresh[1], reused_hash]
    _expect("STORAGE_ERROR", lambda: s.append(batch, [_node(8, 2)]), "a batch reusing a stored hash")
    assert _snapshot(s) == before, "a failed batch left a trace (rollback must undo every entry of the batch)"
    assert s.get(fresh[0].hash, 2**53) is None, "an entry of a failed batch is readable"
    assert s.latest_by_id(fresh[0].record_id, 2**53) is None, "an entry of a failed batch is readable by id"
    # A seq that exists already.
    clash = _chain([_record(93)], tip.seq, tip.prev_hash)
    _expect("STORAGE_ERROR", lambda: s.append(clash), "an entry whose seq exists already")
    assert _snapshot(s) == before, "a refused entry with an existing seq left a trace"
    # The same hash twice inside one batch.
    twice = [fresh[0], fresh[1]._replace(hash=fresh[0].hash)]
    _expect("STORAGE_ERROR", lambda: s.append(twice), "a batch holding one hash twice")
    assert _snapshot(s) == before, "a batch holding one hash twice left a trace"
    # A tree node that exists already: the entries with it must not be written either.
    _expect("STORAGE_ERROR", lambda: s.append(fresh[:1], [_node(8, 1)]), "a batch rewriting a stored tree node")
    assert _snapshot(s) == before, "a batch rewriting a stored tree node left a trace"


def _node(level: int, idx: int) -> tuple[int, int, bytes]:
    """A stored tree node with a made-up hash (the backend stores, the engine checks)."""
    return level, idx, bytes([level, idx % 256]) * 16


def _check_tree(s: Storage, entries: list[Entry], nodes: list[tuple[int, int, bytes]]) -> None:
    """The tree ``nodes`` stored beside ``entries``: range reads, what the tree of a size does not hold, and that a
    refused write leaves no node."""
    assert s.tree_kept is True, "an opened store must keep the tree (tree_kept)"
    assert s.entry_hashes(0, len(entries)) == [e.hash for e in entries], "entry_hashes(0, n) must give every hash"
    assert s.entry_hashes(2, 5) == [e.hash for e in entries[2:5]], "entry_hashes(start, end) must give that range"
    assert s.entry_hashes(len(entries), len(entries) + 9) == [], "entry_hashes past the tip must be empty"
    for level in (8, 16):
        mine = [(idx, h) for lv, idx, h in nodes if lv == level]
        assert s.tree_nodes(level, 0, 2**62) == mine, f"tree_nodes({level}, …) must give the stored nodes in order"
        assert s.tree_nodes(level, 1, 2) == mine[1:2], "tree_nodes(level, start, end) must give that range"
    assert s.tree_nodes(24, 0, 2**62) == [], "a level without nodes must read empty"
    # Made-up nodes of a tree much larger than the entries: all of them lie past what the entries' tree holds.
    assert s.tree_extra(len(entries)) == (8, 0), "tree_extra must name the first node past the size (by level, idx)"
    assert s.tree_extra(2**16 * 2) is None, "tree_extra must be None when the tree of the size holds every node"
    assert s.tree_extra(2**9) == (16, 0), "tree_extra must count complete subtrees only"


def _rows_of(entries: list[Entry]) -> list[tuple[Any, ...]]:
    return [(e.seq, e.hash, e.prev_hash, e.record_id, e.stream, e.timestamp, e.record_json.encode()) for e in entries]


def _check_shared(s: SharedStorage, entries: list[Entry]) -> list[Entry]:
    """``snapshot`` and ``append_after`` (``SharedStorage``); the entries stored afterwards."""
    n = len(entries)
    head = Head(n, entries[-1].hash)
    got_head, rows = s.snapshot(0)
    assert (got_head, list(rows)) == (head, _rows_of(entries)), "snapshot(0) must give the head and every row"
    got_head, rows = s.snapshot(n - 2)
    assert (got_head, list(rows)) == (head, _rows_of(entries[-2:])), "snapshot(start) must start at start"
    got_head, rows = s.snapshot(n)
    assert (got_head, list(rows)) == (head, []), "snapshot(size) must give the head and no row"

    seen: list[Any] = []
    tail = _chain([_record(40), _record(41)], n, entries[-1].hash)

    def build(h: Head, newer: Any) -> tuple[list[Entry], list[Any]]:
        seen.append((h, list(newer)))
        return tail, []

    written = s.append_after(n - 3, build)
    assert list(written) == tail, "append_after must return the entries it wrote"
    assert seen == [(head, _rows_of(entries[-3:]))], (
        "append_after must call build once, with the locked head and the rows from the caller's size up to it"
    )
    entries = entries + tail
    before = _snapshot(s)

    def refuse(h: Head, newer: Any) -> tuple[list[Entry], list[Any]]:
        list(newer)
        s_tail = _chain([_record(42)], h.size, h.hash)
        raise _Refused(s_tail)

    try:
        s.append_after(len(entries), refuse)
    except _Refused:
        pass
    else:
        raise AssertionError("append_after must let what build raises through")
    assert _snapshot(s) == before, "a build that raised left a trace"
    assert list(s.append_after(len(entries), lambda h, newer: ([], []))) == [], "an empty build must write nothing"
    assert _snapshot(s) == before, "an empty build wrote something"
    stale = _chain([_record(43)], len(entries) - 1, entries[-2].hash)
    _expect(
        "STORAGE_ERROR",
        lambda: s.append_after(len(entries), lambda h, newer: (stale, [])),
        "entries not after the head",
    )
    assert _snapshot(s) == before, "entries refused for not following the head left a trace"
    return entries


class _Refused(Exception):
    """What the conformance suite's own build raises."""


def _check_other_ledger(make_storage: Callable[[], Storage], entries: list[Entry]) -> None:
    """A ``many_ledgers`` store: another ledger id in the same place is a ledger of its own."""
    other_id = "another-ledger"
    o = make_storage()
    try:
        meta = o.open(other_id)
        assert (meta.ledger_id, meta.format_version) == (other_id, FORMAT_VERSION), f"open({other_id!r}) gave {meta}"
        assert o.count() == 0 and o.tip() is None and list(o.rows()) == [], "another ledger must start empty"
        assert o.query(QuerySpec()) == ([], 0), "another ledger's query must not see this ledger's entries"
        assert o.get(entries[1].hash, 2**53) is None, "another ledger must not serve this ledger's entries"
        mine = _chain([_record(0), _record(1, stream="b")], ledger_id=other_id)
        o.append(mine)
        assert list(o.entries()) == mine and o.count() == 2, "another ledger must hold its own entries"
    finally:
        o.close()


def check_storage(make_storage: Callable[[], Storage]) -> None:
    """Run the conformance suite against backends made by ``make_storage`` (see the module docstring)."""
    s = make_storage()
    assert type(s.persistent) is bool, "persistent must be a boolean"
    if s.persistent:
        _expect(
            "STORAGE_ERROR",
            lambda: s.open(LEDGER_ID, create=False),
            "open(create=False) of a store that does not exist",
            reason="missing",
        )
        s.close()
        s = make_storage()
    meta = s.open(LEDGER_ID)
    _check_meta(s, meta, "a new store")
    assert s.count() == 0 and s.tip() is None and list(s.rows()) == [], "a new store must be empty"
    assert s.query(QuerySpec()) == ([], 0), "query() on an empty store must be ([], 0)"

    # Seq 0 is a reserved-stream entry (as the owner entry of a real ledger is).
    records = [
        {"id": "owner", "stream": ACL, "timestamp": 1000, "payload": {"owner": OWNER}},
        _record(0, tag="x", flag=True),
        _record(1, stream="b"),
    ]
    entries = _chain(records)
    s.append(entries[:1])  # a single entry
    nodes = [_node(8, 0), _node(8, 1), _node(16, 0)]
    s.append(entries[1:], nodes[:2])
    more = [
        _record(2, record_id="dup", tag="x"),
        _record(3, stream="b", record_id="dup", tag="y", flag=True),
        {"id": "dup", "stream": ACL, "timestamp": 1001, "payload": {"i": 30}},  # hides no "dup" from latest_by_id
        _record(4, tag="x", flag=False),
        _record(5, stream="b"),
        _record(6, record_id="dup", tag="x", flag=True),
        _record(7),
        _record(8, stream="b", tag="x"),
        _record(9),
        {"id": "dup", "stream": ACL, "timestamp": 1004, "payload": {"i": 31}},  # the last "dup" is reserved
    ]
    entries += _chain(more, len(entries), entries[-1].hash)
    s.append(entries[3:5])  # a batch
    s.append(entries[5:], nodes[2:])
    _check_reads(s, entries)
    _check_queries(s, entries)
    _check_tree(s, entries, nodes)
    _check_rollback(s, entries)
    _check_reads(s, entries)
    _check_tree(s, entries, nodes)
    if getattr(s, "shared", False):
        entries = _check_shared(cast(SharedStorage, s), entries)
        _check_reads(s, entries)
    s.close()
    s.close()  # idempotent

    if not s.persistent:
        return
    if getattr(s, "many_ledgers", False):
        _check_other_ledger(make_storage, entries)
    else:
        s = make_storage()
        _expect("LEDGER_MISMATCH", lambda: s.open("another-ledger"), "opening the store as another ledger")
        s.close()
    s = make_storage()
    meta = s.open(LEDGER_ID, create=False)
    try:
        _check_meta(s, meta, "a reopened store")
        _check_reads(s, entries)
        _check_queries(s, entries)
        tail = _chain([_record(20), _record(21)], len(entries), entries[-1].hash)
        s.append(tail)
        _check_reads(s, entries + tail)
    finally:
        s.close()
