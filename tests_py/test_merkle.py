"""The Merkle tree (RFC 9162): transparency-dev's vectors, property tests of generated proofs, the standalone
verifiers' inputs and verdicts, and proofs made by the engine over what storage keeps."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nucleus
from nucleus import _merkle as merkle
from nucleus._checkpoint import encode_hash
from support import raises_code, rec

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "rfc6962"


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _cases(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).glob("*/*.json"))


def _verdict(check: Any) -> bool:
    """True when ``check()`` raises PROOF_INVALID (the vectors' ``wantErr``), False when it passes."""
    try:
        check()
    except nucleus.ProofInvalid:
        return True
    return False


@pytest.mark.parametrize("path", _cases("inclusion"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_rfc6962_inclusion_vector(path: Path):
    case = json.loads(path.read_text())
    proof = [_b64(h) for h in case["proof"] or []]
    verdict = _verdict(
        lambda: merkle.verify_inclusion(
            _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"])
        )
    )
    assert verdict is case["wantErr"], case["desc"]


@pytest.mark.parametrize("path", _cases("consistency"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_rfc6962_consistency_vector(path: Path):
    case = json.loads(path.read_text())
    proof = [_b64(h) for h in case["proof"] or []]
    verdict = _verdict(
        lambda: merkle.verify_consistency(case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), proof)
    )
    assert verdict is case["wantErr"], case["desc"]


def test_every_vector_is_read():
    # 9 directories of inclusion cases and 6 of consistency cases, as copied from transparency-dev/merkle.
    assert len(_cases("inclusion")) >= 60 and len(_cases("consistency")) >= 90
    assert (VECTORS / "LICENSE").read_text().startswith("\n                                 Apache License")


def _entry_hash(i: int) -> str:
    return merkle.leaf_hash(i.to_bytes(8, "big")).hex()  # any 64-hex value stands for an entry hash


def _tree(size: int) -> tuple[list[str], list[bytes]]:
    hashes = [_entry_hash(i) for i in range(size)]
    return hashes, [merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]


def _checkpoint(hashes: list[str], leaves: list[bytes], size: int) -> dict[str, Any]:
    return {
        "origin": "nucleus/t",
        "size": size,
        "root": encode_hash(merkle.mth(leaves[:size])),
        "hash": hashes[size - 1] if size else None,
    }


def _flip(b64: str, bit: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[bit // 8] ^= 1 << (bit % 8)
    return encode_hash(bytes(raw))


def _invalid(check: Any, reason: str) -> None:
    err = raises_code("PROOF_INVALID", check)
    assert err.details == {"reason": reason}, err.message


def _fails(check: Any) -> None:
    """A changed proof or checkpoint does not verify: PROOF_INVALID, or INVALID_ARGUMENT where the change made the
    checkpoint malformed (size 0 with a chain hash)."""
    with pytest.raises((nucleus.ProofInvalid, nucleus.ArgumentError)):
        check()


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(1, 300))
def test_inclusion_proofs_verify_and_every_bit_flip_fails(data: st.DataObject, size: int):
    hashes, leaves = _tree(size)
    index = data.draw(st.integers(0, size - 1))
    path = merkle.inclusion_path(index, size, merkle.list_subtree(leaves))
    merkle.verify_inclusion(leaves[index], index, size, path, merkle.mth(leaves))
    proof = {"kind": "inclusion", "index": index, "size": size, "path": [encode_hash(h) for h in path]}
    cp = _checkpoint(hashes, leaves, size)
    entry = {"seq": index, "hash": hashes[index]}
    assert nucleus.verify_inclusion(entry, proof, cp) is True
    assert nucleus.verify_inclusion(entry, proof, nucleus.Checkpoint.parse(cp).to_text()) is True
    bit = data.draw(st.integers(0, 255))
    for k in range(len(path)):
        flipped = [*proof["path"][:k], _flip(proof["path"][k], bit), *proof["path"][k + 1 :]]
        _fails(lambda p=flipped: nucleus.verify_inclusion(entry, {**proof, "path": p}, cp))
    _fails(lambda: nucleus.verify_inclusion(entry, proof, {**cp, "root": _flip(cp["root"], bit)}))
    _fails(
        lambda: nucleus.verify_inclusion(
            {**entry, "hash": hashes[(index + 1) % size] if size > 1 else "0" * 64}, proof, cp
        )
    )
    for b in range(size.bit_length() + 1):
        _fails(lambda b=b: nucleus.verify_inclusion(entry, {**proof, "index": index ^ 1 << b}, cp))
        _fails(lambda b=b: nucleus.verify_inclusion({**entry, "seq": index ^ 1 << b}, proof, cp))
        _fails(lambda b=b: nucleus.verify_inclusion(entry, {**proof, "size": size ^ 1 << b}, cp))
        _fails(lambda b=b: nucleus.verify_inclusion(entry, proof, {**cp, "size": size ^ 1 << b}))
        # Index and entry changed together: the path was made for another leaf position.
        other = index ^ 1 << b
        if other < size:
            moved = {"seq": other, "hash": hashes[index]}
            _fails(lambda m=moved, o=other: nucleus.verify_inclusion(m, {**proof, "index": o}, cp))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), new=st.integers(1, 300))
def test_consistency_proofs_verify_and_every_bit_flip_fails(data: st.DataObject, new: int):
    hashes, leaves = _tree(new)
    old = data.draw(st.integers(1, new))
    path = merkle.consistency_path(old, new, merkle.list_subtree(leaves))
    proof = {"kind": "consistency", "from": old, "to": new, "path": [encode_hash(h) for h in path]}
    old_cp, new_cp = _checkpoint(hashes, leaves, old), _checkpoint(hashes, leaves, new)
    assert nucleus.verify_consistency(old_cp, new_cp, proof) is True
    bit = data.draw(st.integers(0, 255))
    for k in range(len(path)):
        flipped = [*proof["path"][:k], _flip(proof["path"][k], bit), *proof["path"][k + 1 :]]
        _fails(lambda p=flipped: nucleus.verify_consistency(old_cp, new_cp, {**proof, "path": p}))
    if old < new:  # equal sizes: the two roots are the proof
        _fails(lambda: nucleus.verify_consistency({**old_cp, "root": _flip(old_cp["root"], bit)}, new_cp, proof))
        _fails(lambda: nucleus.verify_consistency(old_cp, {**new_cp, "root": _flip(new_cp["root"], bit)}, proof))
    for b in range(new.bit_length() + 1):
        _fails(lambda b=b: nucleus.verify_consistency(old_cp, new_cp, {**proof, "from": old ^ 1 << b}))
        _fails(lambda b=b: nucleus.verify_consistency(old_cp, new_cp, {**proof, "to": new ^ 1 << b}))
        _fails(lambda b=b: nucleus.verify_consistency({**old_cp, "size": old ^ 1 << b}, new_cp, proof))
        _fails(lambda b=b: nucleus.verify_consistency(old_cp, {**new_cp, "size": new ^ 1 << b}, proof))


def test_a_proof_fails_with_the_reason_named():
    hashes, leaves = _tree(5)
    cp = _checkpoint(hashes, leaves, 5)
    proof = {
        "kind": "inclusion",
        "index": 2,
        "size": 5,
        "path": [encode_hash(h) for h in merkle.inclusion_path(2, 5, merkle.list_subtree(leaves))],
    }
    entry = {"seq": 2, "hash": hashes[2]}
    cases = [
        ({"seq": 3, "hash": hashes[2]}, proof, cp, "index_mismatch"),
        (entry, {**proof, "size": 4}, cp, "size_mismatch"),
        (entry, {**proof, "path": proof["path"][:-1]}, cp, "path_length"),
        (entry, proof, {**cp, "root": cp["root"][:-2] + ("A=" if cp["root"][-2] != "A" else "E=")}, "root_mismatch"),
        ({"seq": 7, "hash": hashes[2]}, {**proof, "index": 7}, cp, "bad_sizes"),
    ]
    for e, p, c, reason in cases:
        _invalid(lambda e=e, p=p, c=c: nucleus.verify_inclusion(e, p, c), reason)
    old = _checkpoint(hashes, leaves, 3)
    good = {
        "kind": "consistency",
        "from": 3,
        "to": 5,
        "path": [encode_hash(h) for h in merkle.consistency_path(3, 5, merkle.list_subtree(leaves))],
    }
    _invalid(lambda: nucleus.verify_consistency(old, cp, {**good, "from": 2}), "size_mismatch")
    _invalid(lambda: nucleus.verify_consistency(cp, old, {**good, "from": 5, "to": 3}), "bad_sizes")
    _invalid(lambda: nucleus.verify_consistency(old, cp, {**good, "path": good["path"] * 2}), "path_length")
    _invalid(lambda: nucleus.verify_consistency(cp, old, {**good, "from": 5, "to": 3}), "bad_sizes")


def test_malformed_inputs_are_invalid_arguments():
    hashes, leaves = _tree(3)
    cp = _checkpoint(hashes, leaves, 3)
    path = [encode_hash(h) for h in merkle.inclusion_path(0, 3, merkle.list_subtree(leaves))]
    proof = {"kind": "inclusion", "index": 0, "size": 3, "path": path}
    entry = {"seq": 0, "hash": hashes[0]}
    legacy = {"size": 3, "hash": hashes[2]}
    for e, p, c in [
        (entry, {**proof, "extra": 1}, cp),
        (entry, {**proof, "kind": "consistency"}, cp),
        (entry, {**proof, "index": -1}, cp),
        (entry, {**proof, "index": True}, cp),
        (entry, {**proof, "path": [path[0][:-1]]}, cp),  # not 44 characters
        (entry, {**proof, "path": ["!" * 43 + "="]}, cp),  # not base64
        (entry, {**proof, "path": path[0]}, cp),  # a string, not a list
        ({"seq": 0, "hash": hashes[0].upper()}, proof, cp),
        ({"seq": "0", "hash": hashes[0]}, proof, cp),
        (entry, proof, legacy),  # a legacy checkpoint has no root to check against
        (entry, proof, {**cp, "origin": "other/t"}),
        (entry, proof, "nucleus/t\n3\nnot-a-root\nchain " + hashes[2] + "\n"),
    ]:
        raises_code("INVALID_ARGUMENT", lambda e=e, p=p, c=c: nucleus.verify_inclusion(e, p, c))
    good = {"kind": "consistency", "from": 3, "to": 3, "path": []}
    raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_consistency(legacy, cp, good))
    raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_consistency(cp, cp, {**good, "from": -3}))
    assert nucleus.verify_consistency(cp, cp, good) is True


def test_the_verifiers_import_no_storage():
    """The standalone verifiers and every engine module they import reach no storage (nor the ledger)."""
    import ast

    engine = Path(nucleus.__file__).parent
    seen, todo = set(), ["_proofs"]
    while todo:
        name = todo.pop()
        seen.add(name)
        tree = ast.parse((engine / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                todo += [n for n in names if n not in seen]
    assert seen == {"_proofs", "_merkle", "_checkpoint", "_canonical", "_errors"}


# -- proofs the engine makes over stored trees ----------------------------------------------------------------


@pytest.fixture(scope="module")
def big_ledger() -> tuple[nucleus.Ledger, list[str]]:
    """A ledger of 66,000 entries in memory: stored nodes at levels 8 and 16, and a right edge below them."""
    ledger = nucleus.Ledger.open("big")
    hashes: list[str] = []
    for start in range(0, 66_000, 11_000):
        hashes += ledger.append_batch([rec(i) for i in range(start, start + 11_000)])
    return ledger, hashes


@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_engine_proofs_over_stored_levels_verify(big_ledger: tuple[nucleus.Ledger, list[str]], data: st.DataObject):
    ledger, hashes = big_ledger
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]
    size = data.draw(st.sampled_from([66_000, 65_536, 65_537]) | st.integers(1, 66_000))
    index = data.draw(st.integers(0, size - 1))
    root = merkle.mth(leaves[:size])
    proof = ledger.inclusion_proof(index, size)
    merkle.verify_inclusion(leaves[index], index, size, [_b64(h) for h in proof["path"]], root)
    old = data.draw(st.integers(1, size))
    proof = ledger.consistency_proof(old, size)
    path = [_b64(h) for h in proof["path"]]
    merkle.verify_consistency(old, size, merkle.mth(leaves[:old]), root, path)


def test_engine_checkpoint_root_is_the_tree_of_the_entries(big_ledger: tuple[nucleus.Ledger, list[str]]):
    ledger, hashes = big_ledger
    cp = ledger.checkpoint()
    assert cp.root == encode_hash(merkle.mth([merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]))
    assert cp.origin == "nucleus/big" and cp.size == 66_000 and cp.hash == hashes[-1]
    assert nucleus.Checkpoint.parse(cp.to_text()) == cp and nucleus.Checkpoint.parse(cp.to_json()) == cp


def test_proof_arguments_out_of_range(big_ledger: tuple[nucleus.Ledger, list[str]]):
    ledger, _ = big_ledger
    for call in (
        lambda: ledger.inclusion_proof(66_000),
        lambda: ledger.inclusion_proof(-1),
        lambda: ledger.inclusion_proof(5, 5),
        lambda: ledger.inclusion_proof(5, 66_001),
        lambda: ledger.inclusion_proof("5"),
        lambda: ledger.consistency_proof(0),
        lambda: ledger.consistency_proof(10, 9),
        lambda: ledger.consistency_proof(1, 66_001),
        lambda: ledger.consistency_proof(True),
    ):
        err = raises_code("INVALID_ARGUMENT", call)
        assert "66000" in err.message or "65999" in err.message or "from" in err.message
    assert ledger.consistency_proof(66_000)["path"] == []


def test_an_empty_ledger_checkpoint():
    with nucleus.Ledger.open("empty") as ledger:
        cp = ledger.checkpoint()
        assert cp.to_json() == {
            "origin": "nucleus/empty",
            "size": 0,
            "root": encode_hash(merkle.EMPTY_ROOT),
            "hash": None,
        }
        assert cp.to_text() == "nucleus/empty\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        raises_code("INVALID_ARGUMENT", lambda: ledger.inclusion_proof(0))
        raises_code("INVALID_ARGUMENT", lambda: ledger.consistency_proof(1))


def test_the_tree_hashes_the_same_through_a_host_sha256(monkeypatch: pytest.MonkeyPatch):
    """Under Pyodide the host lends its SHA-256 for whole levels (nucleus._host): the tree must not change."""
    import hashlib

    from nucleus import _host
    from nucleus._tree import Frontier

    calls: list[int] = []

    def host_sha256_into(data: bytes, lengths: Any, out: bytearray) -> None:
        calls.append(len(lengths))
        digests, offset = [], 0
        for n in lengths:
            digests.append(hashlib.sha256(data[offset : offset + n]).digest())
            offset += n
        out[:] = b"".join(digests)

    hashes, leaves = _tree(1000)
    # Only the SHA-256 is lent here (no merkle_fold), for this test alone: monkeypatch puts the lent ones back.
    monkeypatch.setattr(_host, "_lent", _host.HostPrimitives(sha256_into=host_sha256_into))
    lent, stored = Frontier().extended(hashes[:3])[0].extended(hashes[3:])
    assert calls and max(calls) == 997  # the leaves of the second batch went to the host in one call
    assert lent.root() == merkle.mth(leaves) and lent.size == 1000
    assert stored == [(8, i, merkle.mth(leaves[i * 256 : (i + 1) * 256])) for i in range(3)]


def _reference_fold(data: bytes, first: int, edge: bytes, leaves: bool, out: bytearray) -> None:
    """``merkle_fold`` as nucleus._host defines it, written from that definition alone (hashlib)."""
    import hashlib

    level = [data[i : i + 32] for i in range(0, len(data), 32)]
    if leaves:
        level = [hashlib.sha256(b"\x00" + p).digest() for p in level]
    written, lefts, bit = b"", [edge[i : i + 32] for i in range(0, len(edge), 32)], 0
    while level:
        if first >> bit & 1:
            level.insert(0, lefts.pop(0))
        written += b"".join(level)
        level = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        bit += 1
    assert len(written) == len(out), "the engine sized out for exactly the levels written"
    out[:] = written


@settings(max_examples=60, deadline=None, derandomize=True)
@given(old=st.integers(0, 70_000), count=st.integers(1, 1500))
def test_the_host_merkle_fold_gives_the_python_tree(old: int, count: int):
    """Appending through the ``merkle_fold`` the host lends (js/src/runtime/host-primitives.ts when this suite runs
    inside Pyodide; in CPython, a fold written from its definition in nucleus._host) gives exactly the frontier and
    stored nodes of the engine's own level-by-level hashing, from any size, for any count: above and below the
    host's threshold, from sizes whose edge holds many levels, across stored levels 8 and 16."""
    from nucleus import _host
    from nucleus._tree import Frontier

    hashes = [_entry_hash(i) for i in range(old, old + count)]
    # The frontier of ``old`` leaves, built from its decomposition (cheaper than appending them all).
    nodes = {lv: merkle.leaf_hash(bytes([lv % 256]) * 32) for lv in range(old.bit_length()) if old >> lv & 1}
    start = Frontier(old, nodes)
    before = _host.lent()
    lent = before if before.merkle_fold is not None else _host.HostPrimitives(merkle_fold=_reference_fold)
    try:
        _host._lent = lent
        folded = start.extended(hashes)
        _host._lent = _host.HostPrimitives()  # nothing lent: hashlib, level by level
        own = start.extended(hashes)
    finally:
        _host._lent = before
    assert folded == own


class _Source:
    """A tree source over leaves in memory and a level-8 list a test may damage (``None``: a missing node)."""

    def __init__(self, hashes: list[str], level8: list[bytes | None]):
        self.hashes, self.level8 = hashes, level8

    def entry_hashes(self, start: int, end: int) -> list[str]:
        return self.hashes[max(start, 0) : end]

    def tree_nodes(self, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        kept = self.level8 if level == 8 else []
        return [(i, h) for i, h in enumerate(kept) if start <= i < end and h is not None]


@pytest.mark.parametrize("lent", ["python", "host"])
def test_the_reader_folds_blocks_and_names_a_missing_stored_node(lent: str, monkeypatch: pytest.MonkeyPatch):
    """Proofs read a block of 256 nodes and fold every subtree above them at once; a stored node after a gap is still
    served as stored, a missing one is named (CHAIN_INVALID, kind tree), a malformed one is used as stored (a proof
    over it then fails to verify, as before), and the frontier's own nodes win over anything read."""
    from nucleus import _host
    from nucleus._tree import Frontier, TreeReader

    if lent == "python":
        monkeypatch.setattr(_host, "_lent", _host.HostPrimitives())
    elif _host.lent().merkle_fold is None:
        monkeypatch.setattr(_host, "_lent", _host.HostPrimitives(merkle_fold=_reference_fold))
    hashes, leaves = _tree(4 * 256 + 77)
    level8 = [merkle.mth(leaves[i * 256 : (i + 1) * 256]) for i in range(4)]
    whole = TreeReader(_Source(hashes, list(level8)))
    for start, end in [(0, len(leaves)), (3, 700), (256, 512), (1000, 1101), (5, 6)]:
        assert whole.subtree(start, end) == merkle.mth(leaves[start:end])

    gap = TreeReader(_Source(hashes, [level8[0], None, level8[2], level8[3]]))
    assert gap.subtree(512, 1024) == merkle.mth(leaves[512:1024])  # nodes 2 and 3, after the gap
    assert gap.subtree(0, 256) == level8[0]
    with pytest.raises(nucleus.ChainIntegrityError) as err:
        gap.subtree(0, 1024)
    assert (err.value.details["kind"], err.value.details["seq"], "missing" in err.value.message) == ("tree", 256, True)

    short = TreeReader(_Source(hashes, [level8[0][:31], level8[1], level8[2], level8[3]]))
    assert short.subtree(256, 1024) == merkle.mth(leaves[256:1024])
    assert short.node(8, 0) == level8[0][:31] and short.subtree(0, 512) != merkle.mth(leaves[:512])

    # The reader of a ledger starts from its frontier: its nodes are taken as they are, not re-read.
    frontier = Frontier().extended(hashes)[0]
    edge = dict(frontier.nodes)
    planted = Frontier(frontier.size, {**edge, 6: b"\x07" * 32})
    assert TreeReader(_Source(hashes, list(level8)), planted).node(6, (frontier.size >> 6) - 1) == b"\x07" * 32
