"""Writes vectors/merkle/ledger.json: the Merkle tree of one fixed ledger (docs/FORMAT.md §9 describes the file):
its entry hashes, the roots of several sizes, checkpoints (JSON and text), inclusion and consistency proofs, and
changed proofs with the reason a verifier must give.

Run from the repo root: ``python3 vectors/generate_merkle.py``. The file is committed and deterministic; the Python
tests (tests_py/test_merkle_vectors.py) and the TypeScript tests read it. Roots and proofs are made by the engine
(``Ledger.checkpoint``, ``inclusion_proof``, ``consistency_proof``) and written only after they agree with the plain
RFC 9162 definitions over the list of leaves (``nucleus._merkle``), so the file is the definition, not the engine.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "py"))

import nucleus  # noqa: E402
from nucleus import _merkle as merkle  # noqa: E402

LEDGER = "merkle-vectors"
T0 = 1_735_689_600_000
COUNT = 300  # past 256: the stored level-8 subtree takes part
SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 300]
INCLUSION = [
    (0, 1),
    (0, 2),
    (1, 2),
    (2, 3),
    (4, 5),
    (6, 7),
    (0, 8),
    (7, 8),
    (8, 9),
    (100, 257),
    (255, 256),
    (256, 257),
    (299, 300),
    (5, 300),
]
CONSISTENCY = [
    (1, 1),
    (1, 2),
    (1, 3),
    (2, 3),
    (3, 7),
    (4, 7),
    (4, 8),
    (5, 8),
    (6, 8),
    (7, 300),
    (255, 256),
    (256, 257),
    (256, 300),
    (257, 300),
    (300, 300),
]


def record(i: int) -> dict[str, Any]:
    """Entry ``i``'s record: the vectors' ledger is these records appended in order to a new ledger ``LEDGER``."""
    return {"id": f"r{i}", "stream": "s", "timestamp": T0 + i, "payload": {"i": i}}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def flip(text: str) -> str:
    """The base64 hash with its first bit changed."""
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 0x80
    return b64(bytes(raw))


def build() -> dict[str, Any]:
    ledger = nucleus.Ledger.open(LEDGER)
    hashes = ledger.append_batch([record(i) for i in range(COUNT)])
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]
    source = merkle.list_subtree(leaves)
    checkpoints: dict[int, dict[str, Any]] = {}
    for size in SIZES:
        root = b64(merkle.mth(leaves[:size]))
        cp = {"origin": f"nucleus/{LEDGER}", "size": size, "root": root, "hash": hashes[size - 1] if size else None}
        checkpoints[size] = cp
    assert ledger.checkpoint().to_json() == checkpoints[COUNT]
    inclusion = []
    for index, size in INCLUSION:
        proof = ledger.inclusion_proof(index, size)
        assert proof["path"] == [b64(h) for h in merkle.inclusion_path(index, size, source)]
        inclusion.append(
            {
                "entry": {"seq": index, "hash": hashes[index]},
                "proof": proof,
                "checkpoint": _cp(checkpoints, hashes, leaves, size),
            }
        )
    consistency = []
    for old, new in CONSISTENCY:
        proof = ledger.consistency_proof(old, new)
        assert proof["path"] == [b64(h) for h in merkle.consistency_path(old, new, source)]
        consistency.append(
            {"old": _cp(checkpoints, hashes, leaves, old), "new": _cp(checkpoints, hashes, leaves, new), "proof": proof}
        )
    return {
        "desc": (
            f"the Merkle tree (RFC 9162) of ledger {LEDGER!r}: records record(i) for i in 0..{COUNT - 1} appended in "
            "order; leaf i = SHA-256(0x00 || bytes of entry hash i)"
        ),
        "ledger_id": LEDGER,
        "records": {"id": "r<i>", "stream": "s", "timestamp": f"{T0} + i", "payload": {"i": "<i>"}},
        "entries": hashes,
        "leaves": [b64(leaf) for leaf in leaves],
        "checkpoints": [
            {"json": cp, "text": nucleus.Checkpoint.parse(cp).to_text()} for _, cp in sorted(checkpoints.items())
        ],
        "inclusion": inclusion,
        "consistency": consistency,
        "invalid": _invalid(inclusion, consistency),
    }


def _cp(known: dict[int, dict[str, Any]], hashes: list[str], leaves: list[bytes], size: int) -> dict[str, Any]:
    if size not in known:
        known[size] = {
            "origin": f"nucleus/{LEDGER}",
            "size": size,
            "root": b64(merkle.mth(leaves[:size])),
            "hash": hashes[size - 1] if size else None,
        }
    return known[size]


def _invalid(inclusion: list[dict[str, Any]], consistency: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Changed proofs and the verdict: ``code`` and, for PROOF_INVALID, ``reason`` (docs/FORMAT.md §9)."""
    inc = next(c for c in inclusion if c["proof"]["index"] == 100)
    con = next(c for c in consistency if (c["proof"]["from"], c["proof"]["to"]) == (7, 300))
    p, e, cp = inc["proof"], inc["entry"], inc["checkpoint"]
    out = [
        (
            "a path hash changed",
            "inclusion",
            [e, {**p, "path": [flip(p["path"][0]), *p["path"][1:]]}, cp],
            "PROOF_INVALID",
            "root_mismatch",
        ),
        ("the root changed", "inclusion", [e, p, {**cp, "root": flip(cp["root"])}], "PROOF_INVALID", "root_mismatch"),
        (
            "another entry",
            "inclusion",
            [{"seq": 100, "hash": inclusion[0]["entry"]["hash"]}, p, cp],
            "PROOF_INVALID",
            "root_mismatch",
        ),
        (
            "the entry's seq is not the proof's index",
            "inclusion",
            [{**e, "seq": 101}, p, cp],
            "PROOF_INVALID",
            "index_mismatch",
        ),
        (
            "the proof's size is not the checkpoint's",
            "inclusion",
            [e, {**p, "size": 256}, cp],
            "PROOF_INVALID",
            "size_mismatch",
        ),
        (
            "a hash missing from the path",
            "inclusion",
            [e, {**p, "path": p["path"][:-1]}, cp],
            "PROOF_INVALID",
            "path_length",
        ),
        (
            "a hash too many",
            "inclusion",
            [e, {**p, "path": [*p["path"], p["path"][0]]}, cp],
            "PROOF_INVALID",
            "path_length",
        ),
        (
            "an index past the size",
            "inclusion",
            [{**e, "seq": 257}, {**p, "index": 257}, cp],
            "PROOF_INVALID",
            "bad_sizes",
        ),
        ("an unknown member", "inclusion", [e, {**p, "extra": 1}, cp], "INVALID_ARGUMENT", None),
        (
            "base64 without padding",
            "inclusion",
            [e, {**p, "path": [p["path"][0].rstrip("="), *p["path"][1:]]}, cp],
            "INVALID_ARGUMENT",
            None,
        ),
        (
            "a legacy checkpoint has no root",
            "inclusion",
            [e, p, {"size": cp["size"], "hash": cp["hash"]}],
            "INVALID_ARGUMENT",
            None,
        ),
        (
            "a consistency path hash changed",
            "consistency",
            [
                con["old"],
                con["new"],
                {**con["proof"], "path": [flip(con["proof"]["path"][0]), *con["proof"]["path"][1:]]},
            ],
            "PROOF_INVALID",
            "root_mismatch",
        ),
        (
            "the old root changed",
            "consistency",
            [{**con["old"], "root": flip(con["old"]["root"])}, con["new"], con["proof"]],
            "PROOF_INVALID",
            "root_mismatch",
        ),
        (
            "the checkpoints swapped",
            "consistency",
            [con["new"], con["old"], con["proof"]],
            "PROOF_INVALID",
            "size_mismatch",
        ),
        (
            "from above to",
            "consistency",
            [con["new"], con["old"], {**con["proof"], "from": 300, "to": 7}],
            "PROOF_INVALID",
            "bad_sizes",
        ),
        (
            "a consistency hash missing",
            "consistency",
            [con["old"], con["new"], {**con["proof"], "path": con["proof"]["path"][1:]}],
            "PROOF_INVALID",
            "path_length",
        ),
    ]
    return [
        {"desc": d, "verify": kind, "args": args, "code": code, "reason": reason} for d, kind, args, code, reason in out
    ]


def main() -> None:
    out = ROOT / "vectors" / "merkle"
    out.mkdir(exist_ok=True)
    text = json.dumps(build(), indent=1, ensure_ascii=True) + "\n"
    (out / "ledger.json").write_text(text)
    print(f"wrote {out / 'ledger.json'} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
