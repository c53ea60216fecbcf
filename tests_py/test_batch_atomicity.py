"""A batch is all-or-nothing: in memory, in the SQLite file, and through real storage faults.

The file is read and edited with a second SQLite connection only while the ledger is closed: under Emscripten
the engine holds it in EXCLUSIVE locking mode, so no other connection of the same process can reach it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import nucleus
from support import T0, build_sqlite_ledger, db_rows, file_state, raises_code, rec, tmpfs

BAD_MIDDLE = {
    "payload not an object": ({"id": "x", "stream": "s", "timestamp": T0 + 10, "payload": "text"}, "INVALID_RECORD"),
    "NaN": ({"id": "x", "stream": "s", "timestamp": T0 + 10, "payload": {"v": math.nan}}, "INVALID_RECORD"),
    "time goes back inside the batch": (rec(0, ts=T0 - 1), "INVALID_RECORD"),
    "empty id": ({"id": "", "stream": "s", "timestamp": T0 + 10, "payload": {}}, "INVALID_RECORD"),
    "proof without issuer": (
        {"id": "p", "stream": "proofs", "timestamp": T0 + 10, "payload": {"subject_oid": "oid:onoal:user:a"}},
        "MODULE_REJECTED",
    ),
}


@pytest.mark.parametrize("case", list(BAD_MIDDLE))
def test_bad_record_in_the_middle_changes_nothing(make_storage, backend: str, tmp_path: Path, case: str):
    bad, code = BAD_MIDDLE[case]
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", make_storage(), modules=[{"id": "proof"}]) as lg:
        lg.append_batch([rec(0), rec(1), rec(2)])
        tip, size = lg.latest_hash, len(lg)
        before = file_state(db) if backend == "sqlite" else None
        batch = [rec(3), rec(4), bad, rec(5), rec(6)]
        err = raises_code(code, lambda: lg.append_batch(batch))
        assert err.details["index"] == 2
        assert err.message.startswith("records[2]: ")
        assert (len(lg), lg.latest_hash) == (size, tip)
        assert lg.query().total == size and lg.get_by_id("r3") is None
        if backend == "sqlite":
            assert file_state(db) == before
        # the ledger goes on from the same tip
        h = lg.append(rec(3))
        assert lg.get_entry(h).seq == size and lg.get_entry(h).prev_hash == tip
        lg.verify()
    if backend == "sqlite":
        assert [row[3] for row in db_rows(db)] == ["r0", "r1", "r2", "r3"]  # record_id: no row of the batch


def test_storage_fault_mid_batch_rolls_back_the_whole_transaction(tmp_path: Path):
    """A real SQLite failure on the 2nd row of a batch (a trigger aborts it) must leave no row of that batch.

    The trigger is injected through the open ledger's own connection: opening refuses a file that holds one
    (test_sqlite_schema_tamper.py), and this fault cannot be caused otherwise."""
    db = tmp_path / "ledger.db"
    tip = build_sqlite_ledger(db, 2)[-1]
    rows = db_rows(db)
    storage = nucleus.SqliteStorage(db)
    with nucleus.Ledger.open("test", storage) as lg:
        storage._require().execute(
            "CREATE TRIGGER fail_seq3 BEFORE INSERT ON entries WHEN NEW.seq = 3 "
            "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )
        err = raises_code("STORAGE_ERROR", lambda: lg.append_batch([rec(2), rec(3), rec(4)]))
        assert "injected fault" in err.message
        assert (len(lg), lg.latest_hash) == (2, tip)
        assert lg.get_by_id("r2") is None
        lg.append(rec(2))  # seq 2 was inserted before the fault and rolled back with it, or this would clash
        storage._require().execute("DROP TRIGGER fail_seq3")
    assert db_rows(db)[:2] == rows and len(db_rows(db)) == 3
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert len(lg.append_batch([rec(3), rec(4)])) == 2
        lg.verify()
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert len(lg) == 5


@pytest.mark.host_only  # mounts a tmpfs (a `mount` subprocess, as root)
def test_full_disk_refuses_the_write_and_keeps_the_ledger_consistent(tmp_path: Path):
    """A real full disk: a 256 KiB tmpfs (mounting needs root, which CI has)."""
    small = tmp_path / "small"
    small.mkdir()
    with tmpfs(small, "size=256k"):
        db = small / "ledger.db"
        blob = "x" * 20_000
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
            appended = 0
            with pytest.raises(nucleus.StorageError) as info:
                for i in range(100):
                    lg.append(rec(i, blob=blob))
                    appended += 1
            assert info.value.code == "STORAGE_ERROR" and info.value.details["reason"] == "disk_full"
            assert 0 < appended < 100
            assert len(lg) == appended == len(db_rows(db))
            size, tip = len(lg), lg.latest_hash
            raises_code("STORAGE_ERROR", lambda: lg.append_batch([rec(200, blob=blob), rec(201, blob=blob)]))
            assert (len(lg), lg.latest_hash) == (size, tip)
            lg.verify()
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
            assert (len(lg), lg.latest_hash) == (size, tip)
