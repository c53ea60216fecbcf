"""The ledger file lock: one opener at a time, across threads and processes, with stale-lock recovery.

``lock=True`` is explicit: the default is off under Emscripten, where the JS host holds the lock.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import nucleus
from nucleus.storage._lock import FileLock
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


# The takeover protocol (docs/FORMAT.md §5): publish by link(), remove a stale file only under the claim
# `<db>.lock.takeover.<inode>`, release only what is still ours.


def _leftovers(db: Path) -> list[str]:
    """Temp files and takeover claims beside ``db``: none should outlive an acquisition."""
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(f"{db.name}.lock."))


def _claim(db: Path, target: Path, pid: int) -> Path:
    """A takeover claim on ``target`` as a process ``pid`` of this host would have left it."""
    claim = Path(f"{lock_path(db)}.takeover.{target.stat().st_ino}")
    claim.write_text(json.dumps({"pid": pid, "hostname": socket.gethostname(), "createdAt": 0, "tool": "test"}))
    return claim


@pytest.mark.host_only  # link() does not exist under Emscripten (the O_EXCL fallback is tested there)
def test_the_lock_is_published_whole_and_leaves_nothing_else(tmp_path: Path):
    db = tmp_path / "ledger.db"
    lock = FileLock(str(db))
    lock.acquire()
    try:
        holder = json.loads(lock_path(db).read_text())
        assert holder["pid"] == os.getpid() and holder["tool"] == "nucleus-py"
        assert set(holder) == {"pid", "hostname", "createdAt", "tool"}
        assert lock_path(db).stat().st_nlink == 1  # the temp name it was linked from is gone
        assert _leftovers(db) == []
    finally:
        lock.release()
    assert not lock_path(db).exists()


def test_release_leaves_a_lock_that_someone_else_made(tmp_path: Path):
    """Release removes the lock only while it is the same file (inode) with the same bytes as ours."""
    db = tmp_path / "ledger.db"
    lock = FileLock(str(db))
    lock.acquire()
    lock_path(db).unlink()  # say a user deleted it by hand, and another process then took the lock
    _write_lock(db, pid=1, tool="other")
    lock.release()
    assert json.loads(lock_path(db).read_text())["tool"] == "other"

    lock_path(db).unlink()
    lock.acquire()
    ours = lock_path(db).read_bytes()
    kept = lock_path(db).rename(tmp_path / "kept")  # kept, so the copy below cannot reuse its inode
    lock_path(db).write_bytes(ours)  # the same bytes in another file: still not ours to remove
    lock.release()
    assert lock_path(db).read_bytes() == ours and lock_path(db).stat().st_ino != kept.stat().st_ino
    lock.release()  # idempotent
    assert lock_path(db).exists()


@pytest.mark.host_only  # dead pids need processes
def test_a_takeover_that_crashed_does_not_wedge_the_lock(tmp_path: Path):
    """A process died holding the claim on a stale lock (and another died claiming that claim)."""
    db = tmp_path / "ledger.db"
    _write_lock(db, pid=_dead_pid())
    first = _claim(db, lock_path(db), _dead_pid())
    second = _claim(db, first, _dead_pid())
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)) as lg:
        lg.append(rec(0))
        assert json.loads(lock_path(db).read_text())["pid"] == os.getpid()
        assert _leftovers(db) == []
    assert not second.exists() and not first.exists() and not lock_path(db).exists()


@pytest.mark.host_only  # pid 1 must be a live process
def test_a_takeover_by_a_live_process_is_left_to_it(tmp_path: Path):
    """A claim whose holder lives means that process is removing the stale lock: wait, then say so."""
    db = tmp_path / "ledger.db"
    _write_lock(db, pid=_dead_pid())
    stale = lock_path(db).read_bytes()
    claim = _claim(db, lock_path(db), 1)
    started = time.monotonic()
    err = raises_code("LEDGER_LOCKED", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)))
    assert 0.5 < time.monotonic() - started < 10
    assert "process 1 " in err.message and "taking over" in err.message and claim.name in err.message
    assert lock_path(db).read_bytes() == stale and claim.exists()
    assert not db.exists()
    claim.unlink()  # that process gave up: the stale lock is now taken over
    nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)).close()
    assert _leftovers(db) == [] and not lock_path(db).exists()


@pytest.mark.host_only  # dead pids need processes
def test_leftovers_of_crashed_processes_are_swept(tmp_path: Path):
    """Old temp files and dead processes' claims go at the next acquisition; a young temp file may be live."""
    db = tmp_path / "ledger.db"
    old_temp = Path(f"{lock_path(db)}.tmp.{_dead_pid()}.00112233aabbccdd")
    young_temp = Path(f"{lock_path(db)}.tmp.{os.getpid()}.0123456789abcdef")
    for temp in (old_temp, young_temp):
        temp.write_text('{"pid": 1')
    long_ago = time.time() - 3600
    os.utime(old_temp, (long_ago, long_ago))
    orphan = _claim(db, old_temp, _dead_pid())  # its target is long gone
    live = _claim(db, young_temp, 1)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=True)):
        assert _leftovers(db) == sorted([young_temp.name, live.name])
    assert _leftovers(db) == sorted([young_temp.name, live.name]) and not orphan.exists()


@pytest.mark.host_only  # threads and a dead pid
@pytest.mark.parametrize("stale", [True, False])
def test_simultaneous_acquisitions_have_exactly_one_winner(tmp_path: Path, stale: bool):
    """Threads of one process race for a stale lock (or for none): one wins each round, the rest are refused."""
    db = tmp_path / "ledger.db"
    threads, rounds = 6, 60
    dead = _dead_pid()
    barrier = threading.Barrier(threads)
    outcomes: list[list[str]] = [[] for _ in range(rounds)]
    locks = [FileLock(str(db)) for _ in range(threads)]

    def contend(i: int) -> None:
        for r in range(rounds):
            barrier.wait()  # the coordinator (thread 0) has set the round up
            try:
                locks[i].acquire()
                outcomes[r].append("won")
            except nucleus.LedgerLocked:
                outcomes[r].append("lost")
            except Exception as err:
                outcomes[r].append(repr(err))
            barrier.wait()  # every thread has its outcome
            if i == 0:
                assert lock_path(db).exists()
                for lock in locks:
                    lock.release()
                assert not lock_path(db).exists()
                if stale:
                    _write_lock(db, pid=dead)

    if stale:
        _write_lock(db, pid=dead)
    workers = [threading.Thread(target=contend, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert [sorted(o) for o in outcomes] == [["lost"] * (threads - 1) + ["won"]] * rounds
    lock_path(db).unlink(missing_ok=True)
    assert _leftovers(db) == []
