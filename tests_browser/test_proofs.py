"""Standalone proof and signed-note verification in Chromium (WebCrypto), without starting the engine: an
inclusion and a consistency proof made by a reference tree here (RFC 9162 §2.1) verify, changed ones fail, a
checkpoint is signed and verified with a key made in the page, and Go's example note verifies; the page never
fetches Pyodide's or the engine's files.

Then the same verdicts in every runtime: every case of vectors/merkle/ (js/test/helpers/proofs.mjs, the walker
Node runs too) in Chromium; and the same entries appended in CPython (in memory and SQLite), Node (the build, a
SQLite ledger) and Chromium (in memory, on the page and in a worker) give byte-identical checkpoints and proofs
(hypothesis picks sizes and indexes), which verify in all three, and fail in all three once one bit of a path
hash, a root, an index or a size is changed."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import differential_peer
from conftest import ROOT, GuardedPage, js_helper_in_node, js_helper_on_page

ENGINE_FILES = ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "snapshot.bin", ".whl", "manifest.json")


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def _mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return _h()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return _h(b"\x01", _mth(leaves[:k]), _mth(leaves[k:]))


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if complete else [_mth(leaves)]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def test_proofs_and_notes_verify_in_chromium_without_the_engine(package_page: GuardedPage) -> None:
    hashes = [_h(f"entry {i}".encode()).hex() for i in range(13)]
    leaves = [_h(b"\x00", bytes.fromhex(h)) for h in hashes]

    def checkpoint(size: int) -> dict:
        return {"origin": "nucleus/web", "size": size, "root": _b64(_mth(leaves[:size])), "hash": hashes[size - 1]}

    arg = {
        "entry": {"seq": 6, "hash": hashes[6]},
        "inclusion": {"kind": "inclusion", "index": 6, "size": 13, "path": [_b64(p) for p in _path(6, leaves)]},
        "consistency": {
            "kind": "consistency",
            "from": 5,
            "to": 13,
            "path": [_b64(p) for p in _subproof(5, leaves, True)],
        },
        "old": checkpoint(5),
        "cp": checkpoint(13),
        # golang.org/x/mod/sumdb/note's test key and signed note (note_test.go).
        "peterKey": "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "peterNote": "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n\n"
        "\u2014 PeterNeumann "
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
    }
    out = package_page.run(
        """async (a) => {
          const N = window.nucleus;
          const code = (p) => p.then(() => "ok", (e) => `${e.code}:${e.details.reason ?? ""}`);
          const flip = (h) => (h[0] === "A" ? "B" : "A") + h.slice(1);
          const keys = await N.generateKey("example.com/web");
          const note = await N.signNote(N.formatCheckpoint(a.cp), keys.signer);
          const verdict = await N.verifyNote(note, [keys.verifier]);
          return {
            inclusion: await N.verifyInclusion(a.entry, a.inclusion, a.cp),
            inclusionText: await N.verifyInclusion(a.entry, a.inclusion, N.formatCheckpoint(a.cp)),
            consistency: await N.verifyConsistency(a.old, a.cp, a.consistency),
            badPath: await code(N.verifyInclusion(
              a.entry, { ...a.inclusion, path: [flip(a.inclusion.path[0]), ...a.inclusion.path.slice(1)] }, a.cp,
            )),
            badRoot: await code(N.verifyConsistency({ ...a.old, root: flip(a.old.root) }, a.cp, a.consistency)),
            badIndex: await code(N.verifyInclusion({ ...a.entry, seq: 7 }, { ...a.inclusion, index: 7 }, a.cp)),
            signers: verdict.signers,
            parsed: N.parseCheckpoint(verdict.text),
            tampered: await code(N.verifyNote(note.replace("\\n13\\n", "\\n12\\n"), [keys.verifier])),
            go: await N.verifyNote(a.peterNote, [a.peterKey]),
          };
        }""",
        arg,
    )
    assert out["inclusion"] is True and out["inclusionText"] is True and out["consistency"] is True
    assert out["badPath"] == "PROOF_INVALID:root_mismatch"
    assert out["badRoot"] == "PROOF_INVALID:root_mismatch"
    assert out["badIndex"].startswith("PROOF_INVALID:")
    assert out["signers"] == ["example.com/web"]
    assert out["parsed"] == arg["cp"]
    assert out["tampered"] == "SIGNATURE_INVALID:bad_signature"
    assert out["go"] == {"text": arg["peterNote"].split("\n\n")[0] + "\n", "signers": ["PeterNeumann"]}
    fetched = [url for url in package_page.guard.requests if url.endswith(ENGINE_FILES)]
    assert not fetched, f"verifying fetched the engine's files: {fetched}"
    assert any(url.endswith("/nucleus/nucleus.js") for url in package_page.guard.requests), (
        "the probe saw no request at all"
    )


# -- the same verdicts everywhere: vectors/merkle, and proofs made in each runtime --------------------------------

HELPERS = ROOT / "js" / "test" / "helpers" / "proofs.mjs"
VECTORS = ROOT / "vectors" / "merkle"
COUNT = 300


def chromium(page: GuardedPage, fn: str, arg: Any) -> Any:
    """proofs.mjs's ``fn(window.nucleus, arg)`` on the page (an in-memory ledger, on the page or in its worker)."""
    return js_helper_on_page(page, HELPERS, fn, arg)


def node(fn: str, arg: Any, sqlite: str | None = None) -> Any:
    """proofs.mjs's ``fn(N, arg)`` in a Node process, N the built package (a SQLite ledger at ``sqlite``)."""
    return js_helper_in_node(HELPERS, fn, arg, sqlite=sqlite, timeout=120)


def test_every_proof_vector_in_chromium(package_page: GuardedPage) -> None:
    vectors = {name: json.loads((VECTORS / f"{name}.json").read_text()) for name in ("verify", "ledger")}
    results = chromium(package_page, "proofVectorVerdicts", vectors)
    assert len(results) > 300
    wrong = [f"{r['name']}: got {r['got']}, want {r['want']}" for r in results if r["got"] != r["want"]]
    assert not wrong, "\n".join(wrong)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _flip_b64(text: str, bit: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    return _b64(bytes(raw))


def _changed_proofs(made: dict[str, Any], changes: list[tuple[int, int, int]]) -> tuple[list[Any], list[Any]]:
    """Each proof of ``made`` as it is, then with one bit changed in a path hash, a root, an index or a size (the
    bit, number bit and path position of ``changes``): the cases and the verdict each must get everywhere."""
    leaves = [_h(b"\x00", bytes.fromhex(h)) for h in made["entries"]]
    entries = made["entries"]

    def checkpoint(size: int) -> dict[str, Any]:
        hash_ = entries[size - 1] if size else None
        return {"origin": "nucleus/merkle-vectors", "size": size, "root": _b64(_mth(leaves[:size])), "hash": hash_}

    def fail(reason: str) -> dict[str, Any]:
        return {"want_error": {"code": "PROOF_INVALID", "reason": reason}}

    cases: list[Any] = []
    want: list[Any] = []
    proofs = [*made["inclusion"], *made["consistency"]]
    for p, (bit, number_bit, pick) in zip(proofs, changes, strict=True):
        path = [*p["path"]]
        if path:
            path[pick % len(path)] = _flip_b64(path[pick % len(path)], bit)
        if p["kind"] == "inclusion":
            entry, cp = {"seq": p["index"], "hash": entries[p["index"]]}, checkpoint(p["size"])
            rows = [
                ([entry, p, cp], {"want": True}),
                ([entry, {**p, "path": path}, cp], fail("root_mismatch") if path else {"want": True}),
                ([entry, p, {**cp, "root": _flip_b64(cp["root"], bit)}], fail("root_mismatch")),
                ([entry, {**p, "index": p["index"] ^ (1 << number_bit)}, cp], fail("index_mismatch")),
                ([entry, {**p, "size": p["size"] ^ (1 << number_bit)}, cp], fail("size_mismatch")),
            ]
        else:
            old, new = checkpoint(p["from"]), checkpoint(p["to"])
            rows = [
                ([old, new, p], {"want": True}),
                ([old, new, {**p, "path": path}], fail("root_mismatch") if path else {"want": True}),
                ([{**old, "root": _flip_b64(old["root"], bit)}, new, p], fail("root_mismatch")),
                ([old, {**new, "root": _flip_b64(new["root"], bit)}, p], fail("root_mismatch")),
                ([old, new, {**p, "from": p["from"] ^ (1 << number_bit)}], fail("size_mismatch")),
                ([old, new, {**p, "to": p["to"] ^ (1 << number_bit)}], fail("size_mismatch")),
            ]
        for args, verdict in rows:
            cases.append({"verify": p["kind"], "args": args})
            want.append(verdict)
    return cases, want


@st.composite
def _requests(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[int, int, int]]]:
    """Random proofs of the vectors' ledger of COUNT entries, and a change of each."""
    sizes = st.integers(1, COUNT)
    inclusion = [(draw(st.integers(0, n - 1)), n) for n in draw(st.lists(sizes, min_size=8, max_size=12))]
    consistency = [(draw(st.integers(1, n)), n) for n in draw(st.lists(sizes, min_size=8, max_size=12))]
    change = st.tuples(st.integers(0, 255), st.integers(0, 52), st.integers(0, 100))
    changes = [draw(change) for _ in range(len(inclusion) + len(consistency))]
    arg = {"ledger": "merkle-vectors", "count": COUNT, "inclusion": inclusion, "consistency": consistency}
    return arg, changes


@settings(max_examples=3, derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(request=_requests())
def test_proofs_made_in_each_runtime_are_the_same_and_verify_everywhere(
    harness: GuardedPage, tmp_path_factory: pytest.TempPathFactory, request: Any
) -> None:
    arg, changes = request
    sqlite = str(tmp_path_factory.mktemp("proofs") / "node.db")
    made = {
        "CPython": differential_peer.proof_turn(arg),
        "CPython (SQLite)": differential_peer.proof_turn(arg, str(tmp_path_factory.mktemp("proofs") / "py.db")),
        "Node (SQLite)": node("proofTurn", arg, sqlite),
        f"Chromium ({'worker' if harness.worker else 'page'})": chromium(harness, "proofTurn", arg),
    }
    vector_entries = json.loads((VECTORS / "ledger.json").read_text())["entries"]
    assert made["CPython"]["entries"] == vector_entries
    for where, m in made.items():
        assert _canonical(m) == _canonical(made["CPython"]), f"{where} made other entries, checkpoint or proofs"
    # Each runtime's proofs (the same bytes, so one set of cases) verify, and fail once changed, everywhere.
    cases, want = _changed_proofs(made["Node (SQLite)"], changes)
    verdicts = {
        "CPython": differential_peer.verify_cases(cases),
        "Node": node("verifyCases", cases),
        "Chromium": chromium(harness, "verifyCases", cases),
    }
    for where, got in verdicts.items():
        wrong = [(c, g, w) for c, g, w in zip(cases, got, want, strict=True) if g != w]
        assert not wrong, f"{where}: {wrong[:3]}"
