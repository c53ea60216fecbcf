"""Signed notes in Chromium (WebCrypto) and across runtimes: every vector of vectors/notes/ reaches its stated
verdict on a page, as in Node (js/test/notes-vectors.test.mjs, the same walker: js/test/helpers/notes.mjs) and
CPython (tests_py/test_notes.py); and notes signed in one of CPython, Node and Chromium, with a key made there,
verify in the other two, including a checkpoint cosigned in all three and checked 2 of 3."""

from __future__ import annotations

import json
from typing import Any

import nucleus
from conftest import ROOT, GuardedPage, js_helper_in_node, js_helper_on_page

HELPERS = ROOT / "js" / "test" / "helpers" / "notes.mjs"
VECTORS = ROOT / "vectors" / "notes"
CHECKPOINT = "nucleus/demo\n3\n" + "A" * 43 + "=\nchain " + "ab" * 32 + "\n"


def chromium(page: GuardedPage, fn: str, arg: Any) -> Any:
    """notes.mjs's ``fn(window.nucleus, arg)`` on the page."""
    return js_helper_on_page(page, HELPERS, fn, arg)


def node(fn: str, arg: Any) -> Any:
    """notes.mjs's ``fn(N, arg)`` in a Node process, N the built package."""
    return js_helper_in_node(HELPERS, fn, arg)


def cpython(fn: str, arg: Any) -> Any:
    """What notes.mjs's ``fn`` does, with the Python API."""
    if fn == "signTurn":
        signer, verifier = nucleus.generate_key(arg["name"])
        cosign = arg.get("cosign")
        return {
            "signer": signer,
            "verifier": verifier,
            "signed": nucleus.sign_note(arg["body"], signer),
            "cosigned": nucleus.sign_note(cosign, signer) if cosign else None,
        }
    assert fn == "verifyNotes"
    out: list[dict[str, Any]] = []
    for case in arg:
        try:
            v = nucleus.verify_note(case["note"], case["keys"], case["threshold"])
        except nucleus.NucleusError as e:
            out.append({"want_error": {"code": e.code, "reason": e.details.get("reason")}})
        else:
            out.append({"want": {"text": v.text, "signers": list(v.signers)}})
    return out


def test_every_note_vector_in_chromium(package_page: GuardedPage) -> None:
    vectors = {f.name: json.loads(f.read_text(encoding="utf-8")) for f in sorted(VECTORS.glob("*.json"))}
    results = chromium(package_page, "noteVectorVerdicts", vectors)
    assert len(results) == sum(len(vectors[f]) for f in ("verify.json", "sign.json", "key-texts.json"))
    wrong = [f"{r['file']} {r['name']}: got {r['got']}, want {r['want']}" for r in results if r["got"] != r["want"]]
    assert not wrong, "\n".join(wrong)


def test_notes_signed_in_each_runtime_verify_in_the_others(package_page: GuardedPage) -> None:
    run = {
        "CPython": cpython,
        "Node": node,
        "Chromium": lambda fn, arg: chromium(package_page, fn, arg),
    }
    # A key made in each runtime signs the checkpoint, and cosigns it in turn: CPython, then Node, then Chromium.
    turns: dict[str, dict[str, Any]] = {}
    cosign = None
    for where, call in run.items():
        turns[where] = call("signTurn", {"name": f"{where.lower()}.example/w", "body": CHECKPOINT, "cosign": cosign})
        cosign = turns[where]["cosigned"] or turns[where]["signed"]
    three = turns["Chromium"]["cosigned"]
    keys = [turns[w]["verifier"] for w in run]
    names = [f"{w.lower()}.example/w" for w in run]
    assert three.count("\n\u2014 ") == 3 and three.startswith(turns["CPython"]["signed"])
    tampered = three.replace("\n3\n", "\n4\n", 1)

    def ok(*signers: str) -> dict[str, Any]:
        return {"want": {"text": CHECKPOINT, "signers": list(signers)}}

    for where, call in run.items():
        others = [w for w in run if w != where]
        cases = [
            *({"note": turns[w]["signed"], "keys": [turns[w]["verifier"]], "threshold": 1} for w in others),
            {"note": three, "keys": keys, "threshold": 2},
            {"note": three, "keys": keys, "threshold": 3},
            {"note": three, "keys": [turns[w]["verifier"] for w in others], "threshold": 2},
            {"note": tampered, "keys": keys, "threshold": 2},
        ]
        want = [
            *(ok(f"{w.lower()}.example/w") for w in others),
            ok(*names),
            ok(*names),
            ok(*(f"{w.lower()}.example/w" for w in others)),
            {"want_error": {"code": "SIGNATURE_INVALID", "reason": "bad_signature"}},
        ]
        assert call("verifyNotes", cases) == want, f"{where} disagrees"
