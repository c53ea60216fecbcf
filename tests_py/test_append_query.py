"""Appending and reading: append, append_batch, get, get_by_id, get_entry, query (filters, pages, order)."""

from __future__ import annotations

import re
import time

import pytest

import nucleus
from support import T0, raises_code, rec

HEX64 = re.compile(r"[0-9a-f]{64}")


def test_append_returns_the_entry_hash_and_moves_the_tip(ledger: nucleus.Ledger):
    assert len(ledger) == 0 and ledger.latest_hash is None
    h0 = ledger.append(rec(0))
    h1 = ledger.append(rec(1))
    assert HEX64.fullmatch(h0) and HEX64.fullmatch(h1)
    assert len(ledger) == 2 and ledger.latest_hash == h1
    e0, e1 = ledger.get_entry(h0), ledger.get_entry(h1)
    assert (e0.seq, e0.prev_hash, e0.hash) == (0, None, h0)
    assert (e1.seq, e1.prev_hash, e1.hash) == (1, h0, h1)
    assert e1.record == rec(1)
    assert e1.to_json() == {"seq": 1, "hash": h1, "prevHash": h0, "record": rec(1)}
    assert h1 == nucleus.entry_hash("test", 1, h0, nucleus.canonicalize(rec(1)))


def test_get_returns_the_record_or_none(ledger: nucleus.Ledger):
    h = ledger.append({**rec(0), "meta": {"source": "test"}})
    assert ledger.get(h) == {**rec(0), "meta": {"source": "test"}}
    assert ledger.get("0" * 64) is None
    assert ledger.get_entry("0" * 64) is None
    raises_code("INVALID_ARGUMENT", lambda: ledger.get(123))


def test_returned_records_are_copies(ledger: nucleus.Ledger):
    record = rec(0)
    h = ledger.append(record)
    record["payload"]["n"] = 99
    got = ledger.get(h)
    assert got["payload"]["n"] == 0
    got["payload"]["n"] = 42
    assert ledger.get(h)["payload"]["n"] == 0
    assert ledger.query().records[0]["payload"]["n"] == 0


def test_missing_timestamp_is_stamped_with_now(ledger: nucleus.Ledger):
    # Milliseconds as the engine takes them: int(time.time() * 1000) can round down below that (always, in
    # Pyodide, whose clock ticks in whole milliseconds).
    before = time.time_ns() // 1_000_000
    h = ledger.append({"id": "x", "stream": "s", "payload": []})
    h2 = ledger.append({"id": "y", "stream": "s", "payload": [], "timestamp": None})  # null is left out too
    after = time.time_ns() // 1_000_000
    assert before <= ledger.get(h)["timestamp"] <= ledger.get(h2)["timestamp"] <= after


def test_stamping_never_goes_back_behind_the_tip(ledger: nucleus.Ledger):
    future = int(time.time() * 1000) + 10_000_000
    ledger.append(rec(0, ts=future))
    h = ledger.append({"id": "x", "stream": "s", "payload": {}})
    assert ledger.get(h)["timestamp"] == future


def test_null_meta_is_absent(ledger: nucleus.Ledger):
    h = ledger.append({**rec(0), "meta": None})
    assert "meta" not in ledger.get(h)


def test_identical_records_get_different_hashes(ledger: nucleus.Ledger):
    a = ledger.append(rec(0))
    b = ledger.append(rec(0))
    c, d = ledger.append_batch([rec(0), rec(0)])
    assert len({a, b, c, d}) == 4
    assert ledger.get(a) == ledger.get(b) == ledger.get(c) == ledger.get(d) == rec(0)
    assert len(ledger) == 4


def test_append_batch(ledger: nucleus.Ledger):
    first = ledger.append(rec(0))
    hashes = ledger.append_batch([rec(1), rec(2), rec(3)])
    assert len(hashes) == 3 and len(ledger) == 4 and ledger.latest_hash == hashes[-1]
    prev = first
    for seq, h in enumerate(hashes, start=1):
        e = ledger.get_entry(h)
        assert (e.seq, e.prev_hash, e.record) == (seq, prev, rec(seq))
        prev = h
    assert ledger.append_batch([]) == [] and len(ledger) == 4
    assert ledger.append_batch((rec(4),)) and len(ledger) == 5  # a tuple is a list of records too
    raises_code("INVALID_RECORD", lambda: ledger.append_batch(rec(5)))
    ledger.verify()


def test_get_by_id_latest_wins(ledger: nucleus.Ledger):
    ledger.append({"id": "a", "stream": "s", "timestamp": T0, "payload": {"v": 1}})
    ledger.append({"id": "b", "stream": "s", "timestamp": T0, "payload": {"v": 1}})
    ledger.append_batch(
        [
            {"id": "a", "stream": "t", "timestamp": T0 + 1, "payload": {"v": 2}},
            {"id": "a", "stream": "s", "timestamp": T0 + 1, "payload": {"v": 3}},
        ]
    )
    assert ledger.get_by_id("a")["payload"] == {"v": 3}
    assert ledger.get_by_id("b")["payload"] == {"v": 1}
    assert ledger.get_by_id("zzz") is None
    raises_code("INVALID_ARGUMENT", lambda: ledger.get_by_id(None))


def test_unique_ids_option(make_storage):
    with nucleus.Ledger.open("test", make_storage(), options={"uniqueIds": True}) as lg:
        lg.append(rec(0))
        err = raises_code("INVALID_RECORD", lambda: lg.append(rec(0, ts=T0 + 5)))
        assert err.details["field"] == "id"
        raises_code("INVALID_RECORD", lambda: lg.append_batch([rec(1), rec(1)]))
        assert len(lg) == 1


# -- query -----------------------------------------------------------------------------------------

# (id, stream, timestamp): runs of equal timestamps, repeated ids across streams.
DATA = [
    ("a", "alpha", T0),
    ("b", "alpha", T0),
    ("c", "beta", T0 + 10),
    ("a", "beta", T0 + 10),
    ("d", "alpha", T0 + 10),
    ("e", "gamma", T0 + 20),
    ("b", "alpha", T0 + 30),
    ("f", "beta", T0 + 30),
    ("g", "alpha", T0 + 40),
    ("a", "alpha", T0 + 50),
]


@pytest.fixture
def filled(ledger: nucleus.Ledger):
    ledger.append_batch(
        [{"id": i, "stream": s, "timestamp": t, "payload": {"k": n}} for n, (i, s, t) in enumerate(DATA)]
    )
    return ledger


def _expected(stream=None, id=None, lo=None, hi=None):
    return [
        n
        for n, (i, s, t) in enumerate(DATA)
        if (stream is None or s == stream)
        and (id is None or i == id)
        and (lo is None or t >= lo)
        and (hi is None or t <= hi)
    ]


QUERIES = [
    ({}, _expected()),
    ({"stream": "alpha"}, _expected(stream="alpha")),
    ({"stream": "nope"}, []),
    ({"id": "a"}, _expected(id="a")),
    ({"id": "a", "stream": "beta"}, _expected(id="a", stream="beta")),
    ({"timestampFrom": T0 + 10}, _expected(lo=T0 + 10)),
    ({"timestampTo": T0 + 10}, _expected(hi=T0 + 10)),  # only timestampTo: the original ignored it
    ({"timestampFrom": T0 + 10, "timestampTo": T0 + 30}, _expected(lo=T0 + 10, hi=T0 + 30)),
    ({"timestampFrom": T0 + 11, "timestampTo": T0 + 29}, _expected(lo=T0 + 11, hi=T0 + 29)),
    ({"timestampFrom": T0 + 30, "timestampTo": T0 + 10}, []),
    ({"stream": "alpha", "timestampTo": T0 + 30}, _expected(stream="alpha", hi=T0 + 30)),
    ({"timestamp_from": T0 + 40}, _expected(lo=T0 + 40)),  # snake_case spelling
]


@pytest.mark.parametrize(("filters", "expected"), QUERIES, ids=[str(q[0]) for q in QUERIES])
def test_query_filters(filled: nucleus.Ledger, filters: dict, expected: list[int]):
    result = filled.query(filters)
    assert [r["payload"]["k"] for r in result.records] == expected
    assert result.total == len(expected) and result.has_more is False
    desc = filled.query({**filters, "order": "desc"})
    assert [r["payload"]["k"] for r in desc.records] == expected[::-1]
    assert desc.total == len(expected)


def test_query_keyword_arguments(filled: nucleus.Ledger):
    kw = filled.query(stream="alpha", timestamp_to=T0 + 30, order="desc", limit=2, offset=1)
    as_dict = filled.query({"stream": "alpha", "timestampTo": T0 + 30, "order": "desc", "limit": 2, "offset": 1})
    assert kw == as_dict
    assert [r["payload"]["k"] for r in kw.records] == _expected(stream="alpha", hi=T0 + 30)[::-1][1:3]
    raises_code("INVALID_ARGUMENT", lambda: filled.query({"stream": "alpha"}, limit=1))


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 3, 4, 10, 11])
def test_pagination_covers_everything_once(filled: nucleus.Ledger, order: str, limit: int):
    seen: list[int] = []
    offset = 0
    while True:
        page = filled.query(offset=offset, limit=limit, order=order)
        assert page.total == len(DATA)
        assert len(page.records) <= limit
        seen += [r["payload"]["k"] for r in page.records]
        offset += limit
        assert page.has_more == (offset < len(DATA))
        if not page.has_more:
            break
    assert seen == (list(range(len(DATA))) if order == "asc" else list(range(len(DATA)))[::-1])


def test_offset_past_the_end(filled: nucleus.Ledger):
    page = filled.query(offset=100)
    assert page.records == [] and page.total == len(DATA) and page.has_more is False


def test_filtered_pagination(filled: nucleus.Ledger):
    alpha = _expected(stream="alpha")
    p1 = filled.query(stream="alpha", limit=2)
    p2 = filled.query(stream="alpha", limit=2, offset=2)
    assert [r["payload"]["k"] for r in p1.records + p2.records] == alpha[:4]
    assert p1.total == p2.total == len(alpha) and p1.has_more and p2.has_more


def test_default_limit_is_100(ledger: nucleus.Ledger):
    ledger.append_batch([rec(i) for i in range(150)])
    page = ledger.query()
    assert len(page.records) == 100 and page.total == 150 and page.has_more
    assert len(ledger.query(limit=10_000).records) == 150


@pytest.mark.parametrize(
    "filters",
    [
        {"streams": "alpha"},
        {"limit": 0},
        {"limit": 10_001},
        {"limit": 1.5},
        {"offset": -1},
        {"order": "up"},
        {"stream": ""},
        {"stream": 5},
        {"id": ["a"]},
        {"timestampFrom": -1},
        {"timestampTo": 1.5},
        {"moduleFilters": {"proof": {}}},
    ],
)
def test_bad_query_filters(filled: nucleus.Ledger, filters: dict):
    raises_code("INVALID_ARGUMENT", lambda: filled.query(filters))


def test_query_to_json(filled: nucleus.Ledger):
    out = filled.query(limit=1).to_json()
    assert set(out) == {"records", "total", "hasMore"} and out["hasMore"] is True


def test_has_storage_and_verify(ledger: nucleus.Ledger, backend: str):
    ledger.append(rec(0))
    assert ledger.has_storage() is (backend == "sqlite")
    assert ledger.verify() is None
    assert ledger.verify_storage() is (backend == "sqlite")
    cp = ledger.checkpoint()
    leaf = nucleus._merkle.leaf_hash(bytes.fromhex(ledger.latest_hash))
    root = nucleus._checkpoint.encode_hash(leaf)  # the tree of one leaf is that leaf
    assert cp.to_json() == {"origin": "nucleus/test", "size": 1, "root": root, "hash": ledger.latest_hash}


def test_closed_ledger_refuses_everything(make_storage):
    lg = nucleus.Ledger.open("test", make_storage())
    h = lg.append(rec(0))
    lg.close()
    lg.close()  # idempotent
    for call in (
        lambda: lg.append(rec(1)),
        lambda: lg.get(h),
        lambda: lg.query(),
        lambda: len(lg),
        lambda: lg.latest_hash,
        lambda: lg.verify(),
        lambda: lg.export(),
        lambda: lg.checkpoint(),
    ):
        raises_code("LEDGER_CLOSED", call)
