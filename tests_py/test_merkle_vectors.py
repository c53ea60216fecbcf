"""vectors/merkle/ledger.json (docs/FORMAT.md §9): the engine rebuilds the same ledger and gives the same roots,
checkpoints and proofs, every proof verifies standalone, and every changed one fails with the verdict written; and
every case of vectors/merkle/verify.json gets its verdict (the TypeScript verifier runs the same cases in Node and
Chromium: js/test/helpers/proofs.mjs)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

import nucleus
from nucleus import _merkle as merkle

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "merkle"
VECTOR = json.loads((VECTORS / "ledger.json").read_text())
VERIFY = json.loads((VECTORS / "verify.json").read_text())["cases"]


def _record(i: int) -> dict[str, Any]:
    return {"id": f"r{i}", "stream": "s", "timestamp": 1_735_689_600_000 + i, "payload": {"i": i}}


@pytest.fixture(scope="module")
def ledger() -> nucleus.Ledger:
    lg = nucleus.Ledger.open(VECTOR["ledger_id"])
    assert lg.append_batch([_record(i) for i in range(len(VECTOR["entries"]))]) == VECTOR["entries"]
    return lg


def test_leaves_and_roots_are_rfc_9162():
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in VECTOR["entries"]]
    assert [base64.b64encode(x).decode() for x in leaves] == VECTOR["leaves"]
    for cp in VECTOR["checkpoints"]:
        size = cp["json"]["size"]
        assert cp["json"]["root"] == base64.b64encode(merkle.mth(leaves[:size])).decode()


def test_checkpoints_parse_both_ways():
    for cp in VECTOR["checkpoints"]:
        parsed = nucleus.Checkpoint.parse(cp["text"])
        assert parsed.to_json() == cp["json"] and parsed == nucleus.Checkpoint.parse(cp["json"])
        assert parsed.to_text() == cp["text"]


def test_the_engine_gives_the_same_proofs(ledger: nucleus.Ledger):
    assert ledger.checkpoint().to_json() == VECTOR["checkpoints"][-1]["json"]
    for case in VECTOR["inclusion"]:
        p = case["proof"]
        assert ledger.inclusion_proof(p["index"], p["size"]) == p
        assert nucleus.verify_inclusion(case["entry"], p, case["checkpoint"]) is True
        assert nucleus.verify_inclusion(case["entry"], p, nucleus.Checkpoint.parse(case["checkpoint"]).to_text())
    for case in VECTOR["consistency"]:
        p = case["proof"]
        assert ledger.consistency_proof(p["from"], p["to"]) == p
        assert nucleus.verify_consistency(case["old"], case["new"], p) is True


@pytest.mark.parametrize("case", VECTOR["invalid"], ids=lambda c: c["desc"])
def test_changed_proofs_fail_as_written(case: dict[str, Any]):
    verify = nucleus.verify_inclusion if case["verify"] == "inclusion" else nucleus.verify_consistency
    with pytest.raises(nucleus.NucleusError) as info:
        verify(*case["args"])
    assert info.value.code == case["code"], info.value.message
    if case["reason"] is not None:
        assert info.value.details["reason"] == case["reason"]


@pytest.mark.parametrize("name", sorted(VERIFY))
def test_verify_vectors(name: str):
    case = VERIFY[name]
    verify = nucleus.verify_inclusion if case["verify"] == "inclusion" else nucleus.verify_consistency
    if "want" in case:
        assert verify(*case["args"]) is case["want"] is True
        return
    with pytest.raises(nucleus.NucleusError) as info:
        verify(*case["args"])
    got = {"code": info.value.code, "reason": info.value.details.get("reason")}
    assert got == case["want_error"], info.value.message
