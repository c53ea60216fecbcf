"""PostgresStorage in one process: conformance, many ledgers per schema, the schema's versions, options, and two
writers of one ledger (two storages) taking each other's entries in. Needs a throwaway cluster (conftest
``postgres``). Runs inside Pyodide too, through the npm package's PostgreSQL channel (tests_py/pyodide), except the
test that needs threads."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

import nucleus
from nucleus.testing import check_storage
from support import T0, raises_code

OWNER = "oid:onoal:user:owner"
ALICE = "oid:onoal:user:alice"


def test_without_psycopg_importing_works_and_constructing_names_the_extra(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    if sys.platform == "emscripten":
        # Pyodide never uses psycopg: it asks the host's channel, which only Node.js lends (a browser has none).
        monkeypatch.setitem(sys.modules, "_nucleus_pg_host", None)
        err = raises_code("STORAGE_UNSUPPORTED", lambda: nucleus.PostgresStorage("postgresql://localhost/x"))
        assert "Node.js" in err.message
        return
    err = raises_code("INVALID_CONFIG", lambda: nucleus.PostgresStorage("postgresql://localhost/x"))
    assert 'pip install "nucleus-ledger[postgres]"' in err.message
    assert err.details["reason"] == "missing_driver"


@pytest.fixture
def make(postgres, pg_schema) -> Callable[..., nucleus.PostgresStorage]:
    """New PostgresStorage objects on this test's schema."""

    def new(**kw: Any) -> nucleus.PostgresStorage:
        return nucleus.PostgresStorage(postgres.dsn(), schema=pg_schema, **kw)

    return new


def rec(i: int, stream: str = "events", ts: int | None = None, **payload: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"id": f"r{i}", "stream": stream, "payload": {"n": i, **payload}}
    if ts is not None:
        record["timestamp"] = ts
    return record


def test_conformance(make):
    check_storage(make)


def test_conformance_over_tcp_with_a_password(postgres, pg_schema):
    check_storage(lambda: nucleus.PostgresStorage(postgres.tcp_dsn(), schema=pg_schema))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"schema": "Bad-Name"}, "schema must be"),
        ({"schema": ""}, "schema must be"),
        ({"timeout": 0}, "timeout must be"),
        ({"timeout": float("nan")}, "timeout must be"),
        ({"timeout": "10"}, "timeout must be"),
        ({"application_name": 5}, "application_name"),
    ],
)
def test_bad_options_are_config_errors(postgres, kwargs, fragment):
    err = raises_code("INVALID_CONFIG", lambda: nucleus.PostgresStorage(postgres.dsn(), **kwargs))
    assert fragment in err.message


@pytest.mark.parametrize("dsn", ["", "   ", "not a = valid = dsn", "host='unterminated"])
def test_bad_connection_strings_are_config_errors(dsn):
    raises_code("INVALID_CONFIG", lambda: nucleus.PostgresStorage(dsn))


def test_a_ledger_survives_reopening_and_serves_reads(make):
    with nucleus.Ledger.open("orders", make()) as lg:
        hashes = [lg.append(rec(i, ts=T0 + i)) for i in range(5)]
        hashes += lg.append_batch([rec(i, stream="other", ts=T0 + i) for i in range(5, 10)])
        assert lg.has_storage()
    with nucleus.Ledger.open("orders", make()) as lg:
        assert len(lg) == 10 and lg.latest_hash == hashes[-1]
        assert lg.get(hashes[3]) == {"id": "r3", "stream": "events", "timestamp": T0 + 3, "payload": {"n": 3}}
        assert lg.get_by_id("r7")["payload"] == {"n": 7}
        page = lg.query(stream="other", order="desc", limit=2)
        assert [r["id"] for r in page.records] == ["r9", "r8"] and page.total == 5 and page.has_more
        assert lg.query(timestamp_from=T0 + 2, timestamp_to=T0 + 3).total == 2
        assert lg.verify_storage() is True
        exported = lg.export()
    with nucleus.Ledger.open("copy-target", nucleus.MemoryStorage()) as other:
        raises_code("LEDGER_MISMATCH", lambda: other.import_entries(exported))


def test_payload_conditions_match_type_and_value_and_read_any_record(make):
    """Module filters compare canonical JSON text: 1 is not "1", and a NUL (which jsonb refuses) is fine."""
    with nucleus.Ledger.open("assets", make(), modules=[nucleus.AssetModule()]) as lg:
        lg.append({"id": "a", "stream": "assets", "payload": {"owner_oid": "x\u0000y"}})
        lg.append({"id": "b", "stream": "assets", "payload": {"owner_oid": "1"}})
        lg.append({"id": "c", "stream": "other", "payload": {"owner_oid": 1}})
        lg.append({"id": "d", "stream": "other", "payload": ["x\u0000y"]})
        assert [r["id"] for r in lg.query(module_filters={"asset": {"owner_oid": "x\u0000y"}}).records] == ["a"]
        assert [r["id"] for r in lg.query(module_filters={"asset": {"owner_oid": "1"}}).records] == ["b"]
        assert lg.get_by_id("a")["payload"]["owner_oid"] == "x\u0000y"


class _Levels(nucleus.Module):
    """Filters by ``level`` and ``Level`` (declared, so indexed) and by ``other`` (read from every row)."""

    id = "levels"
    filter_fields = ("level", "Level")

    def query_conditions(self, filter: dict[str, Any]) -> list[tuple[str, Any]]:
        return list(filter.items())


def test_module_filters_use_an_index_and_answer_as_reading_every_row(make, postgres, pg_schema):
    """The fields modules declare get a partial expression index (the ledger id leading); the planner uses it for a
    module-filtered query, whose answer equals the one from reading every row, NULs included."""
    values: list[Any] = [1, "1", True, None, "x\u0000y", [1], {"level": 1}]
    records = [
        {"id": f"r{i}", "stream": "s", "payload": {"level": values[i % len(values)], "Level": i % 3, "other": i % 2}}
        for i in range(600)
    ]
    with nucleus.Ledger.open("levels", make(), modules=[_Levels()]) as lg:
        lg.append_batch(records)
        names = {r[0] for r in postgres.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (pg_schema,))}
        assert sum(n.startswith("entries_by_payload_level_") for n in names) == 2  # level and Level: two indexes
        for filt in [{"level": 1}, {"level": "1"}, {"level": True}, {"level": "x\u0000y"}, {"level": 1, "Level": 2}]:
            got = [r["id"] for r in lg.query(module_filters={"levels": filt}, limit=1000).records]
            want = [
                r["id"]
                for r in records
                if all(r["payload"].get(k) == v and type(r["payload"].get(k)) is type(v) for k, v in filt.items())
            ]
            assert got == want, filt
        postgres.execute(f'ANALYZE "{pg_schema}".entries')
        plan = postgres.execute(
            f"EXPLAIN SELECT seq FROM \"{pg_schema}\".entries WHERE ledger_id = 'levels' AND "
            "strpos(record, '\\u0000') = 0 AND ((record::json -> 'payload' -> 'level')::text) = '1'"
        )
        assert "entries_by_payload_level_" in "\n".join(row[0] for row in plan)
    # A second storage of the same schema finds the indexes there and creates nothing twice.
    with nucleus.Ledger.open("levels", make(), modules=[_Levels()]) as lg:
        assert len(lg.query(module_filters={"levels": {"level": 1}}, limit=1000).records) == 86


def test_many_ledgers_in_one_schema_are_independent(make, postgres, pg_schema):
    a, b = nucleus.Ledger.open("a", make()), nucleus.Ledger.open("b", make())
    try:
        ha = a.append_batch([rec(i, ts=T0) for i in range(3)])
        hb = b.append(rec(0, ts=T0))
        assert (len(a), len(b)) == (3, 1)
        assert b.get(ha[0]) is None and a.get(hb) is None
        assert a.query().total == 3 and b.query().total == 1
    finally:
        a.close()
        b.close()
    rows = postgres.execute(f'SELECT ledger_id, size FROM "{pg_schema}".ledgers ORDER BY ledger_id')
    assert rows == [("a", 3), ("b", 1)]
    # Every key starts with the ledger id, so a distributed PostgreSQL can shard both tables by it.
    keys = postgres.execute(
        "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = %s::regnamespace AND contype IN ('p', 'u') ORDER BY 1, 2",
        (pg_schema,),
    )
    assert all("(ledger_id" in definition for _, definition in keys if "meta" not in _), keys


def test_one_storage_object_serves_one_ledger(make):
    s = make()
    with nucleus.Ledger.open("a", s):
        raises_code("LEDGER_MISMATCH", lambda: s.open("b"))


def test_opening_without_create_refuses_a_missing_ledger(make):
    s = make()
    err = raises_code("STORAGE_ERROR", lambda: s.open("nope", create=False))
    assert err.details["reason"] == "missing"
    with nucleus.Ledger.open("exists", make()):
        pass
    err = raises_code("STORAGE_ERROR", lambda: make().open("nope", create=False))
    assert err.details["reason"] == "missing"
    # Access control without an owner never creates a ledger.
    raises_code("INVALID_CONFIG", lambda: nucleus.Ledger.open("nope", make(), acl="inMemory"))


def test_a_newer_schema_version_is_refused_and_left_alone(make, postgres, pg_schema):
    with nucleus.Ledger.open("a", make()):
        pass
    postgres.execute(f"UPDATE \"{pg_schema}\".meta SET value = '99' WHERE key = 'schema_version'")
    err = raises_code("LEDGER_MISMATCH", lambda: nucleus.Ledger.open("a", make()))
    assert err.details["reason"] == "newer_schema" and err.details["found"] == 99
    assert postgres.execute(f"SELECT value FROM \"{pg_schema}\".meta WHERE key = 'schema_version'") == [("99",)]


def test_a_schema_holding_other_tables_is_not_taken_over(make, postgres, pg_schema):
    postgres.execute(f'CREATE SCHEMA "{pg_schema}"')
    postgres.execute(f'CREATE TABLE "{pg_schema}".customers (id int)')
    err = raises_code("LEDGER_MISMATCH", lambda: nucleus.Ledger.open("a", make()))
    assert err.details["reason"] == "not_a_ledger"
    tables = postgres.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (pg_schema,))
    assert tables == [("customers",)]


def test_an_empty_existing_schema_is_used(make, postgres, pg_schema):
    postgres.execute(f'CREATE SCHEMA "{pg_schema}"')
    with nucleus.Ledger.open("a", make()) as lg:
        lg.append(rec(1))
        assert len(lg) == 1


@pytest.mark.host_only  # threads, which Pyodide has not
def test_the_migrations_run_once_for_processes_opening_a_new_schema_together(make):
    """Two storages creating the same new schema at once: the advisory lock makes one create it, the other use it."""
    import threading

    errors: list[BaseException] = []

    def opener(name: str) -> None:
        try:
            with nucleus.Ledger.open(name, make()) as lg:
                lg.append(rec(1))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=opener, args=(f"l{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


# -- two writers of one ledger, in one process -------------------------------------------------------------------


def test_a_writer_takes_in_the_other_writers_entries_before_its_own(make):
    with nucleus.Ledger.open("shared", make()) as one, nucleus.Ledger.open("shared", make()) as two:
        h1 = one.append(rec(1, ts=T0 + 10))
        h2 = two.append(rec(2, ts=T0 + 20))  # chained after h1, which `two` never appended
        assert two.get_entry(h2).prev_hash == h1
        # Reads take in what others committed: `one` sees entry 2 without appending.
        assert len(one) == 2 and one.latest_hash == h2 and one.get(h2)["id"] == "r2"
        assert one.checkpoint() == two.checkpoint()
        h3 = one.append_batch([rec(3, ts=T0 + 20), rec(4, ts=T0 + 30)])
        two.verify()  # the chain extends what `two` verified: fine, and `two` moves on
        assert len(two) == 4 and two.latest_hash == h3[-1]
        assert [e["id"] for e in two.query().records] == ["r1", "r2", "r3", "r4"]


def test_engine_stamped_timestamps_move_up_to_the_other_writers_last(make):
    with nucleus.Ledger.open("clock", make()) as one, nucleus.Ledger.open("clock", make()) as two:
        one.append(rec(0, ts=T0))
        two.append(rec(1))  # stamped now
        future = 2**52  # far ahead of any clock
        one.append(rec(2, ts=future))
        # `two` prepares with its stale tip (stamping now), then meets the future timestamp inside the transaction.
        two._sync = lambda: None  # type: ignore[method-assign]
        h = two.append_batch([rec(3), rec(4)])
        stamps = [two.get_entry(x).record["timestamp"] for x in h]
        assert stamps == [future, future]
        two.verify()


def test_a_callers_timestamp_below_another_writers_is_refused_and_nothing_is_written(make):
    with nucleus.Ledger.open("clock", make()) as one, nucleus.Ledger.open("clock", make()) as two:
        two.append(rec(0, ts=T0))
        future = 2**52
        one.append(rec(1, ts=future))
        # `two` checks its records against its own stale tip; inside the transaction the ledger ends at `future`:
        # the stamped first record moves up to it, the second one's own timestamp is below it and is refused.
        checked = two._tip
        two._sync = lambda: None  # type: ignore[method-assign]  # keep the stale tip until the transaction
        mine = time.time_ns() // 1_000_000 + 100_000  # later than the stamp of record 2, earlier than `future`
        err = raises_code("INVALID_RECORD", lambda: two.append_batch([rec(2), rec(3, ts=mine)]))
        assert err.details["index"] == 1 and err.details["floor"] == future
        assert err.message.startswith(f"records[1]: record.timestamp {mine} is earlier")
        assert two._tip != checked  # it did take the other writer's entry in
        assert len(one) == 2


def test_unique_ids_hold_across_writers(make):
    options = {"uniqueIds": True}
    with (
        nucleus.Ledger.open("ids", make(), options=options) as one,
        nucleus.Ledger.open("ids", make(), options=options) as two,
    ):
        one.append(rec(1))
        two._sync = lambda: None  # type: ignore[method-assign]  # prepare against a stale tip
        err = raises_code("INVALID_RECORD", lambda: two.append_batch([rec(2), rec(1)]))
        assert err.details["index"] == 1 and "exists already" in err.message
        assert len(one) == 1


def test_max_entries_holds_across_writers(make):
    options = {"maxEntries": 2}
    with (
        nucleus.Ledger.open("full", make(), options=options) as one,
        nucleus.Ledger.open("full", make(), options=options) as two,
    ):
        one.append_batch([rec(1), rec(2)])
        two._sync = lambda: None  # type: ignore[method-assign]
        raises_code("LEDGER_FULL", lambda: two.append(rec(3)))


def test_access_control_lives_in_the_shared_chain(make):
    ctx_owner, ctx_alice = {"requesterOid": OWNER}, {"requesterOid": ALICE}
    with (
        nucleus.Ledger.open("acl", make(), acl="inMemory", owner=OWNER) as one,
        nucleus.Ledger.open("acl", make(), acl="inMemory", owner=OWNER) as two,
    ):
        assert len(two) == 1  # one owner entry, written once although both asked for the owner
        raises_code("ACCESS_DENIED", lambda: two.append(rec(1), ctx_alice))
        one.acl.grant({"subjectOid": ALICE, "resourceOid": "oid:onoal:ledger:acl", "action": "write"}, ctx_owner)
        two.append(rec(1), ctx_alice)  # `two` takes the grant in before deciding
        assert one.acl.revoke(ALICE, "oid:onoal:ledger:acl", "write", ctx_owner) is True
        raises_code("ACCESS_DENIED", lambda: two.append(rec(2), ctx_alice))
        resource = "oid:onoal:ledger:acl"
        # Both writers revoke the same grant: the second finds it gone inside its transaction and writes nothing.
        one.acl.grant({"subjectOid": ALICE, "resourceOid": resource, "action": "write"}, ctx_owner)
        assert len(two) == len(one)  # `two` has seen the grant
        two._sync = lambda: None  # type: ignore[method-assign]  # from here on `two` decides on a stale state
        assert one.acl.revoke(ALICE, resource, "write", ctx_owner) is True
        size = len(one)
        assert two.acl.revoke(ALICE, resource, "write", ctx_owner) is False
        assert len(one) == size
        # A grant by an admin whom another writer demoted meanwhile is refused inside the transaction, unwritten.
        del two._sync
        one.acl.grant({"subjectOid": ALICE, "resourceOid": resource, "action": "admin"}, ctx_owner)
        assert len(two) == len(one)
        two._sync = lambda: None  # type: ignore[method-assign]
        one.acl.revoke(ALICE, resource, "admin", ctx_owner)
        size = len(one)
        bob = {"subjectOid": "oid:onoal:user:bob", "resourceOid": resource, "action": "write"}
        err = raises_code("ACCESS_DENIED", lambda: two.acl.grant(bob, ctx_alice))
        assert err.details["reason"] == "changed_meanwhile"
        assert len(one) == size
    with nucleus.Ledger.open("acl", make(), acl="inMemory", owner=OWNER) as again:
        assert not again.acl.check(ALICE, "oid:onoal:ledger:acl", "write")
        assert again.acl.list_grants(ALICE) == []
        raises_code("LEDGER_MISMATCH", lambda: nucleus.Ledger.open("acl", make(), acl="inMemory", owner=ALICE))


def test_an_owner_is_written_once_when_two_writers_create_it(make):
    with nucleus.Ledger.open("race", make()) as first:
        first.append(rec(0, ts=T0))
    s1, s2 = make(), make()
    one = nucleus.Ledger.open("race", s1)
    two = nucleus.Ledger.open("race", s2)
    try:
        one._settle_owner(OWNER)
        two._settle_owner(OWNER)  # its state said no owner: the catch-up finds it, and nothing is written
        assert len(two) == 2 and two.acl.owner == OWNER
        raises_code("LEDGER_MISMATCH", lambda: two._settle_owner(ALICE))
    finally:
        one.close()
        two.close()


def test_import_on_shared_storage_skips_what_another_writer_stored(make):
    source = nucleus.Ledger.open("imp", nucleus.MemoryStorage())
    source.append_batch([rec(i, ts=T0 + i) for i in range(6)])
    lines = source.export_lines()
    text = "".join(line + "\n" for line in lines)
    with nucleus.Ledger.open("imp", make()) as one, nucleus.Ledger.open("imp", make()) as two:
        assert one.import_entries(text) == 6
        assert two.import_entries(text) == 0  # the same export: nothing left to add
        assert len(two) == 6 and two.checkpoint() == source.checkpoint()


def test_a_closed_storage_refuses_with_a_code(make):
    s = make()
    lg = nucleus.Ledger.open("closed", s)
    lg.close()
    raises_code("LEDGER_CLOSED", lambda: lg.append(rec(1)))
    err = raises_code("STORAGE_ERROR", lambda: s.count())
    assert err.details["reason"] == "closed"


def test_long_catch_ups_and_verifications_stream_and_abandoned_streams_end(make, postgres):
    """More than 1,024 rows to take in (a cursor inside the append transaction), more than one fetch of 4,096 rows
    to verify, and a stream dropped unfinished: its connection and transaction end with it."""
    import gc

    with nucleus.Ledger.open("long", make()) as one, nucleus.Ledger.open("long", make()) as two:
        one.append_batch([rec(i, ts=T0) for i in range(5000)])
        two._sync = lambda: None  # type: ignore[method-assign]  # the whole catch-up happens under the lock
        h = two.append(rec(5000, ts=T0))
        assert two.get_entry(h).seq == 5000
        del two._sync
        two.verify()
        assert len(one) == 5001
    storage = make(application_name="nucleus-abandoned")
    with nucleus.Ledger.open("long", storage) as lg:
        assert len(lg) == 5001
        rows = storage.rows()
        assert next(rows)[0] == 0
        lines = lg.export_lines()
        assert next(lines).startswith('{"format":"nucleus-export"')
        active = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nucleus-abandoned'"
        assert postgres.execute(active) == [(3,)]  # the ledger's own, and one per stream
        del rows, lines
        gc.collect()
        deadline = time.monotonic() + 10  # a backend leaves pg_stat_activity a moment after its client closed
        while postgres.execute(active) != [(1,)] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert postgres.execute(active) == [(1,)]
