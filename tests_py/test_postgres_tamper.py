"""Rows edited, deleted or inserted in PostgreSQL behind the engine's back: found on open, by ``verify()`` of an open
ledger, and by a writer taking the rows in before its own append (which then writes nothing), with ``CHAIN_INVALID``
naming the seq and the kind. Another ledger of the same schema is not affected. Runs inside Pyodide too, through the
npm package's PostgreSQL channel (tests_py/pyodide)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import nucleus
from nucleus._hashing import entry_hash
from support import T0, raises_code

N = 8


def rec(i: int, stream: str = "events") -> dict[str, Any]:
    return {"id": f"r{i}", "stream": stream, "timestamp": T0 + i, "payload": {"n": i}}


@pytest.fixture
def built(postgres, pg_schema) -> Callable[[], nucleus.PostgresStorage]:
    """Ledger ``t`` with entries r0..r7 (and ledger ``bystander`` with two) in this test's schema; a storage factory."""

    def make() -> nucleus.PostgresStorage:
        return nucleus.PostgresStorage(postgres.dsn(), schema=pg_schema)

    with nucleus.Ledger.open("t", make()) as lg:
        lg.append_batch([rec(i) for i in range(N)])
    with nucleus.Ledger.open("bystander", make()) as lg:
        lg.append_batch([rec(i) for i in range(2)])
    return make


def _sql(postgres, pg_schema: str) -> Callable[..., Any]:
    def run(statement: str, params: Any = None) -> Any:
        return postgres.execute(statement.replace("{s}", f'"{pg_schema}"'), params)

    return run


def _entry(i: int, prev: str | None) -> tuple[int, str, str | None, str, str, int, str]:
    """Entry ``i`` of ledger ``t`` as the engine would write it after ``prev``: a valid row in every respect."""
    text = nucleus.canonicalize(rec(i)).decode()
    return (i, entry_hash("t", i, prev, text.encode()), prev, f"r{i}", "events", T0 + i, text)


def _hash_of(sql: Callable[..., Any], seq: int) -> str:
    return str(sql("SELECT hash FROM {s}.entries WHERE ledger_id = 't' AND seq = %s", (seq,))[0][0])


TAMPERS: dict[str, tuple[Callable[[Callable[..., Any]], None], int, str]] = {
    "record edited": (
        lambda sql: sql(
            "UPDATE {s}.entries SET record = replace(record, '\"n\":3', '\"n\":4') WHERE ledger_id = 't' AND seq = 3"
        ),
        3,
        "hash",
    ),
    "hash edited": (
        lambda sql: sql("UPDATE {s}.entries SET hash = repeat('0', 64) WHERE ledger_id = 't' AND seq = 2"),
        2,
        "hash",
    ),
    "stream column edited": (
        lambda sql: sql("UPDATE {s}.entries SET stream = 'other' WHERE ledger_id = 't' AND seq = 5"),
        5,
        "derived",
    ),
    "a middle row deleted": (
        lambda sql: sql("DELETE FROM {s}.entries WHERE ledger_id = 't' AND seq = 4"),
        4,
        "sequence",
    ),
    "the last row deleted": (
        lambda sql: sql("DELETE FROM {s}.entries WHERE ledger_id = 't' AND seq = %s", (N - 1,)),
        N - 1,
        "sequence",
    ),
    "a valid row inserted past the head": (
        lambda sql: sql(
            "INSERT INTO {s}.entries (ledger_id, seq, hash, prev_hash, record_id, stream, timestamp, record) "
            "VALUES ('t', %s, %s, %s, %s, %s, %s, %s)",
            _entry(N, _hash_of(sql, N - 1)),
        ),
        N,
        "sequence",
    ),
    "a row inserted at seq -1": (
        lambda sql: sql(
            "INSERT INTO {s}.entries (ledger_id, seq, hash, prev_hash, record_id, stream, timestamp, record) "
            "SELECT ledger_id, -1, 'x' || hash, prev_hash, record_id, stream, timestamp, record FROM {s}.entries "
            "WHERE ledger_id = 't' AND seq = 0"
        ),
        0,
        "sequence",
    ),
    "the head's hash edited": (
        lambda sql: sql("UPDATE {s}.ledgers SET head = repeat('a', 64) WHERE ledger_id = 't'"),
        N - 1,
        "link",
    ),
    "the format edited": (
        lambda sql: sql("UPDATE {s}.ledgers SET format_version = 1 WHERE ledger_id = 't'"),
        0,
        "format",
    ),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_found_on_open(built, postgres, pg_schema, name):
    tamper, seq, kind = TAMPERS[name]
    tamper(_sql(postgres, pg_schema))
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("t", built()))
    assert (err.details["seq"], err.details["kind"]) == (seq, kind), err.message
    with nucleus.Ledger.open("bystander", built()) as other:  # the other ledger of the schema is untouched
        assert len(other) == 2
        other.verify()


@pytest.mark.parametrize("name", list(TAMPERS))
def test_found_by_verify_of_an_open_ledger(built, postgres, pg_schema, name):
    tamper, seq, kind = TAMPERS[name]
    with nucleus.Ledger.open("t", built()) as lg:
        tamper(_sql(postgres, pg_schema))
        err = raises_code("CHAIN_INVALID", lg.verify)
        assert (err.details["seq"], err.details["kind"]) == (seq, kind), err.message


def test_an_earlier_fault_wins_over_a_missing_tail(built, postgres, pg_schema):
    """The head is checked after the walk: a bad row before the end is named, not the deleted last row."""
    sql = _sql(postgres, pg_schema)
    TAMPERS["record edited"][0](sql)
    TAMPERS["the last row deleted"][0](sql)
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("t", built()))
    assert (err.details["seq"], err.details["kind"]) == (3, "hash")


def test_a_writer_refuses_to_chain_after_another_writers_forged_row(built, postgres, pg_schema):
    """A row written around the lock after this writer's tip is verified before anything is chained after it."""
    sql = _sql(postgres, pg_schema)
    with nucleus.Ledger.open("t", built()) as lg:
        forged = list(_entry(N, _hash_of(sql, N - 1)))
        forged[6] = forged[6].replace('"n":8', '"n":9')  # its hash no longer matches its record
        sql(
            "INSERT INTO {s}.entries (ledger_id, seq, hash, prev_hash, record_id, stream, timestamp, record) "
            "VALUES ('t', %s, %s, %s, %s, %s, %s, %s)",
            forged,
        )
        sql("UPDATE {s}.ledgers SET size = size + 1, head = %s WHERE ledger_id = 't'", (forged[1],))
        err = raises_code("CHAIN_INVALID", lambda: lg.append(rec(20)))
        assert (err.details["seq"], err.details["kind"]) == (N, "hash")
    assert sql("SELECT count(*) FROM {s}.entries WHERE ledger_id = 't'") == [(N + 1,)]  # nothing was added


def test_a_truncation_under_an_open_writer_is_refused(built, postgres, pg_schema):
    """Rows removed together with the head moved back: the writer, which verified more, refuses to go on."""
    sql = _sql(postgres, pg_schema)
    with nucleus.Ledger.open("t", built()) as lg:
        sql("DELETE FROM {s}.entries WHERE ledger_id = 't' AND seq >= 6")
        sql("UPDATE {s}.ledgers SET size = 6, head = %s WHERE ledger_id = 't'", (_hash_of(sql, 5),))
        err = raises_code("CHAIN_INVALID", lambda: lg.append(rec(20)))
        assert (err.details["seq"], err.details["kind"]) == (6, "checkpoint")
        err = raises_code("CHAIN_INVALID", lambda: len(lg))
        assert err.details["kind"] == "checkpoint"
    # A new opening cannot tell (the chain and its head agree); a kept checkpoint can.
    with nucleus.Ledger.open("t", built()) as lg:
        assert len(lg) == 6
    kept = {"size": N, "hash": "f" * 64}
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("t", built(), checkpoint=kept))
    assert (err.details["seq"], err.details["kind"]) == (6, "checkpoint")


# -- the schema's definitions: no hash covers them ------------------------------------------------------------


def test_a_freshly_migrated_schema_reads_back_as_table_columns(built, postgres, pg_schema):
    """The shape the open checks against is what the migrations make (so the two cannot drift apart)."""
    from nucleus.storage._pg_schema import TABLE_COLUMNS, TABLE_SHAPE_SQL

    assert dict(postgres.execute(TABLE_SHAPE_SQL, (pg_schema,))) == TABLE_COLUMNS


SCHEMA_TAMPERS: dict[str, tuple[tuple[str, ...], str]] = {
    # a case-insensitive comparison: a query by stream "events" would also match "EVENTS"
    "collation": (
        (
            'CREATE COLLATION {s}.nocase (provider = icu, locale = "und-u-ks-level2", deterministic = false)',
            "ALTER TABLE {s}.entries ALTER COLUMN stream TYPE text COLLATE {s}.nocase",
        ),
        "table entries defined otherwise",
    ),
    "type": (("ALTER TABLE {s}.entries ALTER COLUMN timestamp TYPE numeric",), "table entries defined otherwise"),
    "not null dropped": (("ALTER TABLE {s}.tree ALTER COLUMN hash DROP NOT NULL",), "table tree defined otherwise"),
    "extra column": (("ALTER TABLE {s}.ledgers ADD COLUMN note text",), "table ledgers defined otherwise"),
    # would rewrite entry 0 on the next append
    "trigger": (
        (
            "CREATE FUNCTION {s}.rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE {s}.entries SET "
            "record = replace(record, '\"n\":0', '\"n\":9') WHERE seq = 0; RETURN NEW; END $$",
            "CREATE TRIGGER rewrite AFTER INSERT ON {s}.entries FOR EACH ROW EXECUTE FUNCTION {s}.rewrite()",
        ),
        "trigger 'rewrite' on entries",
    ),
    # turns every append into nothing
    "rule": (("CREATE RULE swallow AS ON INSERT TO {s}.entries DO INSTEAD NOTHING",), "rule 'swallow' on entries"),
}


@pytest.mark.parametrize("name", SCHEMA_TAMPERS)
def test_a_schema_defined_otherwise_is_refused_at_open(built, postgres, pg_schema, name):
    statements, fault = SCHEMA_TAMPERS[name]
    sql = _sql(postgres, pg_schema)
    # timestamp read as bigint whatever its column's type now is (node-postgres gives a numeric as text)
    everything = "SELECT ledger_id, seq, hash, prev_hash, record_id, stream, timestamp::bigint, record FROM {s}.entries"
    rows = sql(everything + " ORDER BY ledger_id, seq")
    for statement in statements:
        sql(statement)
    for ledger_id in ("t", "bystander"):  # the schema is shared: every ledger in it refuses
        err = raises_code("CHAIN_INVALID", lambda ledger_id=ledger_id: nucleus.Ledger.open(ledger_id, built()))
        assert (err.details["seq"], err.details["kind"]) == (0, "format") and fault in err.message
    assert sql(everything + " ORDER BY ledger_id, seq") == rows
