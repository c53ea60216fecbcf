"""The SQLite backend checkpoints its write-ahead log itself, after commits, so the log stays bounded and every
checkpointed entry is in the database file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import nucleus


def test_wal_is_checkpointed_after_it_passes_4_mib(tmp_path: Path) -> None:
    db = tmp_path / "big.db"
    wal = Path(str(db) + "-wal")
    filler = "x" * 400
    with nucleus.Ledger.open("wal", nucleus.SqliteStorage(db)) as ledger:
        sizes = []
        for b in range(8):  # ~8 x 1,000 records of ~0.5 KiB: well past 4 MiB of log in total
            ledger.append_batch([{"id": f"r{b}-{i}", "stream": "s", "payload": {"f": filler}} for i in range(1000)])
            sizes.append(wal.stat().st_size if wal.exists() else 0)
        assert max(sizes) < 8 * 1024 * 1024  # one batch past the 4 MiB threshold at most
        # The log is restarted, not truncated, so that commits overwrite blocks the file has (a durable commit
        # costs less than one that grows the file): it never shrinks, and its header counts the restarts.
        assert sizes == sorted(sizes)
        assert int.from_bytes(wal.read_bytes()[12:16], "big") >= 1
        # What the checkpoints moved is in the main file: a reader that ignores the log sees it.
        reader = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
        assert reader.execute("SELECT count(*) FROM entries").fetchone()[0] >= 4000
        reader.close()
        ledger.verify()
    with nucleus.Ledger.open("wal", nucleus.SqliteStorage(db)) as reopened:
        assert len(reopened) == 8000
