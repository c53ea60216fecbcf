"""The ledger file lock: one opener at a time, across threads and processes, with stale-lock recovery.

``lock=True`` is explicit: the default is off under Emscripten, where the JS host holds the lock.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nucleus
from support import file_state, lock_path, raises_code, rec

PY = str(Path(__file__).resolve().parents[1] / "py")
HOLDER = """
import sys
sys.path.insert(0, sys.argv[1])
import nucleus
lg = nucleus.Ledger.open("test", nucleus.SqliteStorage(sys.argv[2]))
lg.append({"id": "child", "stream": "s", "payload": {}})
print("ready", flush=True)
sys.stdin.readline()
lg.close()
"""


def _spawn_holder(db: Path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, PY, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "ready"
    return child


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_second_opener_in_the_same_process(tmp_path: Path):
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)) as first:
        first.append(rec(0))
        before = file_state(db)
        err = raises_code(
            "LEDGER_LOCKED",
            lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)),
            nucleus.LedgerLocked,
        )
        assert f"process {os.getpid()}" in err.message
        assert err.details["holder"]["pid"] == os.getpid()
        assert file_state(db) == before
        first.append(rec(1))  # the refused opener did not take the lock away
        assert json.loads(lock_path(db).read_text())["pid"] == os.getpid()
    assert not lock_path(db).exists()
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)) as again:
        assert len(again) == 2


@pytest.mark.host_only  # starts a Python process
def test_a_second_opener_in_another_process(tmp_path: Path):
    db = tmp_path / "ledger.db"
    child = _spawn_holder(db)
    try:
        err = raises_code("LEDGER_LOCKED", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)))
        assert f"process {child.pid}" in err.message and err.details["holder"]["pid"] == child.pid
        assert err.details["holder"]["tool"] == "nucleus-py"
    finally:
        child.stdin.write("\n")
        child.stdin.close()
        assert child.wait(timeout=30) == 0
    assert not lock_path(db).exists()
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)) as lg:
        assert lg.get_by_id("child") is not None


@pytest.mark.host_only  # starts and kills a Python process
def test_the_lock_of_a_killed_process_is_recovered(tmp_path: Path):
    db = tmp_path / "ledger.db"
    child = _spawn_holder(db)
    child.kill()  # no atexit, no close: the lock file stays behind
    child.wait(timeout=30)
    assert json.loads(lock_path(db).read_text())["pid"] == child.pid
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)) as lg:
        assert lg.get_by_id("child") is not None  # its committed append survived the kill
        assert json.loads(lock_path(db).read_text())["pid"] == os.getpid()
        lg.append({"id": "after", "stream": "s", "payload": {}})
        assert len(lg) == 2


def _write_lock(db: Path, **holder) -> None:
    info = {"pid": os.getpid(), "hostname": socket.gethostname(), "createdAt": 0, "tool": "test", **holder}
    lock_path(db).write_text(json.dumps(info))


@pytest.mark.host_only  # starts a process for a dead pid; staleness is os.kill-based
def test_a_stale_lock_with_a_dead_pid_is_recovered(tmp_path: Path):
    db = tmp_path / "ledger.db"
    _write_lock(db, pid=_dead_pid())
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)) as lg:
        lg.append(rec(0))
        assert json.loads(lock_path(db).read_text())["pid"] == os.getpid()


@pytest.mark.host_only  # staleness is os.kill-based; Emscripten has no processes
def test_a_live_pid_on_this_host_holds(tmp_path: Path):
    db = tmp_path / "ledger.db"
    _write_lock(db, pid=1)  # init is always alive
    err = raises_code("LEDGER_LOCKED", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)))
    assert "process 1 " in err.message
    assert json.loads(lock_path(db).read_text())["pid"] == 1  # not stolen
    assert not db.exists()


@pytest.mark.host_only  # starts a process for a dead pid
def test_a_lock_from_another_host_is_never_stolen(tmp_path: Path):
    db = tmp_path / "ledger.db"
    _write_lock(db, pid=_dead_pid(), hostname="elsewhere.example")
    err = raises_code("LEDGER_LOCKED", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)))
    assert "elsewhere.example" in err.message and str(lock_path(db)) in err.message  # says what to delete


@pytest.mark.parametrize(("age", "code"), [(0, "LEDGER_LOCKED"), (60, None)])
def test_an_empty_lock_file(tmp_path: Path, age: int, code: str | None):
    """An empty lock file is a crash between create and write: stale once it is old, held while it is new."""
    db = tmp_path / "ledger.db"
    lock_path(db).write_bytes(b"")
    old = time.time() - age
    os.utime(lock_path(db), (old, old))
    if code:
        raises_code(code, lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)))
    else:
        nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)).close()
        assert not lock_path(db).exists()


def test_the_default_locks_except_under_emscripten(tmp_path: Path):
    """Under Emscripten (Pyodide) the JS host holds the lock (js/src/runtime/node/lock.ts), so the engine does not."""
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)):
        assert lock_path(db).exists() is (sys.platform != "emscripten")
    assert not lock_path(db).exists()


def test_lock_false_skips_the_lock_file(tmp_path: Path):
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=False)) as lg:
        lg.append(rec(0))
        assert not lock_path(db).exists()


def test_failed_opens_release_the_lock(tmp_path: Path):
    db = tmp_path / "ledger.db"
    nucleus.Ledger.open("other", nucleus.SqliteStorage(db, lock=True)).close()
    raises_code("LEDGER_MISMATCH", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)))
    assert not lock_path(db).exists()
    nucleus.Ledger.open("other", nucleus.SqliteStorage(db, lock=True)).close()
