"""Creation is durable on CPython too: before ``Ledger.open`` returns a new SQLite ledger, the database file
itself (not only its write-ahead log) and its directory are synced, as seen by strace. Without both, a power
cut after the first appends can leave a synced log beside a database file (or a directory entry) that never
reached the disk, and SQLite then drops the log. The Node side: js/test/durability.test.mjs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.host_only,  # subprocesses and strace
    pytest.mark.skipif(shutil.which("strace") is None, reason="strace missing: scripts/setup.sh --system"),
]

STRACE = ["strace", "-f", "-y", "-e", "trace=fsync,fdatasync,write", "-e", "signal=none"]
SCRIPT = """
import sys, nucleus
ledger = nucleus.Ledger.open("created", nucleus.SqliteStorage(sys.argv[1]))
sys.stderr.write("MARK-START\\n")
sys.stderr.flush()
ledger.close()
"""


def _syncs_while_creating(db: Path) -> dict[str, int]:
    run = subprocess.run(
        [*STRACE, sys.executable, "-c", SCRIPT, str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    before = run.stderr[: run.stderr.index("MARK-START")].splitlines()
    syncs = [line for line in before if line.startswith(("fsync(", "fdatasync(")) or "] fsync(" in line]

    def count(target: Path) -> int:
        return sum(f"<{target}>" in line for line in syncs)

    return {"file": count(db), "dir": count(db.parent)}


def test_creating_a_ledger_syncs_the_file_and_its_directory(tmp_path: Path) -> None:
    db = tmp_path.resolve() / "new.db"
    syncs = _syncs_while_creating(db)
    assert syncs["file"] >= 1, syncs
    assert syncs["dir"] >= 1, syncs


def test_reopening_does_not_sync_the_directory_again(tmp_path: Path) -> None:
    db = tmp_path.resolve() / "old.db"
    created = subprocess.run([sys.executable, "-c", SCRIPT, str(db)], capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    assert _syncs_while_creating(db)["dir"] == 0  # only creation adds a directory entry to make durable
