"""Both storage backends pass the exported conformance suite, nucleus.testing.check_storage, and the suite
fails backends that break the contract."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import nucleus
from nucleus._entry import Entry
from nucleus.storage.memory import MemoryStorage
from nucleus.testing import check_storage


def test_memory_storage_conforms():
    check_storage(MemoryStorage)


def test_sqlite_storage_conforms(tmp_path: Path):
    check_storage(lambda: nucleus.SqliteStorage(tmp_path / "conformance.db"))


def test_sqlite_storage_conforms_without_the_lock_file(tmp_path: Path):
    check_storage(lambda: nucleus.SqliteStorage(tmp_path / "conformance.db", lock=False, durability="fast"))


def test_sqlite_rows_from_zero_include_negative_seqs(tmp_path: Path):
    """rows() from 0 must hand the verifier every row there is, a forged one at a negative seq included."""
    path = tmp_path / "neg.db"
    with nucleus.Ledger.open("neg", nucleus.SqliteStorage(path)) as ledger:
        ledger.append({"id": "r", "stream": "s", "timestamp": 1, "payload": {}})
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO entries (seq, hash, prev_hash, record_id, stream, timestamp, record) "
            "SELECT -1, 'x' || hash, prev_hash, record_id, stream, timestamp, record FROM entries WHERE seq = 0"
        )
    conn.close()
    s = nucleus.SqliteStorage(path, read_only=True)
    s.open("neg")
    try:
        assert [row[0] for row in s.rows()] == [-1, 0]
        assert [row[0] for row in s.rows(1)] == []
    finally:
        s.close()


# -- the suite catches broken backends ---------------------------------------------------------------


def _sqlite_suite(tmp_path: Path, cls: type) -> None:
    check_storage(lambda: cls(tmp_path / "c.db"))


def test_the_suite_catches_a_backend_that_forgets_to_roll_back(tmp_path: Path):
    """The suite itself must fail a backend that breaks the contract (here: a batch written row by row)."""

    class RowByRow(nucleus.SqliteStorage):
        def append(self, entries, nodes=()):
            for entry in entries:
                super().append([entry])
            super().append([], nodes)

    with pytest.raises(AssertionError, match="left a trace"):
        _sqlite_suite(tmp_path, RowByRow)


def test_the_suite_catches_a_backend_that_writes_tree_nodes_apart(tmp_path: Path):
    class NodesApart(nucleus.SqliteStorage):
        def append(self, entries, nodes=()):
            super().append([], nodes)  # its own transaction: stays when the entries are refused
            super().append(entries)

    with pytest.raises(AssertionError, match="left a trace"):
        _sqlite_suite(tmp_path, NodesApart)


def test_the_suite_catches_a_backend_that_drops_tree_nodes(tmp_path: Path):
    class NoTree(nucleus.SqliteStorage):
        def append(self, entries, nodes=()):
            super().append(entries)

    with pytest.raises(AssertionError, match="tree_nodes"):
        _sqlite_suite(tmp_path, NoTree)


def test_the_suite_catches_a_backend_that_loses_entries_on_reopen(tmp_path: Path):
    path = tmp_path / "c.db"

    class Forgetful(nucleus.SqliteStorage):
        def open(self, ledger_id, *, create=True):
            meta = super().open(ledger_id, create=create)
            self._conn.execute("DELETE FROM entries WHERE seq = (SELECT max(seq) FROM entries)")
            return meta

    def make():  # forgetful only once the file exists: from the first reopen
        return (Forgetful if path.exists() else nucleus.SqliteStorage)(path)

    with pytest.raises(AssertionError, match="count"):
        check_storage(make)


def test_the_suite_catches_a_backend_that_creates_when_told_not_to(tmp_path: Path):
    class CreatesAnyway(nucleus.SqliteStorage):
        def open(self, ledger_id, *, create=True):
            return super().open(ledger_id, create=True)

    with pytest.raises(AssertionError, match=r"create=False.*expected STORAGE_ERROR"):
        _sqlite_suite(tmp_path, CreatesAnyway)


def test_the_suite_catches_a_backend_that_serves_entries_past_end(tmp_path: Path):
    class IgnoresEnd(nucleus.SqliteStorage):
        def get(self, entry_hash, end):
            return super().get(entry_hash, 2**62)

    with pytest.raises(AssertionError, match=r"get\(\) served entry"):
        _sqlite_suite(tmp_path, IgnoresEnd)


def test_the_suite_catches_a_backend_that_finds_reserved_streams_by_id(tmp_path: Path):
    class ShowsReserved(nucleus.SqliteStorage):
        def latest_by_id(self, record_id, end):
            row = self._conn.execute(
                "SELECT seq, hash, prev_hash, record_id, stream, timestamp, record FROM entries "
                "WHERE record_id = ? AND seq >= 0 AND seq < ? ORDER BY seq DESC LIMIT 1",
                (record_id, end),
            ).fetchone()
            return None if row is None else Entry(*row)

    with pytest.raises(AssertionError, match="leaving out reserved streams"):
        _sqlite_suite(tmp_path, ShowsReserved)


def test_the_suite_catches_a_backend_that_queries_reserved_streams(tmp_path: Path):
    class LeaksReserved(nucleus.SqliteStorage):
        def query(self, spec):
            page, total = super().query(spec)
            if spec.stream is None and spec.record_id is None and not spec.conditions:
                extra = [e for e in self.entries() if e.stream.startswith("nucleus.") and e.seq < (spec.end or 2**62)]
                return page, total + len(extra)
            return page, total

    with pytest.raises(AssertionError, match=r"query\("):
        _sqlite_suite(tmp_path, LeaksReserved)


def test_the_suite_catches_a_backend_with_old_rows(tmp_path: Path):
    class FiveTuples(nucleus.SqliteStorage):
        def rows(self, start_seq=0):
            for seq, h, prev, _rid, _stream, ts, data in super().rows(start_seq):
                yield seq, h, prev, ts, data

    with pytest.raises(AssertionError, match=r"rows\(\) must yield"):
        _sqlite_suite(tmp_path, FiveTuples)
