"""PostgresStorage when the server or the network fails: every failure is ``STORAGE_ERROR`` with a reason, the cause
and a remedy, nothing is half-written, the next call connects again, and no call waits longer than ``timeout``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

import nucleus
from nucleus.storage.postgres import PostgresStorage
from pg_cluster import PASSWORD, free_port
from support import raises_code

pytestmark = pytest.mark.host_only  # needs a PostgreSQL server (subprocesses)


def rec(i: int) -> dict[str, Any]:
    return {"id": f"r{i}", "stream": "events", "payload": {"n": i}}


@pytest.fixture
def make(postgres, pg_schema) -> Callable[..., PostgresStorage]:
    def new(cls: type[PostgresStorage] = PostgresStorage, **kw: Any) -> PostgresStorage:
        return cls(postgres.dsn(), schema=pg_schema, **kw)

    return new


def _count(postgres, pg_schema: str, ledger_id: str) -> int:
    rows = postgres.execute(f'SELECT count(*) FROM "{pg_schema}".entries WHERE ledger_id = %s', (ledger_id,))
    return int(rows[0][0])


def test_a_wrong_password_is_coded_and_never_shown(postgres, pg_schema):
    storage = PostgresStorage(postgres.tcp_dsn(password="not-the-password"), schema=pg_schema)
    err = raises_code("STORAGE_ERROR", lambda: nucleus.Ledger.open("x", storage))
    assert err.details["reason"] == "auth"
    assert "password" in err.message and "check the user name and password" in err.message
    assert "not-the-password" not in err.message and "not-the-password" not in str(err.details)
    assert PASSWORD not in err.message


def test_an_unreachable_server_is_coded_quickly():
    port = free_port()  # nobody listens there
    storage = PostgresStorage(f"postgresql://nucleus@127.0.0.1:{port}/db", timeout=3)
    started = time.monotonic()
    err = raises_code("STORAGE_ERROR", lambda: nucleus.Ledger.open("x", storage))
    assert time.monotonic() - started < 5
    assert err.details["reason"] == "unreachable", err.message
    assert "check that the server is running" in err.message and f"127.0.0.1:{port}/db" in err.message


def test_a_missing_database_is_coded(postgres):
    storage = PostgresStorage(postgres.dsn("no_such_database"))
    err = raises_code("STORAGE_ERROR", lambda: nucleus.Ledger.open("x", storage))
    assert err.details["reason"] == "no_database", err.message


def test_a_server_stopped_mid_session_then_restarted(postgres, make, pg_schema):
    lg = nucleus.Ledger.open("restart", make())
    try:
        lg.append(rec(1))
        postgres.stop()
        try:
            err = raises_code("STORAGE_ERROR", lambda: lg.append(rec(2)))
            assert err.details["reason"] in ("connection_lost", "unreachable"), err.message
            assert "nothing of this call was written" in err.message or "check that the server" in err.message
            # While it is down every call fails fast, coded, and tries to connect again.
            err = raises_code("STORAGE_ERROR", lambda: lg.query())
            assert err.details["reason"] == "unreachable", err.message
        finally:
            postgres.start()
        assert lg.append(rec(3))  # connected again
        assert len(lg) == 2 and [r["id"] for r in lg.query().records] == ["r1", "r3"]
        lg.verify()
    finally:
        lg.close()
    assert _count(postgres, pg_schema, "restart") == 2


class _DroppedMidTransaction(PostgresStorage):
    """Its connection is killed by the server after the lock is taken and before the entries are inserted."""

    drop = True

    def _insert(self, conn: Any, ledger_id: str, entries: Any) -> None:
        if self.drop:
            self.drop = False
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        super()._insert(conn, ledger_id, entries)


def test_a_connection_dropped_mid_transaction_leaves_nothing_and_the_next_call_reconnects(postgres, make, pg_schema):
    with nucleus.Ledger.open("dropped", make(_DroppedMidTransaction)) as lg:
        err = raises_code("STORAGE_ERROR", lambda: lg.append_batch([rec(1), rec(2)]))
        assert err.details["reason"] == "connection_lost" and err.details["committed"] is False, err.message
        assert _count(postgres, pg_schema, "dropped") == 0
        assert len(lg) == 0
        lg.append_batch([rec(1), rec(2)])
        assert len(lg) == 2
        lg.verify()


class _LostCommit(PostgresStorage):
    """Once ``armed``, the answer to COMMIT never arrives: the connection breaks after (``commit``) or before the
    server committed; without ``reconnect`` the server cannot be reached afterwards either."""

    armed = False
    commit = True
    reconnect = True

    def _write_and_commit(self, conn: Any, ledger_id: str, entries: Any, nodes: Any) -> None:
        if not self.armed:
            super()._write_and_commit(conn, ledger_id, entries, nodes)
            return
        import psycopg

        self._insert(conn, ledger_id, entries)
        self._insert_nodes(conn, ledger_id, nodes)
        if self.commit:
            conn.execute("COMMIT")
        conn.close()  # the server rolls back what was not committed
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    def _connect(self, *, stream: bool = False) -> Any:
        if not self.reconnect:
            raise nucleus.StorageError("cannot reach the server", details={"reason": "unreachable"})
        return super()._connect(stream=stream)


def test_a_commit_whose_answer_was_lost_is_looked_up(postgres, make, pg_schema):
    storage = make(_LostCommit)
    with nucleus.Ledger.open("lost", storage) as lg:
        storage.armed = True
        h = lg.append(rec(1))  # committed, and found after reconnecting: reported done
        assert lg.latest_hash == h and _count(postgres, pg_schema, "lost") == 1
        storage.commit = False
        err = raises_code("STORAGE_ERROR", lambda: lg.append(rec(2)))  # not committed, and found not to be
        assert err.details["reason"] == "connection_lost" and err.details["committed"] is False
        assert _count(postgres, pg_schema, "lost") == 1
        storage.commit, storage.reconnect = True, False
        err = raises_code("STORAGE_ERROR", lambda: lg.append(rec(3)))  # committed, but nobody can tell
        assert err.details["reason"] == "commit_unknown" and err.details["committed"] is None
        assert "reopen the ledger" in err.message
        storage.reconnect = True
        assert len(lg) == 2  # the next call takes the entry in, verified, as any other writer's
        assert [r["id"] for r in lg.query().records] == ["r1", "r3"]


def test_a_held_lock_times_out_without_blocking_other_ledgers(postgres, make, pg_schema):
    import psycopg

    with nucleus.Ledger.open("busy", make(timeout=1)) as busy, nucleus.Ledger.open("free", make(timeout=1)) as free:
        busy.append(rec(0))
        holder = psycopg.connect(postgres.dsn(), connect_timeout=10)  # a transaction that holds busy's head
        try:
            holder.execute(f'SELECT 1 FROM "{pg_schema}".ledgers WHERE ledger_id = %s FOR UPDATE', ("busy",))
            started = time.monotonic()
            err = raises_code("STORAGE_ERROR", lambda: busy.append(rec(1)))
            waited = time.monotonic() - started
            assert err.details["reason"] == "timeout" and 0.9 < waited < 5, (waited, err.message)
            assert "retry, or give PostgresStorage a larger timeout" in err.message
            free.append(rec(1))  # another ledger is not blocked
        finally:
            holder.rollback()
            holder.close()
        busy.append(rec(2))
        assert len(busy) == 2 and len(free) == 1


def test_a_statement_timeout_is_coded(make):
    storage = make(timeout=0.5)
    with nucleus.Ledger.open("slow", storage):
        err = raises_code(
            "STORAGE_ERROR", lambda: storage._statement("sleeping", lambda c: c.execute("SELECT pg_sleep(3)"))
        )
        assert err.details["reason"] == "timeout" and err.details["sqlstate"] == "57014"
        assert storage.count() == 0  # the connection is usable again
