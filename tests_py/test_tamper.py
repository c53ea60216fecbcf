"""Tamper detection: a SQLite file edited with the stdlib sqlite3 refuses to open, naming the first bad seq
and what broke; truncation, rollback and forks are caught against a kept checkpoint."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import nucleus
from support import T0, build_sqlite_ledger, file_state, lock_path, rec, sql

N = 10


def _edit_payload_byte(db: Path) -> None:
    conn = sqlite3.connect(db)
    with conn:
        (record,) = conn.execute("SELECT record FROM entries WHERE seq = 4").fetchone()
        at = record.index('"n":4') + 4  # the digit of the payload value
        conn.execute("UPDATE entries SET record = ? WHERE seq = 4", (record[:at] + "5" + record[at + 1 :],))
    conn.close()


def _swap_rows(db: Path, a: int, b: int, columns: str) -> None:
    conn = sqlite3.connect(db)
    cols = columns.split(", ")
    with conn:
        ra = conn.execute(f"SELECT {columns} FROM entries WHERE seq = ?", (a,)).fetchone()
        rb = conn.execute(f"SELECT {columns} FROM entries WHERE seq = ?", (b,)).fetchone()
        sets = ", ".join(f"{c} = ?" for c in cols)
        if "hash" in cols:  # hash is UNIQUE: park row a's hash first
            conn.execute("UPDATE entries SET hash = 'parked' WHERE seq = ?", (a,))
        conn.execute(f"UPDATE entries SET {sets} WHERE seq = ?", (*ra, b))
        conn.execute(f"UPDATE entries SET {sets} WHERE seq = ?", (*rb, a))
    conn.close()


def _rebuild_from(db: Path, start: int, change: Callable[[dict], None]) -> None:
    """An attacker who knows the format: change record ``start`` and recompute every hash after it."""
    conn = sqlite3.connect(db)
    with conn:
        rows = conn.execute("SELECT seq, hash, prev_hash, record FROM entries ORDER BY seq").fetchall()
        prev = rows[start][2]
        for seq, _, _, text in rows[start:]:
            record = nucleus.Entry(seq, "", None, "", "", 0, text).record
            if seq == start:
                change(record)
            canonical = nucleus.canonicalize(record)
            h = nucleus.entry_hash("test", seq, prev, canonical)
            conn.execute(
                "UPDATE entries SET hash = ?, prev_hash = ?, record = ?, record_id = ?, stream = ?, timestamp = ?"
                " WHERE seq = ?",
                (h + "-new", prev, canonical.decode(), record["id"], record["stream"], record["timestamp"], seq),
            )
            prev = h
        conn.execute("UPDATE entries SET hash = substr(hash, 1, 64) WHERE seq >= ?", (start,))
    conn.close()


def _forge_text(db: Path, start: int, change: Callable[[str], str]) -> None:
    """Store ``change(text)`` as record ``start`` and recompute every hash from there: the chain holds, so only
    the record checks of opening can refuse it."""
    conn = sqlite3.connect(db)
    with conn:
        rows = conn.execute("SELECT seq, prev_hash, record FROM entries WHERE seq >= ? ORDER BY seq", (start,))
        rows = rows.fetchall()
        prev = rows[0][1]
        for seq, _, text in rows:
            if seq == start:
                text = change(text)
            h = nucleus.entry_hash("test", seq, prev, text.encode())
            conn.execute("UPDATE entries SET hash = ?, prev_hash = ?, record = ? WHERE seq = ?", (h, prev, text, seq))
            prev = h
    conn.close()


def _forged(old: str, new: str) -> tuple[Callable[[Path], None], int, str]:
    """Record 5 with ``old`` replaced by ``new`` in its stored text, inside a chain whose every later hash was
    recomputed: only the record check of opening can refuse it (kind ``record`` at seq 5)."""
    return (lambda db: _forge_text(db, 5, lambda t: t.replace(old, new)), 5, "record")


TAMPERS: dict[str, tuple[Callable[[Path], None], int, str]] = {
    "edited payload byte": (_edit_payload_byte, 4, "hash"),
    "deleted row": (lambda db: sql(db, "DELETE FROM entries WHERE seq = 4"), 4, "sequence"),
    "deleted first row": (lambda db: sql(db, "DELETE FROM entries WHERE seq = 0"), 0, "sequence"),
    "swapped rows": (
        lambda db: _swap_rows(db, 3, 6, "hash, prev_hash, record_id, stream, timestamp, record"),
        3,
        "link",
    ),
    "swapped records only": (lambda db: _swap_rows(db, 3, 6, "record_id, stream, timestamp, record"), 3, "hash"),
    "edited prev_hash": (lambda db: sql(db, f"UPDATE entries SET prev_hash = '{'a' * 64}' WHERE seq = 5"), 5, "link"),
    "edited hash of the last entry": (
        lambda db: sql(db, f"UPDATE entries SET hash = '{'b' * 64}' WHERE seq = 9"),
        9,
        "hash",
    ),
    "renumbered seq": (lambda db: sql(db, "UPDATE entries SET seq = 12 WHERE seq = 7"), 7, "sequence"),
    "edited derived stream column": (
        lambda db: sql(db, "UPDATE entries SET stream = 'other' WHERE seq = 7"),
        7,
        "derived",
    ),
    "edited derived id column": (lambda db: sql(db, "UPDATE entries SET record_id = 'zz' WHERE seq = 2"), 2, "derived"),
    "edited derived timestamp column": (
        lambda db: sql(db, "UPDATE entries SET timestamp = 1 WHERE seq = 8"),
        8,
        "derived",
    ),
    "rebuilt chain around a record that is not JSON": (lambda db: _forge_text(db, 5, lambda t: t[:-1]), 5, "record"),
    # Records that FORMAT.md §1 forbids, each inside a chain whose hashes were all recomputed (issue: opening
    # accepted them).
    "rebuilt chain around an unknown member": _forged('"payload"', '"extra":1,"payload"'),
    "rebuilt chain around meta null": _forged('"payload"', '"meta":null,"payload"'),
    "rebuilt chain around a non-canonical number": _forged('"payload":{', '"payload":{"f":5.0,'),
    "rebuilt chain around an integer past 2^53": _forged('"payload":{', '"payload":{"f":9007199254740993,'),
    "rebuilt chain around a lone-surrogate escape": _forged('"payload":{', '"payload":{"f":"\\ud800",'),
    "rebuilt chain around unsorted members": _forged('"payload":{', '"payload":{"z":1,"a":2,'),
    "rebuilt chain around a duplicate member": _forged('"payload":{', '"payload":{"a":1,"a":1,'),
    "a row at a negative seq": (
        lambda db: sql(
            db,
            "INSERT INTO entries (seq, hash, prev_hash, record_id, stream, timestamp, record)"
            " SELECT -5, 'f' || substr(hash, 2), prev_hash, record_id, stream, timestamp, record FROM entries"
            " WHERE seq = 3",
        ),
        0,
        "sequence",
    ),
    "meta says another format": (
        lambda db: sql(db, "UPDATE meta SET value = '1' WHERE key = 'format_version'"),
        0,
        "format",
    ),
    "schema version 0 with a meta table to match": (  # no schema holds format 0 (issue: it raised KeyError)
        lambda db: sql(db, "PRAGMA user_version = 0", "UPDATE meta SET value = '0' WHERE key = 'format_version'"),
        0,
        "format",
    ),
    "meta gains an owner row": (
        lambda db: sql(db, "INSERT INTO meta VALUES ('owner', 'oid:onoal:user:mallory')"),
        0,
        "format",
    ),
    "two faults: an index column before a payload edit": (
        lambda db: (_edit_payload_byte(db), sql(db, "UPDATE entries SET stream = 'x' WHERE seq = 2")),
        2,
        "derived",
    ),
    "two faults: a payload edit before an index column": (
        lambda db: (_edit_payload_byte(db), sql(db, "UPDATE entries SET stream = 'x' WHERE seq = 7")),
        4,
        "hash",
    ),
    "rebuilt chain with a timestamp going back": (
        lambda db: _rebuild_from(db, 6, lambda r: r.update(timestamp=T0 - 100)),
        6,
        "timestamp",
    ),
}


def _check(err: nucleus.ChainIntegrityError, seq: int, kind: str) -> None:
    assert err.code == "CHAIN_INVALID"
    assert (err.seq, err.kind) == (seq, kind), err.message
    assert err.details == err.report == {"seq": seq, "kind": kind, "message": err.message}
    assert str(seq) in err.message


@pytest.mark.parametrize("case", list(TAMPERS))
def test_tampered_file_refuses_to_open(tmp_path: Path, case: str):
    tamper, seq, kind = TAMPERS[case]
    db = tmp_path / "ledger.db"
    build_sqlite_ledger(db, N)
    tamper(db)
    before = file_state(db)
    with pytest.raises(nucleus.ChainIntegrityError) as info:
        nucleus.Ledger.open("test", nucleus.SqliteStorage(db))
    _check(info.value, seq, kind)
    assert not lock_path(db).exists()  # the failed open let go of the file
    assert file_state(db)["db"] == before["db"]  # and wrote nothing to it


@pytest.mark.host_only  # a second connection edits the file under the open ledger (EXCLUSIVE in Emscripten)
@pytest.mark.parametrize("case", list(TAMPERS))
def test_tampering_under_an_open_ledger_is_found_by_verify_storage(tmp_path: Path, case: str):
    tamper, seq, kind = TAMPERS[case]
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        lg.append_batch([rec(i) for i in range(N)])
        assert lg.verify_storage() is True
        tamper(db)
        with pytest.raises(nucleus.ChainIntegrityError) as info:
            lg.verify_storage()
        _check(info.value, seq, kind)
        with pytest.raises(nucleus.ChainIntegrityError) as info:
            lg.verify()
        _check(info.value, seq, kind)


def test_an_untouched_file_verifies(tmp_path: Path):
    db = tmp_path / "ledger.db"
    build_sqlite_ledger(db, N)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert lg.verify_storage() is True and len(lg) == N


# -- what a chain alone cannot show: truncation, rollback, forks -------------------------------------


def test_truncation_is_caught_against_a_kept_checkpoint(tmp_path: Path):
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        lg.append_batch([rec(i) for i in range(N)])
        kept = lg.checkpoint()
    sql(db, "DELETE FROM entries WHERE seq >= 8")
    # The chain alone is valid: a shorter ledger is indistinguishable from an honest one.
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert len(lg) == 8
        for cp in (kept, kept.to_json(), kept.to_text()):
            with pytest.raises(nucleus.ChainIntegrityError) as info:
                lg.verify(checkpoint=cp)
            _check(info.value, 8, "checkpoint")
        with pytest.raises(nucleus.ChainIntegrityError) as info:
            lg.verify_storage(checkpoint=kept)
        _check(info.value, 8, "checkpoint")
    with pytest.raises(nucleus.ChainIntegrityError) as info:
        nucleus.Ledger.open("test", nucleus.SqliteStorage(db), checkpoint=kept)
    _check(info.value, 8, "checkpoint")
    assert not lock_path(db).exists()


@pytest.mark.host_only  # a second connection edits the file under the open ledger (EXCLUSIVE in Emscripten)
def test_truncation_under_an_open_ledger_is_caught_without_a_checkpoint(tmp_path: Path):
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        lg.append_batch([rec(i) for i in range(N)])
        sql(db, "DELETE FROM entries WHERE seq = 9")
        with pytest.raises(nucleus.ChainIntegrityError) as info:
            lg.verify_storage()
        assert (info.value.kind, info.value.seq) == ("checkpoint", 9)


def test_rollback_to_an_old_copy_is_caught(tmp_path: Path):
    db = tmp_path / "ledger.db"
    old = tmp_path / "old.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        lg.append_batch([rec(i) for i in range(5)])
    shutil.copy(db, old)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        lg.append_batch([rec(i) for i in range(5, N)])
        kept = lg.checkpoint()
    shutil.copy(old, db)
    with pytest.raises(nucleus.ChainIntegrityError) as info:
        nucleus.Ledger.open("test", nucleus.SqliteStorage(db), checkpoint=kept)
    _check(info.value, 5, "checkpoint")


def test_a_fork_is_caught_against_a_kept_checkpoint(tmp_path: Path):
    db = tmp_path / "ledger.db"
    kept_prefix = build_sqlite_ledger(db, N)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        kept = lg.checkpoint()
    assert kept.hash == kept_prefix[-1]
    # Rebuild the file: same ledger id, a valid chain of the same length, one early record changed.
    forged = tmp_path / "forged.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(forged)) as lg:
        lg.append_batch([rec(i, forged=i == 2) if i == 2 else rec(i) for i in range(N + 3)])
    shutil.copy(forged, db)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert len(lg) == N + 3  # a valid chain on its own
        with pytest.raises(nucleus.ChainIntegrityError) as info:
            lg.verify(checkpoint=kept)
        _check(info.value, N - 1, "checkpoint")
    with pytest.raises(nucleus.ChainIntegrityError) as info:
        nucleus.Ledger.open("test", nucleus.SqliteStorage(db), checkpoint=kept)
    _check(info.value, N - 1, "checkpoint")


def test_a_longer_honest_ledger_satisfies_an_older_checkpoint(tmp_path: Path):
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        lg.append_batch([rec(i) for i in range(5)])
        kept = lg.checkpoint()
        lg.append_batch([rec(i) for i in range(5, N)])
        lg.verify(checkpoint=kept)
        lg.verify(checkpoint={"size": 0, "hash": None})
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), checkpoint=kept.to_text()) as lg:
        assert len(lg) == N


@pytest.mark.parametrize(
    "bad",
    [
        {"size": 1},
        {"size": -1, "hash": None},
        {"size": 1, "hash": "ABC"},
        {"size": 0, "hash": "a" * 64},
        {"size": 1, "hash": None},
        "nucleus checkpoint v1\n01\n" + "a" * 64 + "\n",
        "garbage",
        5,
    ],
)
def test_malformed_checkpoints_are_refused(bad):
    with nucleus.Ledger.open("test") as lg:
        with pytest.raises(nucleus.ArgumentError) as info:
            lg.verify(checkpoint=bad)
        assert info.value.code == "INVALID_ARGUMENT"
