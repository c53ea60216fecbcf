"""Access control: allow, deny, expiry, revoke, who may grant, persistence, and when a context is needed."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

import nucleus
from nucleus import RequestContext
from support import raises_code, rec, sql

OWNER, ALICE, BOB, CAROL = (f"oid:onoal:user:{n}" for n in ("owner", "alice", "bob", "carol"))
LEDGER = nucleus.ledger_resource("test")
AS_OWNER = RequestContext(OWNER)


def ctx(oid: str) -> dict:
    return {"requesterOid": oid}


def write_grant(subject: str, **extra) -> dict:
    return {"subjectOid": subject, "resourceOid": LEDGER, "action": "write", **extra}


@pytest.fixture
def guarded(make_storage):
    with nucleus.Ledger.open("test", make_storage(), acl="inMemory", owner=OWNER) as lg:
        yield lg


def test_resource_name():
    assert LEDGER == "oid:onoal:ledger:test"


def test_owner_may_append_others_need_a_grant(guarded: nucleus.Ledger):
    guarded.append(rec(0), ctx(OWNER))
    err = raises_code("ACCESS_DENIED", lambda: guarded.append(rec(1), ctx(ALICE)), nucleus.AccessDenied)
    assert err.details == {"subjectOid": ALICE, "resourceOid": LEDGER, "action": "write"}
    assert ALICE in err.message
    raises_code("ACCESS_DENIED", lambda: guarded.append_batch([rec(1), rec(2)], ctx(ALICE)))
    assert guarded.query().total == 1  # records only, not the acl entries


def test_grant_allows_and_check_reports_it(guarded: nucleus.Ledger):
    assert guarded.acl.check(ALICE, LEDGER, "write") is False
    stored = guarded.acl.grant(write_grant(ALICE), AS_OWNER)
    assert stored["grantedBy"] == OWNER and abs(stored["grantedAt"] - time.time()) < 5
    assert guarded.acl.check(ALICE, LEDGER, "write") is True
    assert guarded.acl.check(ALICE, LEDGER, "read") is False  # only the granted action
    assert guarded.acl.check(BOB, LEDGER, "write") is False
    assert guarded.acl.check(OWNER, "oid:onoal:doc:anything", "delete") is True  # the owner may do anything
    guarded.append(rec(0), ctx(ALICE))
    guarded.append_batch([rec(1), rec(2)], RequestContext(ALICE))
    assert guarded.query().total == 3  # records only, not the acl entries
    raises_code("ACCESS_DENIED", lambda: guarded.append(rec(3), ctx(BOB)))
    assert guarded.acl.list_grants(ALICE) == [stored]


def test_a_grant_on_another_resource_does_not_allow_writes(guarded: nucleus.Ledger):
    guarded.acl.grant({"subjectOid": ALICE, "resourceOid": "oid:onoal:ledger:other", "action": "write"}, AS_OWNER)
    raises_code("ACCESS_DENIED", lambda: guarded.append(rec(0), ctx(ALICE)))


def test_expiry(guarded: nucleus.Ledger):
    now = int(time.time())
    guarded.acl.grant(write_grant(ALICE, expiresAt=now - 1), AS_OWNER)
    guarded.acl.grant(write_grant(BOB, expiresAt=now + 3600), AS_OWNER)
    assert guarded.acl.check(ALICE, LEDGER, "write") is False
    assert guarded.acl.list_grants(ALICE) == []
    raises_code("ACCESS_DENIED", lambda: guarded.append(rec(0), ctx(ALICE)))
    assert guarded.acl.check(BOB, LEDGER, "write") is True
    guarded.append(rec(0), ctx(BOB))
    assert guarded.acl.check(BOB, LEDGER, "write", now=now + 3600) is False  # the moment it expires
    assert guarded.acl.check(BOB, LEDGER, "write", now=now + 3599) is True


def test_revoke(guarded: nucleus.Ledger):
    guarded.acl.grant(write_grant(ALICE), AS_OWNER)
    guarded.append(rec(0), ctx(ALICE))
    assert guarded.acl.revoke(ALICE, LEDGER, "write", AS_OWNER) is True
    assert guarded.acl.revoke(ALICE, LEDGER, "write", AS_OWNER) is False  # nothing left to revoke
    assert guarded.acl.check(ALICE, LEDGER, "write") is False
    raises_code("ACCESS_DENIED", lambda: guarded.append(rec(1), ctx(ALICE)))
    assert guarded.query().total == 1  # records only, not the acl entries


def test_a_non_owner_may_not_grant_or_revoke(guarded: nucleus.Ledger):
    guarded.acl.grant(write_grant(ALICE), AS_OWNER)
    err = raises_code("ACCESS_DENIED", lambda: guarded.acl.grant(write_grant(BOB), RequestContext(ALICE)))
    assert "only the ledger owner" in err.message
    raises_code("ACCESS_DENIED", lambda: guarded.acl.grant(write_grant(BOB, grantedBy=ALICE)))
    assert guarded.acl.list_grants(BOB) == []
    # a writer cannot promote itself either
    raises_code(
        "ACCESS_DENIED", lambda: guarded.acl.grant({**write_grant(ALICE), "action": "admin"}, RequestContext(ALICE))
    )
    raises_code("ACCESS_DENIED", lambda: guarded.acl.revoke(ALICE, LEDGER, "write", RequestContext(ALICE)))
    assert guarded.acl.check(ALICE, LEDGER, "write") is True


def test_admin_holders_may_grant_and_revoke(guarded: nucleus.Ledger):
    guarded.acl.grant({"subjectOid": ALICE, "resourceOid": LEDGER, "action": "admin"}, AS_OWNER)
    assert guarded.acl.grant(write_grant(BOB), RequestContext(ALICE))["grantedBy"] == ALICE
    guarded.append(rec(0), ctx(BOB))
    guarded.append(rec(1), ctx(ALICE))  # admin implies write
    assert guarded.acl.revoke(BOB, LEDGER, "write", RequestContext(ALICE)) is True
    raises_code("ACCESS_DENIED", lambda: guarded.append(rec(2), ctx(BOB)))


def test_an_expired_admin_may_not_grant(guarded: nucleus.Ledger):
    past = int(time.time()) - 10
    guarded.acl.grant({"subjectOid": ALICE, "resourceOid": LEDGER, "action": "admin", "expiresAt": past}, AS_OWNER)
    raises_code("ACCESS_DENIED", lambda: guarded.acl.grant(write_grant(BOB), RequestContext(ALICE)))


def test_granted_by_must_be_the_requester(guarded: nucleus.Ledger):
    raises_code("INVALID_CONTEXT", lambda: guarded.acl.grant(write_grant(ALICE, grantedBy=BOB), AS_OWNER))
    raises_code("INVALID_CONTEXT", lambda: guarded.acl.grant(write_grant(ALICE)))  # no requester at all
    assert guarded.acl.list_grants(ALICE) == []


@pytest.mark.parametrize(
    ("grant", "code"),
    [
        ({"subjectOid": "alice", "resourceOid": LEDGER, "action": "write"}, "INVALID_CONTEXT"),
        ({"subjectOid": ALICE, "resourceOid": LEDGER, "action": ""}, "INVALID_ARGUMENT"),
        ({"subjectOid": ALICE, "resourceOid": LEDGER, "action": "write", "expiresAt": -5}, "INVALID_ARGUMENT"),
        ({"subjectOid": ALICE, "resourceOid": LEDGER, "action": "write", "expiresAt": 1.5}, "INVALID_ARGUMENT"),
        (
            {"subjectOid": ALICE, "resourceOid": LEDGER, "action": "write", "metadata": {"x": float("nan")}},
            "INVALID_ARGUMENT",
        ),
        ({"subjectOid": ALICE, "resourceOid": LEDGER, "action": "write", "color": "red"}, "INVALID_ARGUMENT"),
        ("write", "INVALID_ARGUMENT"),
    ],
)
def test_malformed_grants(guarded: nucleus.Ledger, grant, code: str):
    raises_code(code, lambda: guarded.acl.grant(grant, AS_OWNER))
    assert guarded.acl.list_grants(ALICE) == []


def test_context_is_required_when_acl_is_on(guarded: nucleus.Ledger):
    err = raises_code("INVALID_CONTEXT", lambda: guarded.append(rec(0)), nucleus.ContextError)
    assert "context" in err.message
    raises_code("INVALID_CONTEXT", lambda: guarded.append_batch([rec(0)]))
    raises_code("INVALID_CONTEXT", lambda: guarded.import_entries(nucleus.Ledger.open("test").export()))
    raises_code("INVALID_CONTEXT", lambda: guarded.acl.revoke(ALICE, LEDGER, "write", None))
    assert guarded.query().total == 0  # records only, not the acl entries


def test_context_is_optional_when_acl_is_off(make_storage):
    with nucleus.Ledger.open("test", make_storage()) as lg:
        lg.append(rec(0))
        lg.append(rec(1), ctx(ALICE))
        lg.append_batch([rec(2)], RequestContext(BOB, timestamp=int(time.time() * 1000)))
        assert len(lg) == 3
        assert lg.acl.enabled is False
        raises_code("INVALID_CONFIG", lambda: lg.acl.grant(write_grant(ALICE), AS_OWNER))
        raises_code("INVALID_CONFIG", lambda: lg.acl.check(ALICE, LEDGER, "write"))


def test_acl_needs_an_owner():
    err = raises_code("INVALID_CONFIG", lambda: nucleus.Ledger.open("test", acl="inMemory"))
    assert "owner" in err.message
    raises_code("INVALID_CONFIG", lambda: nucleus.Ledger.open("test", acl="remote", owner=OWNER))
    raises_code("INVALID_CONTEXT", lambda: nucleus.Ledger.open("test", acl="inMemory", owner="owner"))


def test_grants_persist_across_reopen(tmp_path: Path):
    db = tmp_path / "ledger.db"
    now = int(time.time())
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory", owner=OWNER) as lg:
        lg.acl.grant(write_grant(ALICE, metadata={"why": "test"}), AS_OWNER)
        lg.acl.grant(write_grant(BOB), AS_OWNER)
        lg.acl.grant(write_grant(CAROL, expiresAt=now - 1), AS_OWNER)
        alice_grants = lg.acl.list_grants(ALICE)
    # The owner is stored with the ledger: reopening needs no owner argument.
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory") as lg:
        assert lg.acl.owner == OWNER
        assert lg.acl.list_grants(ALICE) == alice_grants and alice_grants[0]["metadata"] == {"why": "test"}
        lg.append(rec(0), ctx(ALICE))
        raises_code("ACCESS_DENIED", lambda: lg.append(rec(1), ctx(CAROL)))  # still expired
        assert lg.acl.revoke(BOB, LEDGER, "write", AS_OWNER) is True
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory", owner=OWNER) as lg:
        raises_code("ACCESS_DENIED", lambda: lg.append(rec(1), ctx(BOB)))  # the revocation persisted too
        lg.append(rec(1), ctx(ALICE))
        assert lg.query().total == 2


def test_reopening_with_another_owner_is_refused(tmp_path: Path):
    db = tmp_path / "ledger.db"
    nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory", owner=OWNER).close()
    err = raises_code("LEDGER_MISMATCH", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db), owner=ALICE))
    assert err.details["found"] == OWNER
    assert not Path(f"{db}.lock").exists()


# -- the access-control entries are in the chain: an adversary who edits the file -----------------------------


def _acl_ledger(db: Path) -> list[str]:
    """owner (seq 0), a write grant to ALICE (seq 1), an admin grant to BOB (seq 2), one record (seq 3)."""
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory", owner=OWNER) as lg:
        lg.acl.grant(write_grant(ALICE), AS_OWNER)
        lg.acl.grant({**write_grant(BOB), "action": "admin"}, AS_OWNER)
        lg.append(rec(0), ctx(ALICE))
        return [e.hash for e in lg._storage.entries()]


def _append_forged(db: Path, record: dict) -> None:
    """Append ``record`` to the file as its own entry with a correct hash: what anyone who can write the file
    can do without any key. Only the replay of access control can refuse a forged grant."""
    (seq, prev, ts) = (
        sqlite3.connect(db).execute("SELECT seq, hash, timestamp FROM entries ORDER BY seq DESC").fetchone()
    )
    record = {**record, "timestamp": ts}
    canonical = nucleus.canonicalize(record)
    h = nucleus.entry_hash("test", seq + 1, prev, canonical)
    sql(
        db,
        (
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq + 1, h, prev, record["id"], record["stream"], ts, canonical.decode()),
        ),
    )


def _open_refused(db: Path, seq: int, kind: str) -> nucleus.ChainIntegrityError:
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory"))
    assert (err.seq, err.kind) == (seq, kind), err.message
    return err


def _grant_record(grant: dict) -> dict:
    return {"id": "grant", "stream": "nucleus.acl", "payload": {"grant": grant}}


def test_a_grant_forged_by_someone_without_admin_is_refused_on_open(tmp_path: Path):
    db = tmp_path / "l.db"
    _acl_ledger(db)
    forged = {**write_grant(CAROL), "grantedBy": ALICE, "grantedAt": 1}  # ALICE may write, not grant
    _append_forged(db, _grant_record(forged))
    err = _open_refused(db, 4, "acl")
    assert ALICE in err.message


def test_an_admin_may_grant_in_the_chain_and_it_replays(tmp_path: Path):
    db = tmp_path / "l.db"
    _acl_ledger(db)
    _append_forged(db, _grant_record({**write_grant(CAROL), "grantedBy": BOB, "grantedAt": 1}))  # BOB is admin
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory") as lg:
        assert lg.acl.check(CAROL, LEDGER, "write")


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ({"id": "owner", "stream": "nucleus.acl", "payload": {"owner": ALICE}}, "second owner"),
        (
            {
                "id": "revoke",
                "stream": "nucleus.acl",
                "payload": {"subjectOid": CAROL, "resourceOid": LEDGER, "action": "write", "revokedBy": OWNER},
            },
            "revokes a grant that does not exist",
        ),
        (
            {
                "id": "grant",
                "stream": "nucleus.acl",
                "payload": {"grant": {**write_grant(CAROL), "grantedBy": OWNER, "grantedAt": 1, "extra": 1}},
            },
            "must hold exactly",
        ),
        (
            {
                "id": "grant",
                "stream": "nucleus.acl",
                "payload": {"grant": {**write_grant(CAROL), "grantedBy": OWNER, "grantedAt": -1}},
            },
            "malformed",
        ),
        ({"id": "promote", "stream": "nucleus.acl", "payload": {}}, "not one of owner, grant, revoke"),
    ],
    ids=["second owner", "revoke of nothing", "unknown grant member", "negative grantedAt", "unknown kind"],
)
def test_access_control_entries_the_chain_cannot_hold_are_refused(tmp_path: Path, record: dict, why: str):
    db = tmp_path / "l.db"
    _acl_ledger(db)
    _append_forged(db, record)
    assert why in _open_refused(db, 4, "acl").message


def test_editing_or_deleting_an_access_control_entry_breaks_the_chain(tmp_path: Path):
    db = tmp_path / "l.db"
    _acl_ledger(db)
    sql(db, 'UPDATE entries SET record = replace(record, \'"action":"write"\', \'"action":"admin"\') WHERE seq = 1')
    _open_refused(db, 1, "hash")
    db2 = tmp_path / "l2.db"
    _acl_ledger(db2)
    sql(db2, "DELETE FROM entries WHERE seq = 0")  # the owner entry: whoever opens next must not become owner
    _open_refused(db2, 0, "sequence")


def test_a_rebuilt_chain_with_another_owner_is_caught_by_a_kept_checkpoint(tmp_path: Path):
    db = tmp_path / "l.db"
    hashes = _acl_ledger(db)
    kept = {"size": len(hashes), "hash": hashes[-1]}
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT seq, record FROM entries ORDER BY seq").fetchall()
    conn.close()
    prev = None
    for seq, text in rows:  # every hash recomputed: the chain verifies on its own
        text = text.replace(OWNER, CAROL)
        h = nucleus.entry_hash("test", seq, prev, text.encode())
        sql(db, ("UPDATE entries SET hash = ?, prev_hash = ?, record = ? WHERE seq = ?", (h, prev, text, seq)))
        prev = h
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory") as lg:
        assert lg.acl.owner == CAROL  # a full rewrite is a valid chain of its own
    err = raises_code(
        "CHAIN_INVALID", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory", checkpoint=kept)
    )
    assert err.kind == "checkpoint"


def test_applications_cannot_append_to_reserved_streams(guarded: nucleus.Ledger):
    size = len(guarded)
    for stream in ("nucleus.acl", "nucleus.other"):
        record = {"id": "grant", "stream": stream, "payload": {"grant": write_grant(ALICE)}}
        err = raises_code("INVALID_RECORD", lambda r=record: guarded.append(r, ctx(OWNER)))
        assert err.details["field"] == "stream"
    assert len(guarded) == size


def test_an_export_with_a_forged_grant_is_refused_on_import():
    with nucleus.Ledger.open("test", acl="inMemory", owner=OWNER) as lg:
        lg.acl.grant(write_grant(ALICE), AS_OWNER)
        lines = lg.export().splitlines()
    last = json.loads(lines[-1])
    forged = _grant_record({**write_grant(CAROL), "grantedBy": ALICE, "grantedAt": 1})
    canonical = nucleus.canonicalize({**forged, "timestamp": last["record"]["timestamp"]}).decode()
    seq = last["seq"] + 1
    h = nucleus.entry_hash("test", seq, last["hash"], canonical.encode())
    line = f'{{"hash":"{h}","prev_hash":"{last["hash"]}","record":{canonical},"seq":{seq}}}'
    header = lines[0].replace(f'"size":{seq}', f'"size":{seq + 1}')
    with nucleus.Ledger.open("test", acl="inMemory", owner=OWNER) as target:
        err = raises_code(
            "CHAIN_INVALID", lambda: target.import_entries("\n".join([header, *lines[1:], line]) + "\n", AS_OWNER)
        )
        assert (err.seq, err.kind) == (seq, "acl")
        assert len(target) == 1  # only its own owner entry: nothing of the export was written
