"""Read-only opening (``SqliteStorage(path, read_only=True)``): it writes nothing, takes no lock, works on
read-only media and while another process holds the ledger, verifies like any open, serves only what it
verified, and refuses writes with ``STORAGE_ERROR`` (reason ``read_only_open``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import nucleus
from support import build_sqlite_ledger, file_state, lock_path, raises_code, rec, remount_read_only, sql, tmpfs

# Opens the ledger (taking its lock), appends, then appends again after a line on stdin.
HOLDER = """
import sys, nucleus
ledger = nucleus.Ledger.open("test", nucleus.SqliteStorage(sys.argv[1]))
ledger.append({"id": "w", "stream": "s", "timestamp": 1800000000000, "payload": {}})
print("held", flush=True)
sys.stdin.readline()
ledger.append({"id": "x", "stream": "s", "timestamp": 1800000000001, "payload": {}})
print("appended", flush=True)
sys.stdin.readline()
"""


@contextmanager
def _held(db: Path) -> Iterator[Callable[[], None]]:
    """Another process (HOLDER) holding the ledger at ``db``, once it has appended "w"; the function yielded makes
    it append "x" and waits until it has."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )

    def append_again() -> None:
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "appended"

    try:
        assert holder.stdout.readline().strip() == "held"
        yield append_again
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)


def _listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_read_only_open_verifies_reads_and_writes_nothing(tmp_path: Path):
    db = tmp_path / "l.db"
    hashes = build_sqlite_ledger(db, 5)
    before = _listing(tmp_path)
    storage = nucleus.SqliteStorage(db, read_only=True)
    assert storage.caveats and "no lock" in storage.caveats[0]  # what it cannot promise, said up front
    with nucleus.Ledger.open("test", storage, checkpoint={"size": 5, "hash": hashes[-1]}) as lg:
        assert len(lg) == 5 and lg.latest_hash == hashes[-1]
        assert lg.query().total == 5 and lg.get(hashes[2]) is not None
        lg.verify()
        err = raises_code("STORAGE_ERROR", lambda: lg.append(rec(9)))
        assert err.details["reason"] == "read_only_open"
    assert _listing(tmp_path) == before


def test_a_read_only_open_refuses_a_tampered_file(tmp_path: Path):
    db = tmp_path / "l.db"
    build_sqlite_ledger(db, 5)
    sql(db, "UPDATE entries SET record = replace(record, '\"n\":3', '\"n\":4') WHERE seq = 3")
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)))
    assert (err.seq, err.kind) == (3, "hash")


def test_a_missing_file_is_refused_and_not_created(tmp_path: Path):
    err = raises_code(
        "STORAGE_ERROR", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(tmp_path / "no.db", read_only=True))
    )
    assert err.details["reason"] == "missing"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.host_only  # a second process holds the ledger
def test_while_another_process_holds_the_ledger(tmp_path: Path):
    db = tmp_path / "l.db"
    build_sqlite_ledger(db, 3)
    with _held(db) as append_again:
        raises_code("LEDGER_LOCKED", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db)))
        lock_before = lock_path(db).read_bytes()
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as lg:
            assert len(lg) == 4 and lg.get_by_id("w") is not None
            append_again()
            # The other process appended after this open verified: reads serve only what was verified.
            assert lg.get_by_id("x") is None and lg.query().total == 4 and len(lg) == 4
        assert lock_path(db).read_bytes() == lock_before  # the holder's lock was never touched


@pytest.mark.host_only  # mounts a tmpfs (a `mount` subprocess, as root)
def test_on_read_only_media(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    hashes = build_sqlite_ledger(src / "l.db", 3)
    ro = tmp_path / "ro"
    ro.mkdir()
    with tmpfs(ro, "size=1m"):
        (ro / "l.db").write_bytes((src / "l.db").read_bytes())
        remount_read_only(ro)
        before = file_state(ro / "l.db")
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(ro / "l.db", read_only=True)) as lg:
            assert lg.latest_hash == hashes[-1]
            lg.verify({"size": 3, "hash": hashes[-1]})
        assert file_state(ro / "l.db") == before
        assert [p.name for p in ro.iterdir()] == ["l.db"]


def test_read_only_is_a_boolean():
    raises_code("INVALID_CONFIG", lambda: nucleus.SqliteStorage("x.db", read_only="yes"))


def _grow(ledger: nucleus.Ledger, start: int, n: int = 60) -> None:
    """Append records big enough that the database file grows by pages when checkpointed."""
    ledger.append_batch([rec(i, pad="x" * 300) for i in range(start, start + n)])


def test_a_checkpoint_under_a_read_only_open_makes_its_reads_fail(tmp_path: Path):
    """The log was empty at open, so only the database file is read; a writer's appends go to the log and change
    nothing for the reader, but its checkpoint rewrites the file under it: reads then fail rather than mix states."""
    db = tmp_path / "l.db"
    hashes = build_sqlite_ledger(db, 5)
    reader = nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True))
    try:
        assert reader.read_only and len(reader.caveats) == 2 and "checkpoint" in reader.caveats[1]
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, lock=False)) as writer:
            _grow(writer, 5)
            assert reader.get(hashes[4]) is not None and reader.query().total == 5 and len(reader) == 5
            reader.verify()
            writer._storage._checkpoint()
            for read in (lambda: reader.get(hashes[4]), reader.query, reader.verify, lambda: reader.get_by_id("r1")):
                err = raises_code("STORAGE_ERROR", read)
                assert err.details["reason"] == "changed"
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as again:
            assert len(again) == 65  # a new open reads the new state, verified whole
    finally:
        reader.close()


def test_an_open_interrupted_by_a_checkpoint_starts_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from nucleus.storage import sqlite as sqlite_module

    db = tmp_path / "l.db"
    build_sqlite_ledger(db, 5)
    before = _listing(tmp_path)
    checks: list[bool] = []

    def unchanged(self: object) -> bool:  # the second check, made while the first attempt verifies, sees a change
        checks.append(len(checks) != 1)
        return checks[-1]

    monkeypatch.setattr(sqlite_module._Guard, "unchanged", unchanged)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as lg:
        assert len(lg) == 5 and lg.query().total == 5
    assert checks[:2] == [True, False] and len(checks) > 3, "a second attempt read the file again"
    monkeypatch.setattr(sqlite_module._Guard, "unchanged", lambda self: False)
    err = raises_code("STORAGE_ERROR", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)))
    assert err.details["reason"] == "changed"
    assert _listing(tmp_path) == before


def test_every_write_is_refused_first(tmp_path: Path):
    owner = "oid:onoal:user:owner"
    db = tmp_path / "l.db"
    build_sqlite_ledger(db, 2, owner=owner)
    export = tmp_path / "export.jsonl"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        export.write_text(lg.export())
    before = _listing(tmp_path)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True), acl="inMemory") as lg:
        grant = {"subjectOid": "oid:onoal:user:a", "resourceOid": nucleus.ledger_resource("test"), "action": "write"}
        writes = [
            lambda: lg.append(rec(9), {"requesterOid": owner}),
            lambda: lg.append_batch([rec(9)]),
            lambda: lg.import_entries(export.read_text()),
            lambda: lg.acl.grant(grant, {"requesterOid": owner}),
            lambda: lg.acl.revoke(grant["subjectOid"], grant["resourceOid"], "write", {"requesterOid": owner}),
            lambda: lg.acl.grant("not even a grant"),  # refused as a write before its arguments are looked at
        ]
        for write in writes:
            assert raises_code("STORAGE_ERROR", write).details["reason"] == "read_only_open"
        assert len(lg) == 3
    assert _listing(tmp_path) == before
    # A ledger that would need a new owner entry is a write too.
    err = raises_code(
        "STORAGE_ERROR",
        lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(tmp_path / "plain.db", read_only=True)),
    )
    assert err.details["reason"] == "missing"


@pytest.mark.host_only  # a second process holds the ledger
def test_verify_accepts_what_another_process_appended_but_not_a_rewrite(tmp_path: Path):
    db = tmp_path / "l.db"
    build_sqlite_ledger(db, 3)
    with _held(db) as append_again, nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as lg:
        append_again()
        lg.verify()  # the file holds one entry more than this ledger verified at open: it extends it
        assert len(lg) == 4
        sql(db, "UPDATE entries SET hash = 'f' || substr(hash, 2) WHERE seq = 3")
        err = raises_code("CHAIN_INVALID", lg.verify)
        assert err.seq == 3


@pytest.mark.host_only  # CPython's SQLite; under Emscripten such a log is read into a private index
def test_a_log_no_shm_file_indexes_is_refused_on_cpython(tmp_path: Path):
    db = tmp_path / "l.db"
    build_sqlite_ledger(db, 3)
    # A writer that stopped without closing: its log holds an entry, and its -shm file is gone.
    crash = (
        "import os, sys, nucleus\n"
        "lg = nucleus.Ledger.open('test', nucleus.SqliteStorage(sys.argv[1], lock=False))\n"
        "lg.append({'id': 'w', 'stream': 's', 'timestamp': 1800000000000, 'payload': {}})\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(db)], check=True)
    Path(f"{db}-shm").unlink()
    before = _listing(tmp_path)
    err = raises_code("STORAGE_ERROR", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)))
    assert err.details["reason"] == "wal_unreadable" and "-shm" in err.message
    assert _listing(tmp_path) == before
