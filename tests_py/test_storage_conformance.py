"""Both storage backends pass the exported conformance suite, nucleus.testing.check_storage."""

from __future__ import annotations

from pathlib import Path

import pytest

import nucleus
from nucleus.storage.memory import MemoryStorage
from nucleus.testing import check_storage


def test_memory_storage_conforms():
    check_storage(MemoryStorage)


def test_sqlite_storage_conforms(tmp_path: Path):
    check_storage(lambda: nucleus.SqliteStorage(tmp_path / "conformance.db"))


def test_sqlite_storage_conforms_without_the_lock_file(tmp_path: Path):
    check_storage(lambda: nucleus.SqliteStorage(tmp_path / "conformance.db", lock=False, durability="fast"))


def test_the_suite_catches_a_backend_that_forgets_to_roll_back():
    """The suite itself must fail a backend that breaks the contract (here: a batch written row by row)."""

    class RowByRow(MemoryStorage):
        def append(self, entries):
            for entry in entries:
                super().append([entry])

    with pytest.raises(AssertionError, match="left a trace"):
        check_storage(RowByRow)


def test_the_suite_catches_a_backend_that_loses_entries_on_reopen(tmp_path: Path):
    class Forgetful(nucleus.SqliteStorage):
        def open(self, ledger_id, owner):
            meta = super().open(ledger_id, owner)
            self._conn.execute("DELETE FROM entries WHERE seq = (SELECT max(seq) FROM entries)")
            return meta

    calls = []

    def make():
        calls.append(1)
        return (Forgetful if len(calls) > 2 else nucleus.SqliteStorage)(tmp_path / "c.db")

    with pytest.raises(AssertionError, match="count"):
        check_storage(make)
