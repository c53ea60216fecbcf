"""Reopening a SQLite ledger: the whole chain comes back in seq order, verified, and the chain goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

import nucleus
from support import T0, db_rows


def _records(n: int) -> list[dict]:
    # Runs of up to 7 equal timestamps: the original reloaded by timestamp and broke exactly these.
    return [
        {"id": f"r{i % 97}", "stream": f"s{i % 3}", "timestamp": T0 + i // 7, "payload": {"i": i}} for i in range(n)
    ]


@pytest.mark.parametrize("n", [1, 10_000])
def test_reopen_after_close(tmp_path: Path, n: int):
    db = tmp_path / "ledger.db"
    records = _records(n)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        hashes = lg.append_batch(records[: n // 2]) + lg.append_batch(records[n // 2 :])
        checkpoint = lg.checkpoint()
    assert not Path(f"{db}.lock").exists()
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), checkpoint=checkpoint) as lg:
        assert len(lg) == n and lg.latest_hash == hashes[-1]
        assert lg.verify_storage() is True
        for i in {0, n // 2, n - 1}:
            entry = lg.get_entry(hashes[i])
            assert (entry.seq, entry.record) == (i, records[i])
        page = lg.query(limit=min(n, 10_000))
        assert page.records == records and page.total == n
        assert lg.get_by_id(records[-1]["id"]) == records[-1]
        # the chain goes on where it stopped, with an equal timestamp
        nxt = {"id": "next", "stream": "s0", "timestamp": records[-1]["timestamp"], "payload": {}}
        h = lg.append(nxt)
        entry = lg.get_entry(h)
        assert (entry.seq, entry.prev_hash) == (n, hashes[-1])
        assert h == nucleus.entry_hash("test", n, hashes[-1], nucleus.canonicalize(nxt))
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert len(lg) == n + 1 and lg.latest_hash == h
        lg.verify(checkpoint=checkpoint)


def test_rows_are_stored_in_seq_order_with_equal_timestamps(tmp_path: Path):
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        hashes = [lg.append({"id": f"x{i}", "stream": "s", "timestamp": T0, "payload": {"i": i}}) for i in range(20)]
    rows = db_rows(db)
    assert [r[0] for r in rows] == list(range(20))
    assert [r[1] for r in rows] == hashes
    assert [r[2] for r in rows] == [None, *hashes[:-1]]


def test_reopen_an_empty_ledger(tmp_path: Path):
    db = tmp_path / "ledger.db"
    nucleus.Ledger.open("test", nucleus.SqliteStorage(db)).close()
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert len(lg) == 0 and lg.latest_hash is None
        lg.append({"id": "a", "stream": "s", "payload": {}})
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert len(lg) == 1


def test_stamped_timestamps_survive_reopen(tmp_path: Path):
    """A record stamped by the engine keeps its stamp: the hash covers it, so reopening must verify."""
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        h = lg.append({"id": "a", "stream": "s", "payload": {}})
        stamped = lg.get(h)["timestamp"]
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert lg.get(h)["timestamp"] == stamped
