"""Writes vectors/merkle/ledger.json: the Merkle tree of one fixed ledger (docs/FORMAT.md §9 describes the file):
its entry hashes, the roots of several sizes, checkpoints (JSON and text), inclusion and consistency proofs, and
changed proofs with the reason a verifier must give; and vectors/merkle/verify.json: named adversarial inputs of
the standalone verifiers (malformed numbers, base64, keys and checkpoint texts; every check of §9 in its order;
single-bit changes of each hash and number) with the verdict every implementation must give.

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


# -- verify.json ----------------------------------------------------------------------------------------------

MAX_SAFE = 2**53 - 1
HASH_BITS = [0, 1, 7, 8, 100, 127, 128, 200, 254, 255]  # bit k = bit 7 - k % 8 of byte k // 8 (first = top bit)
NUMBER_BITS = [0, 1, 2, 3, 4, 8, 16, 31, 32, 52]  # the low bits, both sides of 2^32, the top safe bit


def flip_bit(raw: bytes, bit: int) -> bytes:
    out = bytearray(raw)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def flip_b64(text: str, bit: int) -> str:
    return b64(flip_bit(base64.b64decode(text), bit))


def flip_hex(text: str, bit: int) -> str:
    return flip_bit(bytes.fromhex(text), bit).hex()


def _inclusion_verdict(index: int, size: int, path_len: int) -> dict[str, Any]:
    """§9 step 2 for an inclusion proof whose index and size agree with the entry and the checkpoint: the reason
    when the path (of ``path_len`` hashes, all of another proof) is not for (index, size)."""
    if not index < size:
        return {"code": "PROOF_INVALID", "reason": "bad_sizes"}
    if len(merkle.inclusion_path(index, size, lambda a, b: b"")) != path_len:
        return {"code": "PROOF_INVALID", "reason": "path_length"}
    return {"code": "PROOF_INVALID", "reason": "root_mismatch"}


def _consistency_verdict(old: int, new: int, path_len: int) -> dict[str, Any]:
    if not 0 < old <= new:
        return {"code": "PROOF_INVALID", "reason": "bad_sizes"}
    if len(merkle.consistency_path(old, new, lambda a, b: b"")) != path_len:
        return {"code": "PROOF_INVALID", "reason": "path_length"}
    return {"code": "PROOF_INVALID", "reason": "root_mismatch"}


def verify_cases(vector: dict[str, Any]) -> dict[str, Any]:
    """The cases of verify.json, by name: ``verify`` ("inclusion" or "consistency"), ``args`` (as the function takes
    them), and ``want: true`` or ``want_error: {code, reason}`` (``reason`` null for INVALID_ARGUMENT). Written here
    from docs/FORMAT.md §4b and §9, never read back from the engine; the engine must agree with every one."""
    cps = {c["json"]["size"]: c for c in vector["checkpoints"]}
    inc = next(c for c in vector["inclusion"] if (c["proof"]["index"], c["proof"]["size"]) == (6, 7))
    e, p, cp = inc["entry"], inc["proof"], inc["checkpoint"]
    text = cps[7]["text"]
    cons = {(c["proof"]["from"], c["proof"]["to"]): c for c in vector["consistency"]}
    c37 = cons[(3, 7)]
    old, new, cp37 = c37["old"], c37["new"], c37["proof"]
    empty = cps[0]["json"]
    bad_arg = {"code": "INVALID_ARGUMENT", "reason": None}
    root = p["path"][0]
    cases: dict[str, Any] = {}

    def case(name: str, desc: str, kind: str, args: list[Any], want: Any, python_only: str | None = None) -> None:
        assert name not in cases, name
        c: dict[str, Any] = {"desc": desc, "verify": kind, "args": args}
        c.update({"want": True} if want is True else {"want_error": want})
        if python_only:
            c["python_only"] = python_only
        cases[name] = c

    def inc_bad(name: str, desc: str, entry: Any, proof: Any, checkpoint: Any, python_only: str | None = None) -> None:
        case(name, desc, "inclusion", [entry, proof, checkpoint], bad_arg, python_only)

    def reason(r: str) -> dict[str, Any]:
        return {"code": "PROOF_INVALID", "reason": r}

    # -- the proofs as made, in each checkpoint form
    case("inclusion-ok", "leaf 6 of 7, the checkpoint as JSON", "inclusion", [e, p, cp], True)
    case("inclusion-ok-text", "the checkpoint as its text", "inclusion", [e, p, text], True)
    case(
        "inclusion-ok-whole-entry",
        "an entry with more members than seq and hash",
        "inclusion",
        [{**e, "stream": "s", "record_id": "r6"}, p, cp],
        True,
    )
    case("consistency-ok", "3 to 7", "consistency", [old, new, cp37], True)
    case("consistency-ok-text", "3 to 7, both checkpoints as text", "consistency", [cps[3]["text"], text, cp37], True)
    case(
        "consistency-ok-power-of-two",
        "4 to 7: the old tree is a complete subtree, left out of the path",
        "consistency",
        [cons[(4, 7)]["old"], cons[(4, 7)]["new"], cons[(4, 7)]["proof"]],
        True,
    )
    case(
        "consistency-ok-same-size",
        "7 to 7: an empty path, equal roots",
        "consistency",
        [new, new, {"kind": "consistency", "from": 7, "to": 7, "path": []}],
        True,
    )

    # -- malformed proofs
    for name, desc, proof in [
        ("proof-kind-wrong", "kind consistency on an inclusion proof", {**p, "kind": "consistency"}),
        ("proof-kind-missing", "no kind", {k: v for k, v in p.items() if k != "kind"}),
        ("proof-extra-key", "an unknown member", {**p, "extra": 1}),
        ("proof-missing-path", "no path", {k: v for k, v in p.items() if k != "path"}),
        ("proof-missing-index", "no index", {k: v for k, v in p.items() if k != "index"}),
        ("proof-index-true", "a boolean for the index", {**p, "index": True}),
        ("proof-size-false", "a boolean for the size", {**p, "size": False}),
        ("proof-index-string", "the index as a string", {**p, "index": "6"}),
        ("proof-index-fraction", "a fractional index", {**p, "index": 6.5}),
        ("proof-index-null", "a null index", {**p, "index": None}),
        ("proof-index-negative", "a negative index", {**p, "index": -1}),
        ("proof-size-2-53", "a size of 2^53, past JavaScript's exact integers", {**p, "size": 2**53}),
        ("proof-size-2-53-plus-1", "a size of 2^53 + 1", {**p, "size": 2**53 + 1}),
        ("proof-size-huge", "a size of 10^30", {**p, "size": 10**30}),
        ("proof-path-string", "the path a string", {**p, "path": root}),
        ("proof-path-null", "the path null", {**p, "path": None}),
        ("proof-path-number", "a path hash a number", {**p, "path": [7, *p["path"][1:]]}),
        ("proof-path-no-padding", "a path hash without its =", {**p, "path": [root.rstrip("="), *p["path"][1:]]}),
        (
            "proof-path-stray-bits",
            "a path hash whose last character has non-zero unused bits (not canonical)",
            {**p, "path": [_stray(root), *p["path"][1:]]},
        ),
        (
            "proof-path-31-bytes",
            "a path hash of 31 bytes in 44 characters",
            {**p, "path": [b64(bytes(range(31))), *p["path"][1:]]},
        ),
        (
            "proof-path-33-bytes",
            "a path hash of 33 bytes in 44 characters",
            {**p, "path": [b64(bytes(range(33))), *p["path"][1:]]},
        ),
        (
            "proof-path-urlsafe",
            "a path hash in the URL-safe alphabet",
            {**p, "path": [b64(bytes([0xFB] * 32)).replace("+", "-").replace("/", "_"), *p["path"][1:]]},
        ),
        ("proof-path-space", "a path hash with a leading space", {**p, "path": [" " + root[:-1], *p["path"][1:]]}),
        (
            "proof-path-newline",
            "a path hash with a newline inside",
            {**p, "path": [root[:20] + "\n" + root[21:], *p["path"][1:]]},
        ),
        (
            "proof-path-non-ascii",
            "a path hash with a non-ASCII letter",
            {**p, "path": ["\u00e9" + root[1:], *p["path"][1:]]},
        ),
    ]:
        inc_bad(name, desc, e, proof, cp)
    inc_bad("proof-null", "the proof null", e, None, cp)
    inc_bad("proof-list", "the proof a list", e, [p], cp)
    inc_bad(
        "proof-index-float-integral",
        "the index written 6.0: a float to Python; JSON parsers of JavaScript read the number 6",
        e,
        {**p, "index": 6.0},
        cp,
        python_only="JavaScript reads 6.0 as 6",
    )
    inc_bad("entry-hash-upper", "an entry hash in uppercase", {**e, "hash": e["hash"].upper()}, p, cp)
    inc_bad("entry-hash-short", "an entry hash of 63 digits", {**e, "hash": e["hash"][:63]}, p, cp)
    inc_bad("entry-seq-true", "a boolean seq", {**e, "seq": True}, p, cp)
    inc_bad("entry-seq-negative", "a negative seq", {**e, "seq": -1}, p, cp)
    inc_bad("entry-seq-2-53", "a seq of 2^53", {**e, "seq": 2**53}, p, cp)
    inc_bad("entry-no-hash", "an entry without hash", {"seq": 6}, p, cp)
    inc_bad("entry-null", "the entry null", None, p, cp)

    # -- malformed checkpoints (§4b): exactly {origin, size, root, hash} or the legacy {size, hash}
    no = lambda *keys: {k: v for k, v in cp.items() if k not in keys}  # noqa: E731
    for name, desc, checkpoint in [
        ("checkpoint-no-hash", "origin, size, root: no hash", no("hash")),
        ("checkpoint-size-root", "size and root only", no("hash", "origin")),
        ("checkpoint-no-origin", "size, root, hash: no origin", no("origin")),
        ("checkpoint-no-root", "origin, size, hash: no root", no("root")),
        ("checkpoint-legacy", "the legacy {size, hash}: valid, but has no root", no("root", "origin")),
        ("checkpoint-extra-key", "an unknown member", {**cp, "witness": "x"}),
        ("checkpoint-origin-null", "origin null", {**cp, "origin": None}),
        ("checkpoint-origin-other", "an origin that is not nucleus/<id>", {**cp, "origin": "example.com/log"}),
        ("checkpoint-origin-empty-id", "the origin nucleus/ alone", {**cp, "origin": "nucleus/"}),
        ("checkpoint-size-true", "a boolean size", {**cp, "size": True}),
        ("checkpoint-size-negative", "a negative size", {**cp, "size": -7}),
        ("checkpoint-size-2-53", "a size of 2^53", {**cp, "size": 2**53}),
        ("checkpoint-size-fraction", "a fractional size", {**cp, "size": 7.5}),
        ("checkpoint-hash-null", "a null hash for size 7", {**cp, "hash": None}),
        ("checkpoint-hash-upper", "an uppercase hash", {**cp, "hash": cp["hash"].upper()}),
        (
            "checkpoint-root-stray-bits",
            "a root whose last character has non-zero unused bits",
            {**cp, "root": _stray(cp["root"])},
        ),
        ("checkpoint-root-no-padding", "a root without its =", {**cp, "root": cp["root"].rstrip("=")}),
        ("checkpoint-root-hex", "the root in hex", {**cp, "root": base64.b64decode(cp["root"]).hex()}),
        ("checkpoint-null", "the checkpoint null", None),
        ("checkpoint-number", "the checkpoint a number", 7),
        ("checkpoint-list", "the checkpoint a list", [cp]),
    ]:
        inc_bad(name, desc, e, p, checkpoint)
    inc_bad(
        "checkpoint-size-float-integral",
        "the size written 7.0",
        e,
        p,
        {**cp, "size": 7.0},
        python_only="JavaScript reads 7.0 as 7",
    )
    inc_bad(
        "checkpoint-empty-hash",
        "size 0 with a hash",
        {"seq": 0, "hash": e["hash"]},
        {"kind": "inclusion", "index": 0, "size": 0, "path": []},
        {**empty, "hash": e["hash"]},
    )
    body = text.split("\n")
    for name, desc, t in [
        ("text-legacy", "the legacy text: valid, but has no root", f"nucleus checkpoint v1\n7\n{cp['hash']}\n"),
        ("text-signed-note", "a signed note, not its body", text + "\n\u2014 example.com/log " + b64(bytes(68)) + "\n"),
        ("text-no-chain", "size 7 without the chain line", "\n".join(body[:3]) + "\n"),
        ("text-chain-size-0", "size 0 with a chain line", f"{body[0]}\n0\n{cps[0]['json']['root']}\n{body[3]}\n"),
        ("text-no-final-newline", "the last newline missing", text[:-1]),
        ("text-extra-newline", "a blank line after the body", text + "\n"),
        ("text-extra-line", "a line after the chain line", text + "extra\n"),
        ("text-leading-zero", "size 07", text.replace("\n7\n", "\n07\n")),
        ("text-plus-sign", "size +7", text.replace("\n7\n", "\n+7\n")),
        ("text-size-2-53", "size 2^53", text.replace("\n7\n", f"\n{2**53}\n")),
        ("text-crlf", "lines ended by CRLF", text.replace("\n", "\r\n")),
        ("text-chain-two-spaces", "'chain  <hash>'", text.replace("chain ", "chain  ")),
        ("text-chain-upper", "an uppercase chain hash", text.replace(cp["hash"], cp["hash"].upper())),
        (
            "text-root-stray-bits",
            "a root whose last character has non-zero unused bits",
            text.replace(cp["root"], _stray(cp["root"])),
        ),
        ("text-empty", "the empty text", ""),
        (
            "text-legacy-extra-line",
            "the legacy text with a blank line after it",
            f"nucleus checkpoint v1\n7\n{cp['hash']}\n\n",
        ),
    ]:
        inc_bad(name, desc, e, p, t)

    # -- consistency: malformed
    case("consistency-kind-wrong", "kind inclusion", "consistency", [old, new, {**cp37, "kind": "inclusion"}], bad_arg)
    case(
        "consistency-index-key",
        "an inclusion member in a consistency proof",
        "consistency",
        [old, new, {**cp37, "index": 3}],
        bad_arg,
    )
    case("consistency-from-true", "a boolean from", "consistency", [old, new, {**cp37, "from": True}], bad_arg)
    case("consistency-to-negative", "a negative to", "consistency", [old, new, {**cp37, "to": -7}], bad_arg)
    case(
        "consistency-legacy-old",
        "a legacy old checkpoint (no root)",
        "consistency",
        [{"size": 3, "hash": old["hash"]}, new, cp37],
        bad_arg,
    )
    case(
        "consistency-no-hash-new",
        "a new checkpoint without hash",
        "consistency",
        [old, {k: v for k, v in new.items() if k != "hash"}, cp37],
        bad_arg,
    )

    # -- PROOF_INVALID, each reason, and the order of §9 where two apply
    q = lambda **kw: {**p, **kw}  # noqa: E731
    case(
        "index-mismatch",
        "the entry is seq 5, the proof for index 6",
        "inclusion",
        [{**e, "seq": 5}, p, cp],
        reason("index_mismatch"),
    )
    case(
        "index-mismatch-before-size-mismatch",
        "index and size both disagree: index_mismatch first",
        "inclusion",
        [{**e, "seq": 5}, q(size=8), cp],
        reason("index_mismatch"),
    )
    case(
        "size-mismatch",
        "the proof for size 8, the checkpoint of 7",
        "inclusion",
        [e, q(size=8), cp],
        reason("size_mismatch"),
    )
    case(
        "size-mismatch-before-bad-sizes",
        "index 7 of a proof of size 8 against a checkpoint of 7",
        "inclusion",
        [{**e, "seq": 7}, q(index=7, size=8), cp],
        reason("size_mismatch"),
    )
    case("index-equals-size", "leaf 7 of 7", "inclusion", [{**e, "seq": 7}, q(index=7), cp], reason("bad_sizes"))
    case("index-past-size", "leaf 9 of 7", "inclusion", [{**e, "seq": 9}, q(index=9), cp], reason("bad_sizes"))
    case(
        "bad-sizes-before-path-length",
        "leaf 7 of 7 with an empty path",
        "inclusion",
        [{**e, "seq": 7}, q(index=7, path=[]), cp],
        reason("bad_sizes"),
    )
    case(
        "size-0",
        "leaf 0 of the empty tree (its checkpoint as text)",
        "inclusion",
        [{"seq": 0, "hash": e["hash"]}, {"kind": "inclusion", "index": 0, "size": 0, "path": []}, cps[0]["text"]],
        reason("bad_sizes"),
    )
    case("path-short", "a hash missing", "inclusion", [e, q(path=p["path"][:-1]), cp], reason("path_length"))
    case("path-long", "a hash too many", "inclusion", [e, q(path=[*p["path"], root]), cp], reason("path_length"))
    case("path-empty", "no hashes", "inclusion", [e, q(path=[]), cp], reason("path_length"))
    case(
        "path-length-before-root-mismatch",
        "a hash too many and one changed",
        "inclusion",
        [e, q(path=[flip_b64(root, 0), *p["path"][1:], root]), cp],
        reason("path_length"),
    )
    case("path-reversed", "the path top-down", "inclusion", [e, q(path=p["path"][::-1]), cp], reason("root_mismatch"))
    case(
        "another-entry",
        "the hash of entry 5 at seq 6",
        "inclusion",
        [{**e, "hash": vector["entries"][5]}, p, cp],
        reason("root_mismatch"),
    )
    case(
        "other-ledger-root",
        "the root of 7 entries of another ledger",
        "inclusion",
        [e, p, {**cp, "root": b64(merkle.mth([merkle.leaf_hash(bytes(32))] * 7))}],
        reason("root_mismatch"),
    )
    case(
        "origin-not-checked",
        "another ledger's origin: not checked, the proof verifies",
        "inclusion",
        [e, p, {**cp, "origin": "nucleus/elsewhere"}],
        True,
    )

    cq = lambda **kw: {**cp37, **kw}  # noqa: E731
    case(
        "consistency-from-0",
        "from the empty tree (its checkpoint): proves nothing",
        "consistency",
        [empty, new, {"kind": "consistency", "from": 0, "to": 7, "path": []}],
        reason("bad_sizes"),
    )
    case(
        "consistency-from-0-text",
        "from the empty tree as text, with a path",
        "consistency",
        [cps[0]["text"], new, {"kind": "consistency", "from": 0, "to": 7, "path": [cp["root"]]}],
        reason("bad_sizes"),
    )
    case(
        "consistency-0-to-0",
        "from 0 to 0",
        "consistency",
        [empty, empty, {"kind": "consistency", "from": 0, "to": 0, "path": []}],
        reason("bad_sizes"),
    )
    case(
        "consistency-from-above-to",
        "checkpoints of 7 then 3, the proof from 7 to 3",
        "consistency",
        [new, old, cq(**{"from": 7, "to": 3})],
        reason("bad_sizes"),
    )
    case("consistency-swapped", "the checkpoints swapped", "consistency", [new, old, cp37], reason("size_mismatch"))
    case(
        "consistency-size-mismatch-before-bad-sizes",
        "the proof from 7 to 3 against checkpoints of 3 and 7",
        "consistency",
        [old, new, cq(**{"from": 7, "to": 3})],
        reason("size_mismatch"),
    )
    case(
        "consistency-path-short",
        "a hash missing",
        "consistency",
        [old, new, cq(path=cp37["path"][:-1])],
        reason("path_length"),
    )
    case(
        "consistency-path-long",
        "a hash too many",
        "consistency",
        [old, new, cq(path=[*cp37["path"], root])],
        reason("path_length"),
    )
    c47 = cons[(4, 7)]
    case(
        "consistency-power-of-two-seed",
        "4 to 7 with the old root put in front of the path (it is left out)",
        "consistency",
        [c47["old"], c47["new"], {**c47["proof"], "path": [c47["old"]["root"], *c47["proof"]["path"]]}],
        reason("path_length"),
    )
    case(
        "consistency-same-size-path",
        "7 to 7 with a hash in the path",
        "consistency",
        [new, new, {"kind": "consistency", "from": 7, "to": 7, "path": [root]}],
        reason("path_length"),
    )
    case(
        "consistency-same-size-other-root",
        "7 to 7, the roots differ",
        "consistency",
        [new, {**new, "root": flip_b64(new["root"], 0)}, {"kind": "consistency", "from": 7, "to": 7, "path": []}],
        reason("root_mismatch"),
    )
    case(
        "consistency-path-reversed",
        "the path reversed",
        "consistency",
        [old, new, cq(path=cp37["path"][::-1])],
        reason("root_mismatch"),
    )

    # A size is bound only through the shape of the path: a checkpoint that claims the 7-entry root for 6 entries
    # is a different (signed) statement, which this proof is consistent with. Changing a number of the proof
    # alone, as below, always fails.
    case(
        "consistency-size-bound-by-shape",
        "the proof of 3 to 7, and the 7-entry root claimed for size 6",
        "consistency",
        [old, {**new, "size": 6}, cq(to=6)],
        True,
    )

    # -- single-bit changes: every one fails, with the reason §9's order gives
    rm = reason("root_mismatch")
    for bit in HASH_BITS:
        for i in range(len(p["path"])):
            path = [*p["path"]]
            path[i] = flip_b64(path[i], bit)
            case(f"flip-inclusion-path{i}-bit{bit}", f"bit {bit} of path[{i}]", "inclusion", [e, q(path=path), cp], rm)
        case(
            f"flip-inclusion-root-bit{bit}",
            f"bit {bit} of the root",
            "inclusion",
            [e, p, {**cp, "root": flip_b64(cp["root"], bit)}],
            rm,
        )
        case(
            f"flip-inclusion-entry-bit{bit}",
            f"bit {bit} of the entry hash",
            "inclusion",
            [{**e, "hash": flip_hex(e["hash"], bit)}, p, cp],
            rm,
        )
        for i in range(len(cp37["path"])):
            path = [*cp37["path"]]
            path[i] = flip_b64(path[i], bit)
            case(
                f"flip-consistency-path{i}-bit{bit}",
                f"bit {bit} of path[{i}]",
                "consistency",
                [old, new, cq(path=path)],
                rm,
            )
        case(
            f"flip-consistency-old-root-bit{bit}",
            f"bit {bit} of the old root",
            "consistency",
            [{**old, "root": flip_b64(old["root"], bit)}, new, cp37],
            rm,
        )
        case(
            f"flip-consistency-new-root-bit{bit}",
            f"bit {bit} of the new root",
            "consistency",
            [old, {**new, "root": flip_b64(new["root"], bit)}, cp37],
            rm,
        )
    n = len(p["path"])
    for bit in NUMBER_BITS:
        i2, s2, f2, t2 = 6 ^ (1 << bit), 7 ^ (1 << bit), 3 ^ (1 << bit), 7 ^ (1 << bit)
        case(
            f"flip-inclusion-index-bit{bit}",
            f"bit {bit} of the proof's index",
            "inclusion",
            [e, q(index=i2), cp],
            reason("index_mismatch"),
        )
        case(
            f"flip-inclusion-index-seq-bit{bit}",
            f"bit {bit} of the proof's index and of the entry's seq",
            "inclusion",
            [{**e, "seq": i2}, q(index=i2), cp],
            _inclusion_verdict(i2, 7, n),
        )
        case(
            f"flip-inclusion-size-bit{bit}",
            f"bit {bit} of the proof's size",
            "inclusion",
            [e, q(size=s2), cp],
            reason("size_mismatch"),
        )
        case(
            f"flip-inclusion-checkpoint-size-bit{bit}",
            f"bit {bit} of the checkpoint's size",
            "inclusion",
            [e, p, {**cp, "size": s2}],
            reason("size_mismatch"),
        )
        case(
            f"flip-consistency-from-bit{bit}",
            f"bit {bit} of from",
            "consistency",
            [old, new, cq(**{"from": f2})],
            reason("size_mismatch"),
        )
        case(
            f"flip-consistency-to-bit{bit}",
            f"bit {bit} of to",
            "consistency",
            [old, new, cq(to=t2)],
            reason("size_mismatch"),
        )
        case(
            f"flip-consistency-from-old-size-bit{bit}",
            f"bit {bit} of from and of the old checkpoint's size",
            "consistency",
            [{**old, "size": f2, **({"hash": None} if f2 == 0 else {})}, new, cq(**{"from": f2})],
            _consistency_verdict(f2, 7, len(cp37["path"])),
        )
    _check_engine(cases)
    return {
        "desc": (
            "adversarial inputs of verify_inclusion / verifyInclusion and verify_consistency / verifyConsistency "
            f"(docs/FORMAT.md §4b, §9) over ledger {LEDGER!r} of ledger.json; a case with python_only holds a "
            "number JavaScript cannot tell from an integer"
        ),
        "cases": cases,
    }


def _stray(text: str) -> str:
    """A 44-character base64 hash respelled with a non-zero unused bit in its last character (before the =)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    assert text.endswith("=") and not text.endswith("==")
    return text[:42] + alphabet[alphabet.index(text[42]) ^ 1] + "="


def _check_engine(cases: dict[str, Any]) -> None:
    """Nothing is written unless the engine gives every verdict."""
    for name, c in cases.items():
        verify = nucleus.verify_inclusion if c["verify"] == "inclusion" else nucleus.verify_consistency
        try:
            got: Any = verify(*c["args"])
        except nucleus.NucleusError as err:
            got = {"code": err.code, "reason": err.details.get("reason") if err.code == "PROOF_INVALID" else None}
        want = c.get("want", c.get("want_error"))
        assert got == want, f"{name}: the engine gives {got}, the vector says {want}"


def main() -> None:
    out = ROOT / "vectors" / "merkle"
    out.mkdir(exist_ok=True)
    vector = build()
    for name, content in (("ledger.json", vector), ("verify.json", verify_cases(vector))):
        text = json.dumps(content, indent=1, ensure_ascii=True) + "\n"
        (out / name).write_text(text)
        print(f"wrote {out / name} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
