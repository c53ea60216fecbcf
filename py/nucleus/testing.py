"""The conformance suite every storage backend must pass: ``check_storage(make_storage)``.

    from nucleus.testing import check_storage
    check_storage(lambda: MyStorage("/tmp/somewhere"))

``make_storage()`` returns a new, unopened backend object each call. For a persistent backend every call
must reach the same place (the same file), which must be empty at the first call; the suite then also
checks what survives a close and reopen. Failures raise ``AssertionError`` naming the broken contract.
No test framework is needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ._canonical import canonicalize
from ._entry import Entry
from ._errors import NucleusError
from ._hashing import entry_hash
from ._query import QuerySpec
from .storage._protocol import Storage

LEDGER_ID = "conformance"
OWNER = "oid:onoal:user:conformance-owner"


def _chain(records: list[dict[str, Any]], start: int = 0, prev: str | None = None) -> list[Entry]:
    """Entries with real hashes for ``records`` from seq ``start`` after ``prev``."""
    out = []
    for offset, record in enumerate(records):
        canonical = canonicalize(record)
        seq = start + offset
        h = entry_hash(seq, prev, canonical)
        out.append(Entry(seq, h, prev, record["id"], record["stream"], record["timestamp"], canonical.decode()))
        prev = h
    return out


def _record(i: int, stream: str = "a", record_id: str | None = None, **payload: Any) -> dict[str, Any]:
    return {"id": record_id or f"r{i}", "stream": stream, "timestamp": 1000 + i // 2, "payload": {"i": i, **payload}}


def _expect(code: str, fn: Callable[[], Any], what: str) -> None:
    try:
        fn()
    except NucleusError as err:
        assert err.code == code, f"{what}: expected {code}, got {err.code} ({err.message})"
        return
    raise AssertionError(f"{what}: expected {code}, nothing was raised")


def _snapshot(s: Storage) -> tuple[Any, ...]:
    return (s.count(), s.tip(), list(s.rows()), list(s.entries()))


def _check_reads(s: Storage, entries: list[Entry]) -> None:
    assert s.count() == len(entries), f"count() is {s.count()}, want {len(entries)}"
    assert s.tip() == (entries[-1] if entries else None), "tip() is not the last entry"
    assert list(s.entries()) == entries, "entries() does not return every entry in seq order"
    assert list(s.entries(3)) == entries[3:], "entries(start_seq) does not start at start_seq"
    want_rows = [(e.seq, e.hash, e.prev_hash, e.timestamp, e.record_json.encode()) for e in entries]
    assert list(s.rows()) == want_rows, "rows() must yield (seq, hash, prev_hash, timestamp, record bytes)"
    assert list(s.rows(len(entries))) == [], "rows(start past the end) must be empty"
    for e in entries:
        assert s.get(e.hash) == e, f"get({e.hash[:12]}…) does not return entry {e.seq}"
    assert s.get("f" * 64) is None, "get(unknown hash) must be None"
    latest: dict[str, Entry] = {}
    for e in entries:
        latest[e.record_id] = e
    for record_id, e in latest.items():
        assert s.latest_by_id(record_id) == e, f"latest_by_id({record_id!r}) is not the entry with the highest seq"
    assert s.latest_by_id("no-such-id") is None, "latest_by_id(unknown) must be None"
    assert s.first_inconsistent_index() is None, "first_inconsistent_index() must be None for consistent entries"


def _payload_has(e: Entry, conditions: tuple[tuple[str, Any], ...]) -> bool:
    payload = json.loads(e.record_json)["payload"]
    return all(field in payload and type(payload[field]) is type(v) and payload[field] == v for field, v in conditions)


def _check_queries(s: Storage, entries: list[Entry]) -> None:
    def want(pred: Callable[[Entry], bool]) -> list[Entry]:
        found = [e for e in entries if pred(e)]
        assert found, "the conformance data must give every query a match"
        return found

    ts = sorted({e.timestamp for e in entries})
    lo, hi = ts[1], ts[-2]
    cases: list[tuple[QuerySpec, list[Entry]]] = [
        (QuerySpec(), entries),
        (QuerySpec(stream="b"), want(lambda e: e.stream == "b")),
        (QuerySpec(record_id="dup"), want(lambda e: e.record_id == "dup")),
        (QuerySpec(timestamp_from=lo), want(lambda e: e.timestamp >= lo)),
        (QuerySpec(timestamp_to=hi), want(lambda e: e.timestamp <= hi)),
        (
            QuerySpec(timestamp_from=lo, timestamp_to=hi, stream="a"),
            want(lambda e: lo <= e.timestamp <= hi and e.stream == "a"),
        ),
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
    for offset, limit in ((0, 3), (3, 3), (len(entries) - 1, 5), (len(entries) + 5, 2)):
        page, total = s.query(QuerySpec(offset=offset, limit=limit))
        assert (page, total) == (entries[offset : offset + limit], len(entries)), f"page {offset}/{limit} is wrong"


def _check_rollback(s: Storage, entries: list[Entry]) -> None:
    before = _snapshot(s)
    tip = entries[-1]
    fresh = _chain([_record(90), _record(91), _record(92)], tip.seq + 1, tip.hash)
    # The third entry reuses a stored hash: the whole batch must fail and leave no trace.
    reused_hash = fresh[2]._replace(hash=entries[0].hash)
    _expect("STORAGE_ERROR", lambda: s.append([fresh[0], fresh[1], reused_hash]), "a batch reusing a stored hash")
    assert _snapshot(s) == before, "a failed batch left a trace (rollback must undo every entry of the batch)"
    assert s.get(fresh[0].hash) is None, "an entry of a failed batch is readable"
    # A seq that exists already.
    clash = _chain([_record(93)], tip.seq, tip.prev_hash)
    _expect("STORAGE_ERROR", lambda: s.append(clash), "an entry whose seq exists already")
    assert _snapshot(s) == before, "a refused entry with an existing seq left a trace"
    # The same hash twice inside one batch.
    twice = [fresh[0], fresh[1]._replace(hash=fresh[0].hash)]
    _expect("STORAGE_ERROR", lambda: s.append(twice), "a batch holding one hash twice")
    assert _snapshot(s) == before, "a batch holding one hash twice left a trace"


def _check_grants(s: Storage) -> list[dict[str, Any]]:
    base = {"resourceOid": "oid:onoal:ledger:conformance", "grantedBy": OWNER, "grantedAt": 1}
    g1 = {**base, "subjectOid": "oid:onoal:user:a", "action": "write"}
    g2 = {**base, "subjectOid": "oid:onoal:user:a", "action": "admin", "expiresAt": 5, "metadata": {"k": [1]}}
    g3 = {**base, "subjectOid": "oid:onoal:user:b", "action": "write"}
    for g in (g1, g2, g3):
        s.put_grant(g)
    s.put_grant({**g1, "grantedAt": 2})  # same key: replaces
    g1 = {**g1, "grantedAt": 2}
    got = s.grants_for("oid:onoal:user:a")
    assert sorted(got, key=lambda g: g["action"]) == [g2, g1], (
        "grants_for() must return every grant, replaced ones once"
    )
    assert s.remove_grant(g3["subjectOid"], g3["resourceOid"], g3["action"]) is True, "remove_grant() must say True"
    assert s.remove_grant(g3["subjectOid"], g3["resourceOid"], g3["action"]) is False, "second remove must say False"
    assert s.grants_for("oid:onoal:user:b") == [], "a removed grant is still listed"
    return got


def check_storage(make_storage: Callable[[], Storage]) -> None:
    """Run the conformance suite against backends made by ``make_storage`` (see the module docstring)."""
    s = make_storage()
    meta = s.open(LEDGER_ID, OWNER)
    assert (meta.ledger_id, meta.owner) == (LEDGER_ID, OWNER), "open() must return the ledger id and owner"
    assert s.count() == 0 and s.tip() is None and list(s.rows()) == [], "a new store must be empty"
    assert s.query(QuerySpec()) == ([], 0), "query() on an empty store must be ([], 0)"

    records = [_record(0, tag="x", flag=True), _record(1, stream="b")]
    entries = _chain(records)
    s.append(entries[:1])  # a single entry
    s.append(entries[1:])
    more = [
        _record(2, record_id="dup", tag="x"),
        _record(3, stream="b", record_id="dup", tag="y", flag=True),
        _record(4, tag="x", flag=False),
        _record(5, stream="b"),
        _record(6, record_id="dup", tag="x", flag=True),
        _record(7),
        _record(8, stream="b", tag="x"),
        _record(9),
    ]
    entries += _chain(more, len(entries), entries[-1].hash)
    s.append(entries[2:])  # a batch
    _check_reads(s, entries)
    _check_queries(s, entries)
    _check_rollback(s, entries)
    _check_reads(s, entries)
    grants = _check_grants(s)
    s.close()
    s.close()  # idempotent

    if not s.persistent:
        return
    s = make_storage()
    _expect("LEDGER_MISMATCH", lambda: s.open("another-ledger", None), "opening the store as another ledger")
    s = make_storage()
    meta = s.open(LEDGER_ID, None)
    assert meta.owner == OWNER, "the owner must persist"
    try:
        _check_reads(s, entries)
        assert sorted(s.grants_for("oid:onoal:user:a"), key=lambda g: g["action"]) == sorted(
            grants, key=lambda g: g["action"]
        ), "grants must persist"
        tail = _chain([_record(20), _record(21)], len(entries), entries[-1].hash)
        s.append(tail)
        _check_reads(s, entries + tail)
    finally:
        s.close()
