"""Small helpers shared by the tests (records, SQLite file inspection, expected errors)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nucleus

T0 = 1_700_000_000_000
# The closing line of the pytest run inside Pyodide (test_pyodide_pytest.py), shown in this run's summary.
PYODIDE_SUMMARY = pytest.StashKey[str]()


def rec(i: int, stream: str = "events", ts: int | None = None, **payload: Any) -> dict[str, Any]:
    """Record ``r<i>`` in ``stream`` at ``T0 + i`` (or ``ts``), payload ``{"n": i, **payload}``."""
    return {"id": f"r{i}", "stream": stream, "timestamp": T0 + i if ts is None else ts, "payload": {"n": i, **payload}}


def raises_code(code: str, fn: Callable[[], Any], cls: type[nucleus.NucleusError] = nucleus.NucleusError):
    """Call ``fn``; assert it raises ``cls`` with ``code``; return the error."""
    with pytest.raises(cls) as info:
        fn()
    assert info.value.code == code, f"expected {code}, got {info.value.code}: {info.value.message}"
    return info.value


def file_state(db: Path) -> dict[str, bytes | None]:
    """The bytes of a database file and its WAL (None where absent): equal states mean nothing was written."""
    state: dict[str, bytes | None] = {}
    for suffix in ("", "-wal"):
        p = Path(f"{db}{suffix}")
        state[suffix or "db"] = p.read_bytes() if p.exists() else None
    return state


def db_rows(db: Path) -> list[tuple[Any, ...]]:
    """Every row of ``entries`` read with the stdlib sqlite3, in seq order."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT * FROM entries ORDER BY seq").fetchall()
    finally:
        conn.close()


def sql(db: Path, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    """Run statements on ``db`` with the stdlib sqlite3 in one transaction (how an attacker edits a file)."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            for s in statements:
                if isinstance(s, tuple):
                    conn.execute(*s)
                else:
                    conn.execute(s)
    finally:
        conn.close()


def build_sqlite_ledger(db: Path, n: int, ledger_id: str = "test", **kw: Any) -> list[str]:
    """Create ``db`` holding ledger ``ledger_id`` with records rec(0..n-1); their hashes. Closed on return."""
    with nucleus.Ledger.open(ledger_id, nucleus.SqliteStorage(db), **kw) as lg:
        return lg.append_batch([rec(i) for i in range(n)]) if n else []


def lock_path(db: Path) -> Path:
    """The lock file of ``db``."""
    return Path(os.fspath(db) + ".lock")


@contextlib.contextmanager
def tmpfs(mountpoint: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``mountpoint`` with ``options`` (e.g. ``ro`` or ``size=256k``) for the block.

    Used to cause real faults (a read-only or full file system) that ``chmod`` cannot cause for root, who runs
    the suite in CI. Mounting needs root (CAP_SYS_ADMIN); without it the test fails and says so.
    """
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", os.fspath(mountpoint)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"this test needs root to mount a tmpfs ({options}) at {mountpoint}: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", os.fspath(mountpoint)], check=True)


def remount_read_only(mountpoint: Path) -> None:
    """Make a ``tmpfs`` mount read-only in place (its files stay)."""
    subprocess.run(["mount", "-o", "remount,ro", os.fspath(mountpoint)], check=True)
