"""Signed notes (C2SP signed-note, Ed25519): the committed vectors (vectors/notes/, whose verdicts are written by
hand from the spec and include Go's note package examples and a real sum.golang.org tree head), plus properties
of freshly generated keys. Inside Pyodide (tests_py/pyodide) the same tests run on the Ed25519 that Node lends
the engine, so both crypto providers meet the same verdicts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nucleus
from nucleus import _host, _note
from support import raises_code

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors" / "notes"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


VERIFY = _load("verify.json")
SIGN = _load("sign.json")
KEY_TEXTS = _load("key-texts.json")
KEYS = _load("keys.json")
CHECKPOINT = "nucleus/demo\n3\n" + base64.b64encode(bytes(32)).decode() + "\nchain " + "ab" * 32 + "\n"


def _outcome(call: Any) -> dict[str, Any]:
    try:
        result = call()
    except nucleus.NucleusError as e:
        json.dumps(e.to_json())  # details stay JSON-safe
        return {"want_error": {"code": e.code, "reason": e.details.get("reason")}}
    return {"want": result}


def _expected(case: dict[str, Any]) -> dict[str, Any]:
    return {k: case[k] for k in ("want", "want_error") if k in case}


@pytest.mark.parametrize("name", sorted(VERIFY))
def test_verify_vector(name: str):
    case = VERIFY[name]
    note = case["note"] if "note" in case else base64.b64decode(case["note_base64"])

    def run() -> dict[str, Any]:
        verdict = nucleus.verify_note(note, case["verifier_keys"], case["threshold"])
        assert isinstance(verdict, nucleus.NoteVerdict)
        return {"text": verdict.text, "signers": list(verdict.signers)}

    assert _outcome(run) == _expected(case), case["desc"]


@pytest.mark.parametrize("name", sorted(SIGN))
def test_sign_vector(name: str):
    case = SIGN[name]

    def run() -> str:
        text = case["note"]
        for key in case.get("signer_keys") or [case["signer_key"]]:
            text = nucleus.sign_note(text, key)
        return text

    assert _outcome(run) == _expected(case), case["desc"]


@pytest.mark.parametrize("name", sorted(KEY_TEXTS))
def test_key_text_vector(name: str):
    case = KEY_TEXTS[name]

    def run() -> dict[str, Any]:
        if case["kind"] == "verifier":
            v = _note._parse_verifier(case["text"])
        else:
            v, _ = _note._parse_signer(case["text"], _note._ed25519())
        return {"name": v.name, "key_id": f"{v.key_id:08x}"}

    assert _outcome(run) == _expected(case), name


def test_every_vector_signer_key_matches_its_verifier_key():
    for key in KEYS.values():
        if "signer" in key:
            signed = nucleus.sign_note(CHECKPOINT, key["signer"])
            assert nucleus.verify_note(signed, [key["verifier"]]).signers == (key["name"],)


def test_generated_keys_have_the_spec_encodings():
    signer, verifier = nucleus.generate_key("example.com/log")
    name, key_id, encoded = verifier.split("+", 2)
    assert name == "example.com/log"
    raw = base64.b64decode(encoded, validate=True)
    assert len(raw) == 33 and raw[0] == 0x01
    assert key_id == hashlib.sha256(b"example.com/log\n" + raw).digest()[:4].hex()
    assert signer.startswith(f"PRIVATE+KEY+example.com/log+{key_id}+")
    seed = base64.b64decode(signer.split("+", 4)[4], validate=True)
    assert len(seed) == 33 and seed[0] == 0x01
    # The pair is one key: what the signer key signs, the verifier key verifies, and the texts derive again.
    assert _note._key_texts("example.com/log", seed[1:]) == (signer, verifier)
    assert nucleus.verify_note(nucleus.sign_note(CHECKPOINT, signer), [verifier]).text == CHECKPOINT
    assert nucleus.generate_key("example.com/log") != (signer, verifier)  # fresh randomness each time


@pytest.mark.parametrize(
    "name", ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u0085b", "a\u3000b", "a\nb", "a\x01b", "\ud800", 7, None]
)
def test_generate_key_refuses_bad_names(name: Any):
    err = raises_code("INVALID_ARGUMENT", lambda: nucleus.generate_key(name))
    assert err.details == {"reason": "name"}


def test_unicode_names_without_spaces_are_fine():
    signer, verifier = nucleus.generate_key("lög.example/wïtness-✓")
    assert nucleus.verify_note(nucleus.sign_note("é\n", signer), [verifier]).signers == ("lög.example/wïtness-✓",)


def test_cosigning_by_three_keys_and_k_of_n_policies():
    log = nucleus.generate_key("nucleus/demo")
    witnesses = [nucleus.generate_key(f"w{i}.example") for i in range(3)]
    note = nucleus.sign_note(CHECKPOINT, log[0])
    for signer, _ in witnesses:
        before = note
        note = nucleus.sign_note(note, signer)
        assert note.startswith(before)  # cosigning keeps every existing line, the new one last
    assert note.count("\n\n") == 1 and note.count("\n— ") == 4
    trusted = [v for _, v in witnesses]
    for k in (1, 2, 3):
        verdict = nucleus.verify_note(note, trusted, threshold=k)
        assert verdict == nucleus.NoteVerdict(CHECKPOINT, ("w0.example", "w1.example", "w2.example"))
    # The log's own signature does not count for a witness policy; dropping one witness line leaves 2 of 3.
    w2_line = next(line for line in note.splitlines(keepends=True) if line.startswith("— w2.example "))
    fewer = note.replace(w2_line, "")
    assert nucleus.verify_note(fewer, trusted, threshold=2).signers == ("w0.example", "w1.example")
    err = raises_code("SIGNATURE_INVALID", lambda: nucleus.verify_note(fewer, trusted, threshold=3))
    assert err.details == {"reason": "too_few", "verified": 2, "threshold": 3}
    # Re-signing with a key that signed already moves its line last (Ed25519 is deterministic): no duplicate.
    w0_line = next(line for line in note.splitlines(keepends=True) if line.startswith("— w0.example "))
    assert nucleus.sign_note(note, witnesses[0][0]) == note.replace(w0_line, "") + w0_line


def test_every_single_character_change_fails():
    signer, verifier = nucleus.generate_key("nucleus/demo")
    note = nucleus.sign_note(CHECKPOINT, signer)
    for i, c in enumerate(note):
        for other in {chr(ord(c) ^ 1), "A" if c != "A" else "B"}:
            changed = note[:i] + other + note[i + 1 :]
            with pytest.raises(nucleus.SignatureInvalid) as info:
                nucleus.verify_note(changed, [verifier])
            assert info.value.details["reason"] in {"malformed", "too_few", "bad_signature"}, (i, other)


@given(st.text(st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), max_size=40).map(lambda s: s + "\n"))
def test_any_body_roundtrips(body: str):
    signed = nucleus.sign_note(body, KEYS["w1"]["signer"])
    assert nucleus.verify_note(signed, [KEYS["w1"]["verifier"]]) == nucleus.NoteVerdict(body, ("witness1.example/w",))
    assert nucleus.verify_note(signed.encode("utf-8"), [KEYS["w1"]["verifier"]]).text == body


def test_bad_arguments():
    note = nucleus.sign_note(CHECKPOINT, KEYS["log"]["signer"])
    verifier = KEYS["log"]["verifier"]
    raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_note(note, verifier))  # a str, not a list of keys
    assert raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_note(note, [])).details == {"reason": "threshold"}
    raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_note(note, [verifier], threshold=True))
    raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_note(note, [verifier], threshold=1.0))  # type: ignore[arg-type]
    raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_note(None, [verifier]))  # type: ignore[arg-type]
    raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_note(note, [None]))  # type: ignore[list-item]
    raises_code("INVALID_ARGUMENT", lambda: nucleus.sign_note(CHECKPOINT, None))  # type: ignore[arg-type]
    assert nucleus.verify_note(note, (v for v in [verifier, verifier])).signers == ("nucleus/demo",)


def test_errors_never_show_a_signer_key():
    secret = KEYS["log"]["signer"]
    seed = secret.rsplit("+", 1)[1]
    for text in (secret.replace("+", "+x", 3), secret[:-4], secret.replace(seed, seed[:-4] + "AAAA")):
        err = raises_code("INVALID_ARGUMENT", lambda text=text: nucleus.sign_note(CHECKPOINT, text))
        assert seed[:20] not in json.dumps(err.to_json()) and seed[:20] not in str(err)
    err = raises_code("INVALID_ARGUMENT", lambda: nucleus.verify_note(CHECKPOINT + "\n— a AAAAAAA=\n", [secret]))
    assert seed[:20] not in json.dumps(err.to_json())


@pytest.mark.host_only  # inside Pyodide the host lends Ed25519; cryptography is never looked for
def test_missing_cryptography_names_the_extra(monkeypatch: pytest.MonkeyPatch):
    for module in ("cryptography", "cryptography.exceptions", "cryptography.hazmat.primitives.asymmetric.ed25519"):
        monkeypatch.setitem(sys.modules, module, None)  # makes `import` raise ImportError
    for call in (
        lambda: nucleus.generate_key("a"),
        lambda: nucleus.sign_note(CHECKPOINT, KEYS["log"]["signer"]),
        lambda: nucleus.verify_note(VERIFY["checkpoint-log"]["note"], [KEYS["log"]["verifier"]]),
    ):
        err = raises_code("INVALID_CONFIG", call)
        assert 'pip install "nucleus-ledger[signing]"' in err.message
        assert err.details["package"] == "cryptography"
    # Malformed notes and keys are refused before any Ed25519 is needed.
    raises_code("SIGNATURE_INVALID", lambda: nucleus.verify_note(CHECKPOINT, [KEYS["log"]["verifier"]]))


def test_pyodide_without_lent_ed25519_refuses_clearly(monkeypatch: pytest.MonkeyPatch):
    # A browser lends no Ed25519 (WebCrypto's is asynchronous): the engine says so rather than failing oddly.
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(_host, "_lent", _host.HostPrimitives())
    err = raises_code("STORAGE_UNSUPPORTED", lambda: nucleus.generate_key("a"))
    assert "signNote" in err.message and err.details["feature"] == "ed25519"
    raises_code(
        "STORAGE_UNSUPPORTED", lambda: nucleus.verify_note(VERIFY["checkpoint-log"]["note"], [KEYS["log"]["verifier"]])
    )


def test_the_lent_ed25519_is_the_one_used_under_pyodide():
    lent = _host.lent()
    if sys.platform == "emscripten":
        # run_pytest.mjs lends Node's Ed25519, as the npm package does: every test above ran on it.
        assert lent.ed25519_public and lent.ed25519_sign and lent.ed25519_verify
        seed = bytes(range(32))
        public = bytes.fromhex(lent.ed25519_public(seed))
        signature = bytes.fromhex(lent.ed25519_sign(seed, b"m"))
        assert len(public) == 32 and len(signature) == 64
        assert lent.ed25519_verify(public, b"m", signature) is True
        assert lent.ed25519_verify(public, b"n", signature) is False
        assert lent.ed25519_verify(b"\xff" * 32, b"m", signature) is False  # not a point: False, not an error
    else:
        assert lent.ed25519_sign is None  # CPython uses cryptography
