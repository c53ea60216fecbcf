"""Indexed module filters: the payload fields modules filter on get an index (SQLite: a partial expression index,
MemoryStorage: a map built by the first query), and a query through it answers exactly what reading every entry
answers, also when the index in the file was tampered with."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import nucleus
from nucleus._query import QuerySpec
from nucleus.storage.memory import matches
from support import T0

INDEX = "entries_by_payload_level"


class Level(nucleus.Module):
    """Filters by ``level`` and ``tag`` (indexed) and by ``other`` (not declared: read from every entry)."""

    id = "level"
    filter_fields = ("level", "tag", "Tag")

    def query_conditions(self, filter: dict[str, Any]) -> list[tuple[str, Any]]:
        return list(filter.items())


VALUES: list[Any] = [1, True, False, "1", 0, 1.5, None, "x", [1], {"level": 1}]


def _records() -> list[dict[str, Any]]:
    """Every kind of value under ``level``, the key nested where it is not the payload's, payloads that are not
    objects, and a reserved-looking key text inside a string."""
    out = []
    for i in range(60):
        payload: Any = {"level": VALUES[i % len(VALUES)], "tag": f"t{i % 3}", "Tag": f"T{i % 2}"}
        if i % 7 == 0:
            payload = {"nested": {"level": 1, "tag": "t0"}, "note": '"level":1'}
        if i % 11 == 0:
            payload = [1, {"level": 1}]
        out.append({"id": f"r{i}", "stream": "misc" if i % 2 else "other", "timestamp": T0 + i, "payload": payload})
    return out


CONDITIONS: list[dict[str, Any]] = [
    {"level": 1},
    {"level": True},
    {"level": False},
    {"level": "1"},
    {"level": 0},
    {"level": "x"},
    {"level": 2},
    {"tag": "t0"},
    {"Tag": "T1"},
    {"level": 1, "tag": "t1"},
    {"other": "y"},
]


def _expected(entries: list[nucleus.Entry], condition: dict[str, Any], **filters: Any) -> list[str]:
    """The reference answer: every entry tested by ``matches``."""
    stream = filters.get("stream")
    out = []
    for e in entries:
        payload = json.loads(e.record_json)["payload"]
        if stream is not None and e.stream != stream:
            continue
        if type(payload) is dict and all(
            k in payload and type(payload[k]) is type(v) and payload[k] == v for k, v in condition.items()
        ):
            out.append(e.record_id)
    return out


def _ids(result: nucleus.QueryResult) -> list[str]:
    return [r["id"] for r in result.records]


@pytest.fixture
def filled(make_storage):
    with nucleus.Ledger.open("test", make_storage(), modules=[Level()]) as lg:
        lg.append_batch(_records())
        yield lg


@pytest.mark.parametrize("condition", CONDITIONS)
def test_indexed_filters_answer_what_reading_every_entry_answers(filled: nucleus.Ledger, condition):
    entries = list(filled._storage.entries())
    want = _expected(entries, condition)
    got = filled.query(moduleFilters={"level": condition}, limit=1000)
    assert _ids(got) == want and got.total == len(want)
    desc = filled.query(moduleFilters={"level": condition}, order="desc", offset=1, limit=3)
    assert _ids(desc) == list(reversed(want))[1:4] and desc.total == len(want)
    assert _ids(filled.query(moduleFilters={"level": condition}, stream="misc", limit=1000)) == _expected(
        entries, condition, stream="misc"
    )
    # appended after the index was first used: found through it as well
    filled.append({"id": "late", "stream": "misc", "timestamp": T0 + 100, "payload": dict(condition)})
    assert _ids(filled.query(moduleFilters={"level": condition}, limit=1000)) == [*want, "late"]


def test_memory_reference_semantics_agree(filled: nucleus.Ledger):
    """``matches`` (the reference of every backend) says the same as the expected lists above."""
    entries = list(filled._storage.entries())
    for condition in CONDITIONS:
        q = QuerySpec(conditions=tuple(condition.items()), limit=1000)
        assert [e.record_id for e in entries if matches(e, q)] == _expected(entries, condition)


# -- SQLite: the index in the file -----------------------------------------------------------------------------


def _plan(db: Path, storage: nucleus.SqliteStorage, run: Any) -> list[str]:
    """The query plans of the statements ``run`` sends to SQLite, read with EXPLAIN QUERY PLAN."""
    sent: list[str] = []
    conn = storage._require()
    conn.set_trace_callback(sent.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    plans = []
    for statement in sent:
        if statement.startswith("SELECT") and "FROM entries " in statement and " WHERE " in statement:
            plans += [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement)]
    return plans


def _indexes(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name GLOB 'entries_by_p*'")
        return dict(rows.fetchall())
    finally:
        conn.close()


def _build(db: Path) -> None:
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), modules=[Level()]) as lg:
        lg.append_batch(_records())


def test_sqlite_keeps_one_index_per_declared_field_and_queries_use_it(tmp_path: Path):
    db = tmp_path / "l.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:  # no module: no index
        lg.append_batch(_records())
    assert _indexes(db) == {}
    storage = nucleus.SqliteStorage(db)
    with nucleus.Ledger.open("test", storage, modules=[Level()]) as lg:  # an existing file gets them at open
        held = storage._require().execute("SELECT name FROM sqlite_master WHERE name GLOB 'entries_by_p*'")
        assert sorted(r[0] for r in held) == sorted([INDEX, "entries_by_payload_tag", "entries_by_payload_^tag"])
        plans = _plan(db, storage, lambda: lg.query(moduleFilters={"level": {"tag": "t0"}}))
        assert plans and all("USING INDEX entries_by_payload_tag" in p for p in plans), plans
        plans = _plan(db, storage, lambda: lg.query(moduleFilters={"level": {"other": "y"}}))
        assert plans and not any("entries_by_payload" in p for p in plans), plans
        # "Tag" and "tag" are two fields with two indexes (SQLite's names are case-insensitive)
        upper, lower = ({"level": {f: "T1"}} for f in ("Tag", "tag"))
        assert lg.query(moduleFilters=upper).total == 23 and lg.query(moduleFilters=lower).total == 0


def _tamper_index(db: Path, build_sql: str) -> None:
    """Rebuild the index from ``build_sql`` (the attacker's definition), then put the original definition back in
    ``sqlite_master``: the file's schema reads as it should, its index content is the attacker's."""
    original = _indexes(db)[INDEX]
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (build_sql, INDEX))
    conn.close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f'REINDEX "{INDEX}"')
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (original, INDEX))
    conn.close()
    assert _indexes(db)[INDEX] == original


def _answers(db: Path, *, read_only: bool) -> list[tuple[list[str], int]]:
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=read_only), modules=[Level()]) as lg:
        return [
            (_ids(r), r.total)
            for r in (lg.query(moduleFilters={"level": c}, limit=1000) for c in ({"level": 1}, {"level": "x"}))
        ]


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(lambda sql: sql + " AND seq % 10 <> 0", id="hides-entries"),
        pytest.param(
            lambda sql: sql.replace(
                "json_extract(record, '$.payload.level')",
                "CASE WHEN seq % 3 = 0 THEN 'x' ELSE json_extract(record, '$.payload.level') END",
            ),
            id="lists-wrong-entries",
        ),
        pytest.param(lambda sql: sql.replace("> 0", "> 0 AND seq < 0"), id="empty"),
    ],
)
def test_a_tampered_index_neither_hides_nor_adds_matches(tmp_path: Path, read_only: bool, attack):
    db = tmp_path / "l.db"
    _build(db)
    honest = _answers(db, read_only=True)
    assert honest[0][1] >= 3 and honest[1][1] >= 3
    _tamper_index(db, attack(_indexes(db)[INDEX]))
    assert _answers(db, read_only=read_only) == honest
    if not read_only:  # the writable open rebuilt it: a plain SQLite reader now agrees as well
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_redefined_index_is_replaced_or_left_unused(tmp_path: Path, read_only: bool):
    db = tmp_path / "l.db"
    _build(db)
    honest = _answers(db, read_only=True)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f'DROP INDEX "{INDEX}"')
    conn.execute(f"CREATE INDEX \"{INDEX}\" ON entries(json_extract(record, '$.payload.level')) WHERE seq % 2 = 0")
    conn.close()
    assert _answers(db, read_only=read_only) == honest
    if not read_only:
        assert "seq % 2" not in _indexes(db)[INDEX]
