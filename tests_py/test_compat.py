"""Compatibility: the ledger file written by format 1 / schema 1 (tests_py/fixtures/compat-v1.db, made once by
make_compat.py) must open, re-verify whole and serve its records and grants with this code, refuse appends (format
1 binds neither the ledger id nor access control), and upgrade into a new format-2 file with
``nucleus.upgrade_file``, which never writes the old one."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import nucleus

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "compat-v1.db"
LEDGER_ID = "compat-v1"
CHECKPOINT = {"size": 25, "hash": "64e98b79b4ece7e31f5b0f27227ff80aa991aca582fa89b0e64a608845953118"}
OWNER = "oid:onoal:user:owner"
WRITER = "oid:onoal:user:writer"
RESOURCE = nucleus.ledger_resource(LEDGER_ID)
WRITER_GRANT = {
    "action": "write",
    "grantedAt": 1700000000,
    "grantedBy": OWNER,
    "resourceOid": RESOURCE,
    "subjectOid": WRITER,
}


def _copy_fixture(directory: Path) -> Path:
    """A private copy: opening writes WAL files and a lock, so never open the committed file."""
    directory.mkdir(exist_ok=True)
    db = directory / "compat.db"
    shutil.copyfile(FIXTURE, db)
    return db


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stored(path: Path) -> tuple[list[Any], tuple[str | None, list[dict[str, Any]]]]:
    """Every row of the file at ``path`` and its legacy owner and grants, read without writing."""
    storage = nucleus.SqliteStorage(path, read_only=True)
    storage.open(LEDGER_ID)
    try:
        return list(storage.rows()), storage.legacy_acl()
    finally:
        storage.close()


def _records(path: Path) -> list[dict[str, Any]]:
    storage = nucleus.SqliteStorage(path, read_only=True)
    storage.open(LEDGER_ID)
    try:
        return [entry.record for entry in storage.entries()]
    finally:
        storage.close()


def _expect(code: str, fn: Any, reason: str | None = None) -> nucleus.NucleusError:
    with pytest.raises(nucleus.NucleusError) as info:
        fn()
    assert info.value.code == code, info.value.message
    if reason is not None:
        assert info.value.details.get("reason") == reason, info.value.details
    return info.value


def test_format_1_file_opens_verifies_and_serves(tmp_path: Path) -> None:
    db = _copy_fixture(tmp_path)
    with nucleus.Ledger.open(
        LEDGER_ID, nucleus.SqliteStorage(db), modules=[nucleus.ProofModule()], acl="inMemory", checkpoint=CHECKPOINT
    ) as ledger:
        assert ledger.format_version == 1
        assert len(ledger) == 25
        assert ledger.latest_hash == CHECKPOINT["hash"]
        cp = ledger.checkpoint()  # a format-1 file keeps no tree: its root is built in memory at open
        assert (cp.size, cp.hash, cp.origin) == (CHECKPOINT["size"], CHECKPOINT["hash"], f"nucleus/{LEDGER_ID}")
        nucleus.verify_inclusion(ledger.get_entry(cp.hash), ledger.inclusion_proof(cp.size - 1), cp)
        assert ledger.get_by_id("event-7")["payload"]["text"] == "ünïcødé ✓"
        assert ledger.get(CHECKPOINT["hash"])["id"] == "proof-4"
        assert ledger.query().total == 25
        proofs = ledger.query(module_filters={"proof": {"issuer_oid": "oid:onoal:org:acme"}})
        assert proofs.total == 5
        # Access control comes from the format-1 grants table.
        assert ledger.acl.owner == OWNER
        assert ledger.acl.check(WRITER, RESOURCE, "write")
        assert not ledger.acl.check("oid:onoal:user:stranger", RESOURCE, "write")
        assert ledger.acl.list_grants(WRITER) == [WRITER_GRANT]
        assert ledger.verify_storage(CHECKPOINT)


def test_format_1_file_refuses_appends_and_stays_unchanged(tmp_path: Path) -> None:
    db = _copy_fixture(tmp_path)
    before = _stored(db)
    with nucleus.Ledger.open(LEDGER_ID, nucleus.SqliteStorage(db), acl="inMemory") as ledger:
        record = {"id": "new", "stream": "events", "payload": {}}
        err = _expect("LEDGER_MISMATCH", lambda: ledger.append(record, {"requesterOid": WRITER}), "old_format")
        assert err.details["found"] == 1 and err.details["supported"] == nucleus.FORMAT_VERSION
        _expect("LEDGER_MISMATCH", lambda: ledger.append_batch([record], {"requesterOid": OWNER}), "old_format")
        grant = {"subjectOid": "oid:onoal:user:other", "resourceOid": RESOURCE, "action": "write"}
        _expect("LEDGER_MISMATCH", lambda: ledger.acl.grant(grant, {"requesterOid": OWNER}), "old_format")
        assert len(ledger) == 25
        cp = ledger.checkpoint()  # a format-1 file keeps no tree: its root is built in memory at open
        assert (cp.size, cp.hash, cp.origin) == (CHECKPOINT["size"], CHECKPOINT["hash"], f"nucleus/{LEDGER_ID}")
        nucleus.verify_inclusion(ledger.get_entry(cp.hash), ledger.inclusion_proof(cp.size - 1), cp)
        ledger.verify(CHECKPOINT)
    assert _stored(db) == before
    with nucleus.Ledger.open(LEDGER_ID, nucleus.SqliteStorage(db), checkpoint=CHECKPOINT) as reopened:
        assert len(reopened) == 25


def test_upgrade_copies_a_format_1_file_into_format_2(tmp_path: Path) -> None:
    src = _copy_fixture(tmp_path / "old")
    old_files = sorted(os.listdir(src.parent))
    old_sha = _sha256(src)
    old_records = _records(src)
    assert len(old_records) == 25
    dst = tmp_path / "new" / "upgraded.db"
    dst.parent.mkdir()

    checkpoint = nucleus.upgrade_file(src, dst, LEDGER_ID)

    assert _sha256(src) == old_sha, "the upgrade wrote to the source file"
    assert sorted(os.listdir(src.parent)) == old_files, "the upgrade left files beside the source"
    assert sorted(os.listdir(dst.parent)) == ["upgraded.db"], "the upgrade left temporary files beside the target"
    assert isinstance(checkpoint, nucleus.Checkpoint) and checkpoint.size == 27

    # The owner entry, the grant entry, then the 25 records in order.
    records = _records(dst)
    assert len(records) == 27
    assert records[0] == {"id": "owner", "stream": "nucleus.acl", "timestamp": 0, "payload": {"owner": OWNER}}
    assert records[1] == {"id": "grant", "stream": "nucleus.acl", "timestamp": 0, "payload": {"grant": WRITER_GRANT}}
    for seq, (new, old) in enumerate(zip(records[2:], old_records, strict=True), start=2):
        assert new == old, f"entry {seq} is not the format-1 entry {seq - 2}"
    rows, legacy = _stored(dst)
    assert legacy == (None, [])
    assert [row[0] for row in rows] == list(range(27))

    # It opens with access control from the chain alone (no owner given), and the writer may append.
    with nucleus.Ledger.open(
        LEDGER_ID, nucleus.SqliteStorage(dst), modules=[nucleus.ProofModule()], acl="inMemory", checkpoint=checkpoint
    ) as ledger:
        assert ledger.format_version == nucleus.FORMAT_VERSION
        assert ledger.checkpoint() == checkpoint
        assert ledger.acl.owner == OWNER
        assert ledger.acl.check(WRITER, RESOURCE, "write")
        assert ledger.acl.list_grants(WRITER) == [WRITER_GRANT]
        assert ledger.query().total == 25, "queries must leave out the nucleus.acl entries"
        assert ledger.query(module_filters={"proof": {"issuer_oid": "oid:onoal:org:acme"}}).total == 5
        assert ledger.get_by_id("event-7") == old_records[7]
        assert ledger.get_by_id("owner") is None
        ledger.append({"id": "new", "stream": "events", "payload": {"n": 1}}, {"requesterOid": WRITER})
        ledger.verify(checkpoint)
        assert ledger.verify_storage(checkpoint)
        after = ledger.checkpoint()
    with nucleus.Ledger.open(LEDGER_ID, nucleus.SqliteStorage(dst), acl="inMemory", checkpoint=after) as reopened:
        assert len(reopened) == 28
        assert reopened.get_by_id("new")["payload"] == {"n": 1}
    # The source still opens and verifies as before.
    with nucleus.Ledger.open(LEDGER_ID, nucleus.SqliteStorage(src, read_only=True), checkpoint=CHECKPOINT) as old:
        assert len(old) == 25


def test_upgrade_refuses_an_existing_target(tmp_path: Path) -> None:
    src = _copy_fixture(tmp_path / "old")
    old_sha = _sha256(src)
    target_dir = tmp_path / "new"
    target_dir.mkdir()
    dst = target_dir / "taken.db"
    dst.write_bytes(b"keep me")
    _expect("INVALID_CONFIG", lambda: nucleus.upgrade_file(src, dst, LEDGER_ID))
    assert dst.read_bytes() == b"keep me"
    assert sorted(os.listdir(target_dir)) == ["taken.db"], "a refused upgrade created files"
    assert _sha256(src) == old_sha


def test_upgrade_refuses_a_format_2_file(tmp_path: Path) -> None:
    src = _copy_fixture(tmp_path / "old")
    upgraded = tmp_path / "upgraded.db"
    nucleus.upgrade_file(src, upgraded, LEDGER_ID)
    upgraded_sha = _sha256(upgraded)
    again = tmp_path / "again" / "twice.db"
    again.parent.mkdir()
    _expect("INVALID_CONFIG", lambda: nucleus.upgrade_file(upgraded, again, LEDGER_ID))
    assert os.listdir(again.parent) == [], "a refused upgrade created files"
    assert _sha256(upgraded) == upgraded_sha
