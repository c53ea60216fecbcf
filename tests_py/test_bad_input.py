"""Bad input gets a clear error code and changes nothing: records, contexts, and files that are not ours."""

from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path

import pytest

import nucleus
from support import T0, build_sqlite_ledger, file_state, raises_code, rec, remount_read_only, tmpfs

GOOD = {"id": "x", "stream": "s", "timestamp": T0 + 100, "payload": {}}


def with_(**changes) -> dict:
    record = dict(GOOD)
    for key, value in changes.items():
        if value is _DROP:
            del record[key]
        else:
            record[key] = value
    return record


_DROP = object()


def deep(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


BAD_RECORDS = {
    "empty id": with_(id=""),
    "blank id": with_(id="   "),
    "missing id": with_(id=_DROP),
    "numeric id": with_(id=7),
    "null id": with_(id=None),
    "id too long": with_(id="i" * (nucleus.MAX_ID_LENGTH + 1)),
    "empty stream": with_(stream=""),
    "missing stream": with_(stream=_DROP),
    "list stream": with_(stream=["s"]),
    "stream too long": with_(stream="s" * (nucleus.MAX_STREAM_LENGTH + 1)),
    "payload string": with_(payload="text"),
    "payload number": with_(payload=1),
    "payload null": with_(payload=None),
    "payload missing": with_(payload=_DROP),
    "payload bool": with_(payload=True),
    "NaN in payload": with_(payload={"v": math.nan}),
    "Infinity in payload": with_(payload={"v": [math.inf]}),
    "-Infinity in meta": with_(meta={"v": -math.inf}),
    "int above 2^53-1": with_(payload={"v": 2**53}),
    "int below -(2^53-1)": with_(payload=[-(2**53)]),
    "lone surrogate in a value": with_(payload={"v": "a\ud800"}),
    "lone surrogate in a key": with_(payload={"\udfff": 1}),
    "lone surrogate in the id": with_(id="x\udc00"),
    "non-string key": with_(payload={1: "one"}),
    "non-JSON value": with_(payload={"v": {1, 2}}),
    "timestamp float": with_(timestamp=1.5),
    "timestamp bool": with_(timestamp=True),
    "timestamp negative": with_(timestamp=-1),
    "timestamp above 2^53-1": with_(timestamp=2**53),
    "timestamp string": with_(timestamp="2024-01-01"),
    "timestamp earlier than the tip": with_(timestamp=T0 - 1),
    "meta not an object": with_(meta=[1]),
    "unknown field": with_(extra=1),
    "non-string field name": {**GOOD, 5: "x"},
    "too deep": with_(payload=deep(64)),  # 64 nested arrays inside the record object: 65 levels
    "not an object": ["x", "s"],
    "oversized": with_(payload={"blob": "x" * nucleus.MAX_RECORD_BYTES}),
}


@pytest.fixture
def seeded(make_storage, backend: str, tmp_path: Path):
    """A ledger holding one entry at T0, and a function that asserts nothing changed since."""
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", make_storage()) as lg:
        lg.append(rec(0, ts=T0))
        state = (len(lg), lg.latest_hash, file_state(db) if backend == "sqlite" else None)

        def unchanged() -> None:
            assert (len(lg), lg.latest_hash, file_state(db) if backend == "sqlite" else None) == state
            assert lg.query().total == 1

        yield lg, unchanged


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_bad_records_are_refused(seeded, case: str):
    lg, unchanged = seeded
    record = BAD_RECORDS[case]
    err = raises_code("INVALID_RECORD", lambda: lg.append(record), nucleus.ValidationError)
    assert err.message  # says what was wrong
    unchanged()
    err = raises_code("INVALID_RECORD", lambda: lg.append_batch([dict(GOOD), record]))
    assert err.details["index"] == 1
    unchanged()


def test_error_messages_name_the_problem(seeded):
    lg, _ = seeded
    assert "record.id" in raises_code("INVALID_RECORD", lambda: lg.append(with_(id=""))).message
    assert "payload" in raises_code("INVALID_RECORD", lambda: lg.append(with_(payload="x"))).message
    err = raises_code("INVALID_RECORD", lambda: lg.append(with_(payload={"a": {"b": math.nan}})))
    assert err.details["path"] == "record.payload.a.b"
    err = raises_code("INVALID_RECORD", lambda: lg.append(with_(timestamp=T0 - 1)))
    assert err.details == {"field": "timestamp", "floor": T0}
    err = raises_code("INVALID_RECORD", lambda: lg.append(BAD_RECORDS["oversized"]))
    assert err.details["limit"] == nucleus.MAX_RECORD_BYTES and err.details["size"] > nucleus.MAX_RECORD_BYTES


def test_the_size_limit_is_exact(ledger: nucleus.Ledger):
    frame = len(nucleus.canonicalize(with_(payload={"blob": ""})))
    at_limit = with_(payload={"blob": "x" * (nucleus.MAX_RECORD_BYTES - frame)})
    assert len(nucleus.canonicalize(at_limit)) == nucleus.MAX_RECORD_BYTES
    ledger.append(at_limit)
    raises_code(
        "INVALID_RECORD", lambda: ledger.append(with_(payload={"blob": "x" * (nucleus.MAX_RECORD_BYTES - frame + 1)}))
    )
    assert len(ledger) == 1


def test_boundaries_that_are_accepted(ledger: nucleus.Ledger):
    ledger.append(
        with_(
            id="i" * nucleus.MAX_ID_LENGTH,
            stream="s" * nucleus.MAX_STREAM_LENGTH,
            payload=[2**53 - 1, -(2**53 - 1), 1e308, "\U0001f600"],
            timestamp=T0,
        )
    )
    ledger.append(with_(timestamp=2**53 - 1))
    assert len(ledger) == 2


def test_strict_validation_needs_a_timestamp(make_storage):
    with nucleus.Ledger.open("test", make_storage(), options={"strictValidation": True}) as lg:
        err = raises_code("INVALID_RECORD", lambda: lg.append(with_(timestamp=_DROP)))
        assert err.details["field"] == "timestamp"
        assert len(lg) == 0


def test_max_entries(make_storage):
    with nucleus.Ledger.open("test", make_storage(), options={"maxEntries": 2}) as lg:
        lg.append(rec(0))
        raises_code("LEDGER_FULL", lambda: lg.append_batch([rec(1), rec(2)]), nucleus.LedgerFull)
        lg.append(rec(1))
        raises_code("LEDGER_FULL", lambda: lg.append(rec(2)))
        assert len(lg) == 2


BAD_CONTEXTS = {
    "not an OID": {"requesterOid": "alice"},
    "wrong namespace": {"requesterOid": "oid:other:user:alice"},
    "empty id part": {"requesterOid": "oid:onoal:user:"},
    "upper-case type": {"requesterOid": "oid:onoal:USER:alice"},
    "space inside": {"requesterOid": "oid:onoal:user:al ice"},
    "number": {"requesterOid": 5},
    "missing": {},
    "unknown field": {"requesterOid": "oid:onoal:user:alice", "role": "admin"},
    "far-future timestamp": {"requesterOid": "oid:onoal:user:alice", "timestamp": 2**52},
    "float timestamp": {"requesterOid": "oid:onoal:user:alice", "timestamp": 1.5},
    "metadata not an object": {"requesterOid": "oid:onoal:user:alice", "metadata": [1]},
    "NaN metadata": {"requesterOid": "oid:onoal:user:alice", "metadata": {"x": math.nan}},
    "not an object": "oid:onoal:user:alice",
}


@pytest.mark.parametrize("case", list(BAD_CONTEXTS))
def test_malformed_contexts_are_refused(seeded, case: str):
    lg, unchanged = seeded
    err = raises_code("INVALID_CONTEXT", lambda: lg.append(dict(GOOD), BAD_CONTEXTS[case]), nucleus.ContextError)
    assert err.message
    unchanged()
    raises_code("INVALID_CONTEXT", lambda: lg.append_batch([dict(GOOD)], BAD_CONTEXTS[case]))
    unchanged()


def test_good_oids():
    for oid in ("oid:onoal:user:alice", "oid:onoal:org:acme.inc", "oid:onoal:ledger:a:b@c~d-e_f"):
        assert nucleus.is_valid_oid(oid), oid


# -- files that are not ours ---------------------------------------------------------------------------


def _listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _refused_open(db: Path, code: str, ledger_id: str = "test", **kw) -> nucleus.NucleusError:
    """Opening ``db`` fails with ``code``; the directory is byte-for-byte as before (no lock, WAL or change)."""
    before = _listing(db.parent)
    err = raises_code(code, lambda: nucleus.Ledger.open(ledger_id, nucleus.SqliteStorage(db, **kw)))
    assert _listing(db.parent) == before
    return err


def test_a_file_of_random_bytes(tmp_path: Path):
    db = tmp_path / "ledger.db"
    db.write_bytes(os.urandom(8192))
    err = _refused_open(db, "LEDGER_MISMATCH")
    assert err.details["reason"] == "not_a_ledger" and "not a Nucleus ledger" in err.message


def test_a_text_file(tmp_path: Path):
    db = tmp_path / "ledger.db"
    db.write_text("hello, I am a text file\n")
    assert _refused_open(db, "LEDGER_MISMATCH").details["reason"] == "not_a_ledger"


def test_a_sqlite_database_with_other_tables(tmp_path: Path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('alice')")
    conn.commit()
    conn.close()
    err = _refused_open(db, "LEDGER_MISMATCH")
    assert err.details["reason"] == "not_a_ledger"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("users",)]
    conn.close()


def test_a_database_of_another_ledger(tmp_path: Path):
    db = tmp_path / "ledger.db"
    build_sqlite_ledger(db, 3, ledger_id="other")
    err = _refused_open(db, "LEDGER_MISMATCH")
    assert err.details["reason"] == "other_ledger" and err.details["found"] == "other"
    assert "'other'" in err.message


def test_a_database_with_a_newer_schema(tmp_path: Path):
    db = tmp_path / "ledger.db"
    build_sqlite_ledger(db, 3)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    err = _refused_open(db, "LEDGER_MISMATCH")
    assert err.details == {"reason": "newer_schema", "found": 99, "supported": 3}
    assert "Upgrade" in err.message


def test_a_missing_directory(tmp_path: Path):
    db = tmp_path / "missing" / "ledger.db"
    err = raises_code("STORAGE_ERROR", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db)))
    assert err.details["reason"] == "missing_dir" and "does not exist" in err.message
    assert not db.parent.exists()


def test_a_directory_in_place_of_the_file(tmp_path: Path):
    raises_code("INVALID_CONFIG", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(tmp_path)))


@pytest.mark.parametrize("path", ["", "   ", None, 5])
def test_bad_paths(path):
    raises_code("INVALID_CONFIG", lambda: nucleus.SqliteStorage(path))


@pytest.mark.host_only  # mounts a tmpfs (a `mount` subprocess, as root)
@pytest.mark.parametrize("lock", [True, False])
def test_a_read_only_directory(tmp_path: Path, lock: bool):
    """A read-only file system (tmpfs mounted ro): ``chmod`` does not stop root, who runs CI; a mount does."""
    ro = tmp_path / "ro"
    ro.mkdir()
    with tmpfs(ro, "ro"):
        err = raises_code(
            "STORAGE_ERROR", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(ro / "l.db", lock=lock))
        )
        assert err.details["reason"] == "read_only"
        assert list(ro.iterdir()) == []


@pytest.mark.host_only  # mounts a tmpfs (a `mount` subprocess, as root)
@pytest.mark.parametrize("lock", [True, False])
def test_an_existing_ledger_on_a_read_only_mount(tmp_path: Path, lock: bool):
    src = tmp_path / "src"
    src.mkdir()
    build_sqlite_ledger(src / "l.db", 3)
    before = _listing(src)
    ro = tmp_path / "ro"
    ro.mkdir()
    with tmpfs(ro, "size=1m"):
        (ro / "l.db").write_bytes((src / "l.db").read_bytes())
        remount_read_only(ro)
        raises_code("STORAGE_ERROR", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(ro / "l.db", lock=lock)))
        assert _listing(ro) == before
