"""The JSON bridge (docs/BRIDGE.md): JSON text in and out, every failure as {code, message, details}."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import nucleus
from nucleus._bridge import handle_request
from support import T0, lock_path, rec, sql

OWNER, ALICE = "oid:onoal:user:owner", "oid:onoal:user:alice"


def call(op: str, ledger: int | None = None, **args: Any) -> dict:
    request: dict[str, Any] = {"op": op, "args": args}
    if ledger is not None:
        request["ledger"] = ledger
    response = json.loads(handle_request(json.dumps(request)))
    assert set(response) in ({"ok", "result"}, {"ok", "error"})
    return response


def ok(op: str, ledger: int | None = None, **args: Any) -> Any:
    response = call(op, ledger, **args)
    assert response["ok"] is True, response
    return response["result"]


def error(op: str, ledger: int | None = None, **args: Any) -> dict:
    response = call(op, ledger, **args)
    assert response["ok"] is False, response
    err = response["error"]
    assert set(err) == {"code", "message", "details"} and err["code"] in nucleus.ERROR_CODES
    assert not err["details"].get("internal"), err  # a malformed request is never an internal error
    return err


@pytest.fixture
def handle():
    h = ok("open", id="test", modules=[{"id": "proof"}])["handle"]
    yield h
    call("close", h)


def test_version():
    result = ok("version")
    assert result == {
        "engine": nucleus.__version__,
        "format": nucleus.FORMAT_VERSION,
        "codes": list(nucleus.ERROR_CODES),
    }


def test_round_trip_in_memory(handle: int):
    h1 = ok("append", handle, record=rec(1))
    h2, h3 = ok("appendBatch", handle, records=[rec(2), rec(3, stream="other")])
    assert ok("length", handle) == 3 and ok("latestHash", handle) == h3 and ok("hasStorage", handle) is False
    assert ok("get", handle, hash=h1) == rec(1)
    assert ok("get", handle, hash="0" * 64) is None
    assert ok("getById", handle, id="r2") == rec(2)
    assert ok("getEntry", handle, hash=h2) == {"seq": 1, "hash": h2, "prevHash": h1, "record": rec(2)}
    assert ok("query", handle, filters={"stream": "events", "order": "desc", "limit": 1}) == {
        "records": [rec(2)],
        "total": 2,
        "hasMore": True,
    }
    assert ok("verify", handle) is None and ok("verifyStorage", handle) is False
    checkpoint = ok("checkpoint", handle)
    assert (checkpoint["origin"], checkpoint["size"], checkpoint["hash"]) == ("nucleus/test", 3, h3)
    proof = ok("inclusionProof", handle, seq=1)
    assert proof["kind"] == "inclusion" and (proof["index"], proof["size"]) == (1, 3)
    assert nucleus.verify_inclusion(ok("getEntry", handle, hash=h3), ok("inclusionProof", handle, seq=2), checkpoint)
    proof = ok("consistencyProof", handle, **{"from": 2})
    assert (proof["from"], proof["to"], len(proof["path"])) == (2, 3, 1)
    exported = ok("export", handle)
    assert exported.count("\n") == 4
    assert ok("modules.list", handle) == ["proof"]
    assert ok("modules.metadata", handle) == [{"id": "proof", "version": "1.0.0", "state": "Started"}]
    assert ok("modules.getState", handle, id="proof") == "Started" and ok("modules.getState", handle, id="x") is None
    other = ok("open", id="test")["handle"]
    assert ok("importEntries", other, data=exported) == {"imported": 3, "length": 3}
    assert ok("close", other) is None


def test_sqlite_round_trip_and_reopen(tmp_path: Path):
    storage = {"type": "sqlite", "path": str(tmp_path / "l.db")}
    h = ok("open", id="test", storage=storage)
    assert h["length"] == 0 and h["latestHash"] is None
    assert h["readOnly"] is False and h["caveats"] == []
    tip = ok("appendBatch", h["handle"], records=[rec(i) for i in range(5)])[-1]
    assert ok("hasStorage", h["handle"]) is True and ok("verifyStorage", h["handle"]) is True
    ok("close", h["handle"])
    again = ok("open", id="test", storage=storage)
    assert again["length"] == 5 and again["latestHash"] == tip
    ok("close", again["handle"])


def test_acl_through_the_bridge():
    h = ok("open", id="test", acl="inMemory", owner=OWNER)["handle"]
    resource = nucleus.ledger_resource("test")
    assert error("append", h, record=rec(0))["code"] == "INVALID_CONTEXT"
    assert error("append", h, record=rec(0), context={"requesterOid": ALICE})["code"] == "ACCESS_DENIED"
    grant = {"subjectOid": ALICE, "resourceOid": resource, "action": "write"}
    assert error("acl.grant", h, grant=grant, context={"requesterOid": ALICE})["code"] == "ACCESS_DENIED"
    stored = ok("acl.grant", h, grant=grant, context={"requesterOid": OWNER})
    assert stored["grantedBy"] == OWNER
    assert ok("acl.check", h, subjectOid=ALICE, resourceOid=resource, action="write") is True
    assert ok("acl.listGrants", h, subjectOid=ALICE) == [stored]
    ok("append", h, record=rec(0), context={"requesterOid": ALICE})
    assert (
        ok("acl.revoke", h, subjectOid=ALICE, resourceOid=resource, action="write", context={"requesterOid": OWNER})
        is True
    )
    assert error("append", h, record=rec(1), context={"requesterOid": ALICE})["code"] == "ACCESS_DENIED"
    ok("close", h)


def test_error_mapping(handle: int):
    err = error("append", handle, record={"id": "", "stream": "s", "payload": {}})
    assert err["code"] == "INVALID_RECORD" and err["details"] == {"field": "id"}
    err = error("appendBatch", handle, records=[rec(0), {"id": "p", "stream": "proofs", "payload": {}}])
    assert err["code"] == "MODULE_REJECTED" and err["details"]["index"] == 1 and err["details"]["module"] == "proof"
    assert error("append", handle, record=rec(0), context={"requesterOid": "bad"})["code"] == "INVALID_CONTEXT"
    assert error("query", handle, filters={"nope": 1})["code"] == "INVALID_ARGUMENT"
    assert error("verify", handle, checkpoint={"size": 9, "hash": "a" * 64})["code"] == "CHAIN_INVALID"
    assert error("importEntries", handle, data="")["code"] == "INVALID_ARGUMENT"
    assert error("metrics", handle)["code"] == "INVALID_CONFIG"
    assert error("open", id="test", storage={"type": "postgres"})["code"] == "INVALID_CONFIG"  # no dsn
    assert error("open", id="test", storage={"type": "postgres", "dsn": "x=1", "pool": 2})["code"] == "INVALID_CONFIG"
    assert error("open", id="test", storage={"type": "sqlite", "path": ""})["code"] == "INVALID_CONFIG"
    assert error("open", id="test", storage={"type": "floppy"})["code"] == "INVALID_CONFIG"
    assert error("open", id="", storage=None)["code"] == "INVALID_CONFIG"
    assert error("open", id="test", color="red")["code"] == "INVALID_CONFIG"
    assert ok("length", handle) == 0  # none of it was written


def test_chain_invalid_carries_the_report(tmp_path: Path):
    db = tmp_path / "l.db"
    storage = {"type": "sqlite", "path": str(db)}
    h = ok("open", id="test", storage=storage)["handle"]
    ok("appendBatch", h, records=[rec(i) for i in range(4)])
    ok("close", h)
    sql(db, "UPDATE entries SET prev_hash = NULL WHERE seq = 2")
    err = error("open", id="test", storage=storage)
    assert err["code"] == "CHAIN_INVALID"
    assert err["details"]["seq"] == 2 and err["details"]["kind"] == "link" and err["details"]["message"]
    assert not lock_path(db).exists()


def test_closed_and_unknown_handles(handle: int):
    h = ok("open", id="test")["handle"]
    ok("close", h)
    assert error("length", h)["code"] == "LEDGER_CLOSED"
    assert error("append", 10_000, record=rec(0))["code"] == "LEDGER_CLOSED"
    assert error("append", None, record=rec(0))["code"] == "LEDGER_CLOSED"


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "",
        "[1]",
        "null",
        '"append"',
        '{"op": 1}',
        '{"args": {}}',
        '{"op": "explode", "ledger": 1}',
        '{"op": "version", "args": [1]}',
    ],
)
def test_malformed_requests(text: str):
    response = json.loads(handle_request(text))
    assert response["ok"] is False and response["error"]["code"] == "INVALID_ARGUMENT"


OPS_ARGS = {
    "append": ["record", "context"],
    "appendBatch": ["records", "context"],
    "get": ["hash"],
    "getById": ["id"],
    "getEntry": ["hash"],
    "query": ["filters"],
    "verify": ["checkpoint"],
    "verifyStorage": ["checkpoint"],
    "importEntries": ["data", "context"],
    "exportStream": ["from", "size"],
    "modules.getState": ["id"],
}
JUNK = [None, 1, -1, 1.5, True, "", "x", [], [1], ["x"], [None], {}, {"a": 1}, {"requesterOid": 5}]


@pytest.mark.parametrize("op", list(OPS_ARGS))
def test_junk_arguments_get_error_codes_not_internal_errors(handle: int, op: str):
    """BRIDGE.md: a malformed request is answered with a code; it never surfaces as an internal error."""
    for key in OPS_ARGS[op]:
        for junk in JUNK:
            response = call(op, handle, **{key: junk})
            if not response["ok"]:
                assert not response["error"]["details"].get("internal"), (op, key, junk, response)
    assert ok("length", handle) == 0


def test_responses_are_plain_json_for_unicode(handle: int):
    record = {"id": "ü😀", "stream": "s", "timestamp": T0, "payload": {"\u2028": "é"}}
    h = ok("append", handle, record=record)
    text = handle_request(json.dumps({"op": "get", "ledger": handle, "args": {"hash": h}}))
    assert json.loads(text)["result"] == record


def test_an_internal_bug_still_answers_plain_json(handle: int, monkeypatch: pytest.MonkeyPatch):
    """The one mock in this suite: an engine bug cannot be caused on purpose (every known one is fixed), so an
    operation is replaced by one that raises a plain Python exception, to check the bridge's last line of defence."""
    import nucleus._bridge as bridge

    def broken(ledger, args):
        raise RuntimeError("simulated engine bug")

    monkeypatch.setitem(bridge.OPERATIONS, "length", broken)
    response = json.loads(handle_request(json.dumps({"op": "length", "ledger": handle})))
    assert response == {
        "ok": False,
        "error": {
            "code": "STORAGE_ERROR",
            "details": {"internal": True},
            "message": "internal error: RuntimeError('simulated engine bug')",
        },
    }


# -- read-only file ops for the CLI: inspect and verifyFile ------------------------------------------------


def _listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def ledger_file(tmp_path: Path) -> tuple[Path, list[str]]:
    db = tmp_path / "l.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), owner=OWNER) as lg:
        hashes = lg.append_batch([rec(i, stream="a" if i % 3 else "b") for i in range(10)])
    return db, hashes


def test_inspect_reads_without_writing(ledger_file):
    db, hashes = ledger_file
    before = _listing(db.parent)
    info = ok("inspect", path=str(db))
    assert _listing(db.parent) == before
    assert info["ledgerId"] == "test" and info["owner"] == OWNER
    assert info["caveats"] and "no lock file is taken" in info["caveats"][0]
    assert (info["formatVersion"], info["schemaVersion"]) == (2, 3)
    # The owner is entry 0 (stream nucleus.acl, at timestamp 0), the 10 records follow.
    assert info["entries"] == 11 and info["latestHash"] == hashes[-1]
    assert (info["firstTimestamp"], info["lastTimestamp"]) == (0, T0 + 9)
    assert info["streams"] == [
        {"stream": "a", "entries": 6},
        {"stream": "b", "entries": 4},
        {"stream": "nucleus.acl", "entries": 1},
    ]


def test_verify_file_whole_and_in_chunks(ledger_file):
    db, hashes = ledger_file
    before = _listing(db.parent)
    whole = ok("verifyFile", path=str(db))
    caveats = whole.pop("caveats")
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as lg:
        checkpoint = lg.checkpoint().to_json()  # the whole checkpoint, Merkle root included: the ledger's own
    assert checkpoint["size"] == 11 and checkpoint["root"]
    assert whole == {"size": 11, "hash": hashes[-1], "timestamp": T0 + 9, "done": True, "checkpoint": checkpoint}
    assert len(caveats) == 2 and "no lock file is taken" in caveats[0] and '"changed"' in caveats[1]
    position, calls = None, 0
    while True:
        step = ok("verifyFile", path=str(db), limit=3, **({"from": position} if position else {}))
        calls += 1
        position = {k: step[k] for k in ("size", "hash", "timestamp")}
        if step["done"]:
            break
        assert "checkpoint" not in step  # only once the whole chain is verified
    assert step == {**whole, "caveats": caveats} and calls == 4
    assert ok("verifyFile", path=str(db), checkpoint={"size": 6, "hash": hashes[4]})["done"] is True
    assert _listing(db.parent) == before


def test_verify_file_reports_tampering(ledger_file):
    db, _ = ledger_file
    sql(db, "UPDATE entries SET prev_hash = NULL WHERE seq = 6")
    err = error("verifyFile", path=str(db))
    assert err["code"] == "CHAIN_INVALID" and (err["details"]["seq"], err["details"]["kind"]) == (6, "link")
    assert ok("verifyFile", path=str(db), limit=5)["size"] == 5  # the first chunk is still fine
    assert ok("inspect", path=str(db))["entries"] == 11  # inspection works on a broken file


def test_verify_file_against_a_checkpoint(ledger_file):
    db, hashes = ledger_file
    sql(db, "DELETE FROM entries WHERE seq >= 8")
    err = error("verifyFile", path=str(db), checkpoint={"size": 11, "hash": hashes[-1]})
    assert err["code"] == "CHAIN_INVALID" and err["details"]["kind"] == "checkpoint" and err["details"]["seq"] == 8


def test_file_ops_refuse_bad_paths(tmp_path: Path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 100)
    for op in ("inspect", "verifyFile"):
        assert error(op, path=str(tmp_path / "missing.db"))["code"] == "STORAGE_ERROR"
        assert error(op, path=str(junk))["code"] == "LEDGER_MISMATCH"
        assert error(op, path=5)["code"] == "INVALID_ARGUMENT"
        assert error(op)["code"] == "INVALID_ARGUMENT"
    assert error("verifyFile", path=str(junk), limit=0)["code"] == "INVALID_ARGUMENT"
    assert error("verifyFile", path=str(junk), **{"from": {"size": 1}})["code"] == "INVALID_ARGUMENT"


def test_requests_as_utf8_bytes(handle: int):
    # The TypeScript host sends large requests as UTF-8 bytes (cheaper than building a Python str).
    records = [rec(i) | {"payload": {"text": "ünïcødé ✓ 😀", "i": i}} for i in range(300)]
    request = json.dumps({"op": "appendBatch", "ledger": handle, "args": {"records": records}}).encode("utf-8")
    response = json.loads(handle_request(request))
    assert response["ok"] is True and len(response["result"]) == 300
    assert ok("getById", handle, id=records[7]["id"])["payload"]["text"] == "ünïcødé ✓ 😀"
    for bad in (b"\xff\xfe", b"[" * 300 + b"]" * 300):
        response = json.loads(handle_request(bad))
        assert response["error"]["code"] == "INVALID_ARGUMENT"
    assert ok("length", handle) == 300  # refused requests wrote nothing


def test_file_ops_read_again_when_a_checkpoint_changed_the_file(ledger_file, monkeypatch):
    """A writer's checkpoint under a read-only reading makes the engine read again, up to three times in all."""
    db, hashes = ledger_file
    from nucleus.storage import sqlite as sqlite_module

    results = iter([False, True, True, True, True, True, True, True, True, True])
    monkeypatch.setattr(sqlite_module._Guard, "unchanged", lambda self: next(results))
    assert ok("verifyFile", path=str(db))["hash"] == hashes[-1]
    monkeypatch.setattr(sqlite_module._Guard, "unchanged", lambda self: False)
    err = error("inspect", path=str(db))
    assert err["code"] == "STORAGE_ERROR" and err["details"]["reason"] == "changed"


# -- read-only open and the upgrade from format 1 ----------------------------------------------------------

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "compat-v1.db"


def test_open_read_only_serves_and_refuses_writes(ledger_file):
    db, hashes = ledger_file
    before = _listing(db.parent)
    opened = ok("open", id="test", storage={"type": "sqlite", "path": str(db), "readOnly": True})
    h = opened["handle"]
    assert (opened["length"], opened["latestHash"], opened["readOnly"]) == (11, hashes[-1], True)
    assert opened["caveats"] and "no lock file is taken" in opened["caveats"][0]
    assert ok("get", h, hash=hashes[3])["id"] == "r3" and ok("verify", h) is None
    for op, args in (
        ("append", {"record": rec(20)}),
        ("appendBatch", {"records": [rec(20)]}),
        ("importEntries", {"data": "x"}),
        ("acl.grant", {"grant": {"subjectOid": ALICE, "resourceOid": "oid:onoal:ledger:test", "action": "write"}}),
        ("acl.revoke", {"subjectOid": ALICE, "resourceOid": "oid:onoal:ledger:test", "action": "write"}),
    ):
        err = error(op, h, **args)
        assert (err["code"], err["details"].get("reason")) == ("STORAGE_ERROR", "read_only_open"), (op, err)
    ok("close", h)
    assert _listing(db.parent) == before
    missing = {"type": "sqlite", "path": str(db.parent / "missing.db"), "readOnly": True}
    assert error("open", id="test", storage=missing)["details"]["reason"] == "missing"
    assert error("open", id="test", storage={**missing, "readOnly": "yes"})["code"] == "INVALID_CONFIG"
    assert _listing(db.parent) == before


def test_verify_file_gives_the_checkpoint_of_a_file_that_keeps_no_tree(tmp_path: Path):
    # Format 1 keeps no Merkle tree: the root is folded from the verified entries' hashes, as a read-only open does.
    db = tmp_path / "v1.db"
    db.write_bytes(FIXTURE.read_bytes())
    with nucleus.Ledger.open("compat-v1", nucleus.SqliteStorage(db, read_only=True)) as lg:
        checkpoint = lg.checkpoint().to_json()
    assert checkpoint["origin"] == "nucleus/compat-v1" and checkpoint["size"] == 25
    assert ok("verifyFile", path=str(db))["checkpoint"] == checkpoint
    last = ok("verifyFile", path=str(db), limit=20)
    assert not last["done"] and "checkpoint" not in last
    last = ok("verifyFile", path=str(db), limit=20, **{"from": {k: last[k] for k in ("size", "hash", "timestamp")}})
    assert last["done"] and last["checkpoint"] == checkpoint


def test_upgrade_file_op(tmp_path: Path):
    old = tmp_path / "old.db"
    old.write_bytes(FIXTURE.read_bytes())
    new = tmp_path / "new.db"
    result = ok("upgradeFile", source=str(old), target=str(new), ledgerId="compat-v1")
    assert result["size"] == 27 and old.read_bytes() == FIXTURE.read_bytes()
    with nucleus.Ledger.open("compat-v1", nucleus.SqliteStorage(new, read_only=True), checkpoint=result) as ledger:
        assert ledger.format_version == nucleus.FORMAT_VERSION and len(ledger) == 27
    listing = _listing(tmp_path)
    old_, new_, none, x = str(old), str(new), str(tmp_path / "none.db"), str(tmp_path / "x.db")
    refusals = [
        ({"source": old_, "target": new_, "ledgerId": "compat-v1"}, "INVALID_CONFIG"),  # the target exists
        ({"source": none, "target": x, "ledgerId": "compat-v1"}, "STORAGE_ERROR"),
        ({"source": new_, "target": x, "ledgerId": "compat-v1"}, "INVALID_CONFIG"),  # format 2 already
        ({"source": old_, "target": x, "ledgerId": "other"}, "LEDGER_MISMATCH"),
        ({"source": old_, "target": x, "ledgerId": "not an id!"}, "INVALID_CONFIG"),
        ({"source": old_, "target": "", "ledgerId": "compat-v1"}, "INVALID_ARGUMENT"),
        ({"target": x, "ledgerId": "compat-v1"}, "INVALID_ARGUMENT"),
    ]
    for args, code in refusals:
        assert error("upgradeFile", **args)["code"] == code, args
    assert _listing(tmp_path) == listing


@pytest.mark.host_only
def test_postgres_storage_spec(postgres, pg_schema):
    """``{"type": "postgres", "dsn", "schema"?, "timeout"?}`` opens a PostgresStorage (under Node.js the same spec
    reaches the engine in Pyodide, which talks through the host's channel)."""
    spec = {"type": "postgres", "dsn": postgres.dsn(), "schema": pg_schema, "timeout": 5}
    handle = ok("open", id="pg", storage=spec)["handle"]
    first = ok("append", handle, record=rec(0))
    ok("close", handle)
    reopened = ok("open", id="pg", storage=spec)
    assert reopened["length"] == 1 and reopened["latestHash"] == first
    ok("verify", reopened["handle"])  # raises unless it verifies
    ok("close", reopened["handle"])
    bad = error("open", id="pg", storage={**spec, "timeout": 0})
    assert bad["code"] == "INVALID_CONFIG"
