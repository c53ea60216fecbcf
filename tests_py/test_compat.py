"""Compatibility: the ledger file written by format 1 / schema 1 (tests_py/fixtures/compat-v1.db, made once by
make_compat.py) must open, re-verify whole, keep its grants, and accept appends with this code."""

from __future__ import annotations

import shutil
from pathlib import Path

import nucleus

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "compat-v1.db"
CHECKPOINT = {"size": 25, "hash": "64e98b79b4ece7e31f5b0f27227ff80aa991aca582fa89b0e64a608845953118"}
OWNER = "oid:onoal:user:owner"


def test_format_1_file_opens_and_verifies(tmp_path: Path) -> None:
    db = tmp_path / "compat.db"
    shutil.copyfile(FIXTURE, db)  # opening writes WAL files and a lock: never touch the committed file
    with nucleus.Ledger.open(
        "compat-v1", nucleus.SqliteStorage(db), modules=[nucleus.ProofModule()], acl="inMemory", checkpoint=CHECKPOINT
    ) as ledger:
        assert len(ledger) == 25
        assert ledger.latest_hash == CHECKPOINT["hash"]
        assert ledger.get_by_id("event-7")["payload"]["text"] == "ünïcødé ✓"
        proofs = ledger.query(module_filters={"proof": {"issuer_oid": "oid:onoal:org:acme"}})
        assert proofs.total == 5
        writer = "oid:onoal:user:writer"
        assert ledger.acl.check(writer, nucleus.ledger_resource("compat-v1"), "write")
        ledger.append({"id": "new", "stream": "events", "payload": {}}, {"requesterOid": writer})
        assert ledger.verify_storage(CHECKPOINT)
    with nucleus.Ledger.open("compat-v1", nucleus.SqliteStorage(db)) as reopened:
        assert len(reopened) == 26
        assert reopened.acl.owner == OWNER
