"""Writes vectors/notes/*.json: signed-note vectors (keys, key texts, signing and verifying cases with their
verdicts). README.md beside this file describes the files; docs/FORMAT.md ("Signed checkpoints") the rules.

Run from the repo root: ``python3 vectors/notes/generate.py`` (needs ``cryptography``: the ``signing`` extra).
The files are committed and deterministic (Ed25519 signatures are, RFC 8032 §5.1.6; the keys come from fixed
seeds). The Python tests (tests_py/test_notes.py, also inside Pyodide) and the npm package's tests (Node and Chromium:
js/test/helpers/notes.mjs) read them.

Verdicts are written here by hand from the spec, never read back from the engine; the engine must agree with
every one before anything is written. Outside examples: Go's note package (golang.org/x/mod/sumdb/note,
note_test.go: the PeterNeumann and EnochRoot keys and notes), a tree head served by sum.golang.org (verified
with the key Go ships, cmd/go/internal/modfetch/key.go) and the examples of c2sp.org/signed-note and
c2sp.org/tlog-checkpoint, whose keys are not published (so they are well-formed notes from unknown keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "py"))

import nucleus  # noqa: E402
from nucleus._note import _key_texts, _parse_signer, _parse_verifier  # noqa: E402

EM = "—"  # U+2014

# -- keys -----------------------------------------------------------------------------------------------------

GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_PETER_LINE = (
    f"{EM} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
GO_ENOCH_LINE = (
    f"{EM} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
SUMDB_NOTE = (
    "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n"
    f"{EM} sum.golang.org "
    "Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n"
)
C2SP_NOTE = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
    f"{EM} quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
C2SP_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    f"{EM} example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


def seeded(name: str, label: str) -> dict[str, str]:
    seed = hashlib.sha256(f"nucleus signed-note vectors: {label}".encode()).digest()
    signer, verifier = _key_texts(name, seed)
    return {"name": name, "signer": signer, "verifier": verifier, "source": "generated from a fixed seed"}


KEYS: dict[str, dict[str, str]] = {
    "peter": {
        "name": "PeterNeumann",
        "signer": "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "verifier": "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "source": "golang.org/x/mod/sumdb/note, note_test.go",
    },
    "enoch": {
        "name": "EnochRoot",
        "verifier": "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
        "source": "golang.org/x/mod/sumdb/note, note_test.go (its signer key is not published)",
    },
    "sumdb": {
        "name": "sum.golang.org",
        "verifier": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        "source": "Go's checksum database key (cmd/go/internal/modfetch/key.go)",
    },
    "log": seeded("nucleus/demo", "log"),
    "log2": seeded("nucleus/demo", "log, second key"),  # same name, another key (and id)
    "w1": seeded("witness1.example/w", "w1"),
    "w2": seeded("witness2.example/w", "w2"),
    "w3": seeded("witness3.example/w", "w3"),
    # Two keys whose ids collide (same name, same 32-bit id, different keys), found by trying seeds
    # "collision 0", "collision 1", … until two ids met (a birthday search: about 2^16 keys).
    "collide-a": seeded("collide.example", "collision 129128"),
    "collide-b": seeded("collide.example", "collision 131462"),
}
V = {k: v["verifier"] for k, v in KEYS.items()}
S = {k: v["signer"] for k, v in KEYS.items() if "signer" in v}
NAME = {k: v["name"] for k, v in KEYS.items()}

# A checkpoint text of docs/FORMAT.md (illustrative values: no ledger behind them).
CHECKPOINT = (
    "nucleus/demo\n3\n"
    + base64.b64encode(hashlib.sha256(b"illustrative root").digest()).decode()
    + "\nchain "
    + hashlib.sha256(b"illustrative chain tip").hexdigest()
    + "\n"
)


def sign(text: str, *signers: str) -> str:
    for key in signers:
        text = nucleus.sign_note(text, S[key])
    return text


def line_of(key: str, note: str) -> str:
    """The signature line of ``key`` in ``note``."""
    (line,) = [x for x in note.splitlines(keepends=True) if x.startswith(f"{EM} {NAME[key]} ")]
    return line


def flip_sig_byte(line: str, index: int) -> str:
    """``line`` with byte ``index`` of its decoded signature (after the 4-byte key id) changed, re-encoded."""
    head, encoded = line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[4 + index] ^= 0x01
    return f"{head} {base64.b64encode(bytes(raw)).decode()}\n"


def with_sig_bytes(line: str, raw: bytes) -> str:
    head = line.rstrip("\n").rsplit(" ", 1)[0]
    return f"{head} {base64.b64encode(raw).decode()}\n"


def raw_of(line: str) -> bytes:
    return base64.b64decode(line.rstrip("\n").rsplit(" ", 1)[1])


PETER_NOTE = GO_TEXT + "\n" + GO_PETER_LINE
BOTH_GO = GO_TEXT + "\n" + GO_PETER_LINE + GO_ENOCH_LINE
LOGGED = sign(CHECKPOINT, "log")
WITNESSED = sign(CHECKPOINT, "log", "w1", "w3")
ALL = sign(CHECKPOINT, "log", "w1", "w2", "w3")


def ok(text: str, *signers: str) -> dict[str, Any]:
    return {"want": {"text": text, "signers": [NAME[s] for s in signers]}}


def err(code: str, reason: str) -> dict[str, Any]:
    return {"want_error": {"code": code, "reason": reason}}


def bad(reason: str) -> dict[str, Any]:
    return err("SIGNATURE_INVALID", reason)


def verify_case(desc: str, note: str | bytes, keys: list[str], threshold: int, want: dict[str, Any]) -> dict[str, Any]:
    case: dict[str, Any] = {"desc": desc}
    if isinstance(note, bytes):
        case["note_base64"] = base64.b64encode(note).decode()
    else:
        case["note"] = note
    case.update({"verifier_keys": [V.get(k, k) for k in keys], "threshold": threshold, **want})
    return case


def peter_case(desc: str, note: str | bytes, want: dict[str, Any]) -> dict[str, Any]:
    """A case trusting Go's PeterNeumann key alone, threshold 1: most cases vary only the note and the verdict."""
    return verify_case(desc, note, ["peter"], 1, want)


def verify_cases() -> dict[str, dict[str, Any]]:
    peter = GO_PETER_LINE
    return {
        # -- notes that verify
        "go-example": peter_case("Go's example note, its key", PETER_NOTE, ok(GO_TEXT, "peter")),
        "go-two-signers": verify_case(
            "Go's doubly signed note, both keys, 2 of 2", BOTH_GO, ["peter", "enoch"], 2, ok(GO_TEXT, "peter", "enoch")
        ),
        "go-unknown-ignored": peter_case(
            "the EnochRoot signature is from an unknown key: ignored", BOTH_GO, ok(GO_TEXT, "peter")
        ),
        "signers-in-key-order": verify_case(
            "signers are listed in the order of the keys given",
            BOTH_GO,
            ["enoch", "peter"],
            1,
            ok(GO_TEXT, "enoch", "peter"),
        ),
        "sumdb-tree-head": verify_case(
            "a tree head served by sum.golang.org",
            SUMDB_NOTE,
            ["sumdb"],
            1,
            ok(SUMDB_NOTE.split("\n\n")[0] + "\n", "sumdb"),
        ),
        "checkpoint-log": verify_case("a checkpoint signed by its log", LOGGED, ["log"], 1, ok(CHECKPOINT, "log")),
        "witnesses-2-of-3": verify_case(
            "log + witnesses 1 and 3; policy: 2 of the 3 witnesses",
            WITNESSED,
            ["w1", "w2", "w3"],
            2,
            ok(CHECKPOINT, "w1", "w3"),
        ),
        "log-and-witnesses-3-of-4": verify_case(
            "all four signed; 3 of log + 3 witnesses",
            ALL,
            ["log", "w1", "w2", "w3"],
            3,
            ok(CHECKPOINT, "log", "w1", "w2", "w3"),
        ),
        "same-name-two-keys": verify_case(
            "two trusted keys share a name (ids differ); only one signed",
            LOGGED,
            ["log2", "log"],
            1,
            ok(CHECKPOINT, "log"),
        ),
        "duplicate-lines-count-once-ok": peter_case(
            "one key's line twice", GO_TEXT + "\n" + peter + peter, ok(GO_TEXT, "peter")
        ),
        "empty-line-in-body": verify_case(
            "the body may hold empty lines: it ends at the last one",
            sign("a\n\nb\n", "w1"),
            ["w1"],
            1,
            ok("a\n\nb\n", "w1"),
        ),
        "100-signature-lines": peter_case(
            "100 lines is the most a note may hold", GO_TEXT + "\n" + peter * 100, ok(GO_TEXT, "peter")
        ),
        "unknown-short-signature-ignored": peter_case(
            "an unknown key's line need only be well-formed (4-byte id + at least 1 byte)",
            GO_TEXT + "\n" + peter + f"{EM} someone.example AAAAAAA=\n",
            ok(GO_TEXT, "peter"),
        ),
        # -- too few
        "unknown-key-only": verify_case("signed only by a key not trusted", PETER_NOTE, ["enoch"], 1, bad("too_few")),
        "c2sp-signed-note-example": peter_case(
            "c2sp.org/signed-note's example: well-formed, its key unknown", C2SP_NOTE, bad("too_few")
        ),
        "c2sp-checkpoint-example": peter_case(
            "c2sp.org/tlog-checkpoint's example: well-formed, its key unknown", C2SP_CHECKPOINT, bad("too_few")
        ),
        "too-few-witnesses": verify_case(
            "log + w1 + w3 signed; 3 of 3 witnesses required", WITNESSED, ["w1", "w2", "w3"], 3, bad("too_few")
        ),
        "duplicate-lines-count-once": verify_case(
            "PeterNeumann's line twice is one signer, not two",
            GO_TEXT + "\n" + peter + peter,
            ["peter", "enoch"],
            2,
            bad("too_few"),
        ),
        "wrong-key-id-in-line": peter_case(
            "the line's key id is not the trusted key's: an unknown key",
            GO_TEXT + "\n" + peter.replace("x08g", "xxxx"),
            bad("too_few"),
        ),
        "wrong-name-in-line": peter_case(
            "the line's name is not the trusted key's: an unknown key",
            GO_TEXT + "\n" + peter.replace("PeterNeumann", "CarmenSandiego"),
            bad("too_few"),
        ),
        "same-name-other-key": verify_case(
            "a key with the signer's name but another id is not the signer", LOGGED, ["log2"], 1, bad("too_few")
        ),
        # -- bad signatures from trusted keys
        "body-byte-changed": peter_case(
            "one byte of the body changed", PETER_NOTE.replace("problem,", "problem;"), bad("bad_signature")
        ),
        "signature-byte-changed": peter_case(
            "one byte of the signature changed", GO_TEXT + "\n" + flip_sig_byte(peter, 10), bad("bad_signature")
        ),
        "signature-last-byte-changed": peter_case(
            "the last byte of the signature changed", GO_TEXT + "\n" + flip_sig_byte(peter, 63), bad("bad_signature")
        ),
        "signature-too-short": peter_case(
            "a trusted key's signature of 63 bytes",
            GO_TEXT + "\n" + with_sig_bytes(peter, raw_of(peter)[:-1]),
            bad("bad_signature"),
        ),
        "bad-line-beside-good-ones": verify_case(
            "2 of 3 witnesses verify but the third trusted line does not: rejected",
            ALL.replace(line_of("w3", ALL), flip_sig_byte(line_of("w3", ALL), 0)),
            ["w1", "w2", "w3"],
            2,
            bad("bad_signature"),
        ),
        "colliding-key": verify_case(
            "signed by a key with the trusted key's name and id but another public key",
            sign(CHECKPOINT, "collide-a"),
            ["collide-b"],
            1,
            bad("bad_signature"),
        ),
        "bad-duplicate-of-good-line": peter_case(
            "a good line and a bad line of the same trusted key: rejected",
            GO_TEXT + "\n" + peter + flip_sig_byte(peter, 5),
            bad("bad_signature"),
        ),
        # -- malformed
        "unsigned": peter_case("a body without signatures", GO_TEXT, bad("malformed")),
        "no-signature-lines": peter_case("a body and an empty line", GO_TEXT + "\n", bad("malformed")),
        "no-final-newline": peter_case("the last signature line lacks its newline", PETER_NOTE[:-1], bad("malformed")),
        "control-character": peter_case("U+0001 in the body", "\x01" + PETER_NOTE, bad("malformed")),
        "carriage-returns": peter_case("CRLF line ends", PETER_NOTE.replace("\n", "\r\n"), bad("malformed")),
        "tab": peter_case("a tab in the body", "\t" + PETER_NOTE, bad("malformed")),
        "not-utf8": peter_case("a 0xFF byte", b"\xff" + PETER_NOTE.encode(), bad("malformed")),
        "name-with-space": peter_case(
            "a key name with a space", GO_TEXT + "\n" + peter.replace("PeterNeumann", "Peter Neumann"), bad("malformed")
        ),
        "name-with-plus": peter_case(
            "a key name with '+'", GO_TEXT + "\n" + peter.replace("PeterNeumann", "Peter+Neumann"), bad("malformed")
        ),
        "name-with-nbsp": peter_case(
            "a key name with U+00A0 (a Unicode space)",
            GO_TEXT + "\n" + peter.replace("PeterNeumann", "Peter\u00a0Neumann"),
            bad("malformed"),
        ),
        "name-with-nel": peter_case(
            "a key name with U+0085 (White_Space, though not JavaScript's \\s)",
            GO_TEXT + "\n" + peter.replace("PeterNeumann", "Peter\u0085Neumann"),
            bad("malformed"),
        ),
        "unknown-name-with-bom-ignored": peter_case(
            "U+FEFF may be in a name (JavaScript's \\s has it, White_Space does not): a well-formed unknown line",
            GO_TEXT + "\n" + peter + f"{EM} zero\ufeffwidth.example AAAAAAA=\n",
            ok(GO_TEXT, "peter"),
        ),
        "empty-name": peter_case(
            "an empty key name", GO_TEXT + "\n" + peter.replace("PeterNeumann ", " "), bad("malformed")
        ),
        "line-after-signatures": peter_case(
            "a line that is not a signature after the signatures", PETER_NOTE + "Unexpected line.\n", bad("malformed")
        ),
        "hyphen-not-em-dash": peter_case(
            "'-' instead of '—'", GO_TEXT + "\n" + peter.replace(EM, "-"), bad("malformed")
        ),
        "two-spaces": peter_case(
            "two spaces between name and signature",
            GO_TEXT + "\n" + peter.replace("Neumann ", "Neumann  "),
            bad("malformed"),
        ),
        "not-base64": peter_case(
            "a signature with a character outside base64",
            GO_TEXT + "\n" + peter.replace("x08go", "x08g!"),
            bad("malformed"),
        ),
        "non-canonical-base64": peter_case(
            "unused low bits of the last base64 character set (same bytes, another spelling)",
            GO_TEXT + "\n" + peter.replace("nAM=", "nAN="),
            bad("malformed"),
        ),
        "unpadded-base64": peter_case(
            "base64 without its '=' padding", GO_TEXT + "\n" + peter.replace("nAM=", "nAM"), bad("malformed")
        ),
        "signature-under-5-bytes": peter_case(
            "4 bytes: a key id and no signature", GO_TEXT + "\n" + f"{EM} PeterNeumann x08gow==\n", bad("malformed")
        ),
        "101-signature-lines": peter_case(
            "more than 100 signature lines", GO_TEXT + "\n" + peter * 101, bad("malformed")
        ),
        # -- bad arguments
        "threshold-zero": verify_case("threshold 0", PETER_NOTE, ["peter"], 0, err("INVALID_ARGUMENT", "threshold")),
        "threshold-over-keys": verify_case(
            "threshold 2 with one distinct key given twice",
            PETER_NOTE,
            ["peter", "peter"],
            2,
            err("INVALID_ARGUMENT", "threshold"),
        ),
        "no-keys": verify_case(
            "no verifier keys: no threshold can be met", PETER_NOTE, [], 1, err("INVALID_ARGUMENT", "threshold")
        ),
        "signer-key-as-verifier": verify_case(
            "a signer key among the verifier keys", PETER_NOTE, [S["peter"]], 1, err("INVALID_ARGUMENT", "private")
        ),
        "verifier-key-wrong-id": verify_case(
            "a verifier key whose id is not its own",
            PETER_NOTE,
            [V["peter"].replace("c74f20a3", "c74f20a4")],
            1,
            err("INVALID_ARGUMENT", "key_id"),
        ),
        "ambiguous-keys": verify_case(
            "two different keys with one name and id",
            PETER_NOTE,
            ["collide-a", "collide-b"],
            1,
            err("INVALID_ARGUMENT", "ambiguous"),
        ),
    }


def sign_cases() -> dict[str, dict[str, Any]]:
    w1_on_go = PETER_NOTE + line_of("w1", sign(GO_TEXT, "w1"))
    stale_peter = with_sig_bytes(GO_PETER_LINE, raw_of(GO_PETER_LINE)[:4] + bytes(64))
    hundred = GO_TEXT + "\n" + "".join(line_of(k, sign(GO_TEXT, k)) for k in ("w1", "w2", "w3")) * 33 + GO_ENOCH_LINE
    return {
        "go-example": {
            "desc": "Go's example: the exact note Go writes",
            "note": GO_TEXT,
            "signer": "peter",
            "want": PETER_NOTE,
        },
        "cosign": {
            "desc": "cosigning keeps the existing line and adds one after it",
            "note": PETER_NOTE,
            "signer": "w1",
            "want": w1_on_go,
        },
        "replace-own-line": {
            "desc": "a line of the signer's own key is replaced, the others kept in order",
            "note": GO_TEXT + "\n" + stale_peter + GO_ENOCH_LINE,
            "signer": "peter",
            "want": GO_TEXT + "\n" + GO_ENOCH_LINE + GO_PETER_LINE,
        },
        "checkpoint-log-then-witnesses": {
            "desc": "a checkpoint signed by its log, then cosigned by three witnesses, one at a time",
            "note": CHECKPOINT,
            "signers": ["log", "w1", "w2", "w3"],
            "want": ALL,
        },
        "body-with-empty-line": {
            "desc": "a body may hold empty lines",
            "note": "a\n\nb\n",
            "signer": "w1",
            "want": "a\n\nb\n\n" + line_of("w1", sign("a\n\nb\n", "w1")),
        },
        "no-final-newline": {
            "desc": "a body must end in a newline",
            "note": GO_TEXT[:-1],
            "signer": "peter",
            **bad("malformed"),
        },
        "control-character": {
            "desc": "no control characters",
            "note": "a\x00b\n",
            "signer": "peter",
            **bad("malformed"),
        },
        "malformed-signature-block": {
            "desc": "a last paragraph that starts with '— ' is a signature block, and this one is malformed",
            "note": GO_TEXT + "\n" + f"{EM} PeterNeumann not-base64\n",
            "signer": "peter",
            **bad("malformed"),
        },
        "would-exceed-100": {
            "desc": "a note with 100 lines of other keys cannot take another",
            "note": hundred,
            "signer": "peter",
            **bad("malformed"),
        },
        "verifier-as-signer": {
            "desc": "a verifier key is not a signer key",
            "note": GO_TEXT,
            "signer_key": V["peter"],
            **err("INVALID_ARGUMENT", "malformed"),
        },
        "signer-wrong-id": {
            "desc": "a signer key whose id is not that of its public key",
            "note": GO_TEXT,
            "signer_key": S["peter"].replace("c74f20a3", "c74f20a4"),
            **err("INVALID_ARGUMENT", "key_id"),
        },
    }


def key_cases() -> dict[str, dict[str, Any]]:
    def good_text(kind: str, text: str) -> dict[str, Any]:
        name, key_id = text.removeprefix("PRIVATE+KEY+").split("+")[:2]
        return {"kind": kind, "text": text, "want": {"name": name, "key_id": key_id}}

    def good(kind: str, key: str) -> dict[str, Any]:
        return good_text(kind, KEYS[key]["signer" if kind == "signer" else "verifier"])

    def no(kind: str, text: str, reason: str) -> dict[str, Any]:
        return {"kind": kind, "text": text, "want_error": {"code": "INVALID_ARGUMENT", "reason": reason}}

    peter, speter = V["peter"], S["peter"]
    return {
        "verifier-go": good("verifier", "peter"),
        "verifier-sumdb": good("verifier", "sumdb"),
        "verifier-generated": good("verifier", "w1"),
        "signer-go": good("signer", "peter"),
        "signer-generated": good("signer", "log"),
        # Go's note_test.go: a key of the wrong length and an unknown algorithm, each with its id adjusted.
        "go-wrong-length": no(
            "verifier", "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "malformed"
        ),
        "go-unknown-algorithm": no(
            "verifier", "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm"
        ),
        "wrong-id": no("verifier", peter.replace("c74f20a3", "c74f20a4"), "key_id"),
        "uppercase-id": no("verifier", peter.replace("c74f20a3", "C74F20A3"), "malformed"),
        "short-id": no("verifier", peter.replace("c74f20a3", "c74f20a"), "malformed"),
        "name-with-space": no("verifier", "Peter Neumann" + peter[len("PeterNeumann") :], "name"),
        "name-with-nel": no("verifier", seeded("a\u0085b", "nel")["verifier"], "name"),
        "name-with-bom": good_text("verifier", seeded("zero\ufeffwidth.example", "bom")["verifier"]),
        "empty-name": no("verifier", peter[len("PeterNeumann") :], "name"),
        "no-key": no("verifier", "PeterNeumann+c74f20a3", "malformed"),
        "base64url": no("verifier", peter.replace("/", "_"), "malformed"),
        "trailing-newline": no("verifier", peter + "\n", "malformed"),
        "extra-padding": no("verifier", peter + "=", "malformed"),
        "truncated": no("verifier", peter[:-4], "malformed"),
        "signer-as-verifier": no("verifier", speter, "private"),
        "verifier-as-signer": no("signer", peter, "malformed"),
        "signer-wrong-id": no("signer", speter.replace("c74f20a3", "c74f20a4"), "key_id"),
        "signer-name-with-space": no("signer", speter.replace("PeterNeumann", "Peter Neumann"), "name"),
        # The first "+" ends the name, so "Neumann" is read as the key id.
        "signer-name-with-plus": no("signer", speter.replace("PeterNeumann", "Peter+Neumann"), "malformed"),
        "signer-truncated": no("signer", speter[:-4], "malformed"),
    }


# -- checks against the engine ---------------------------------------------------------------------------------


def outcome(call: Any) -> dict[str, Any]:
    try:
        result = call()
    except nucleus.NucleusError as e:
        return {"want_error": {"code": e.code, "reason": e.details.get("reason")}}
    return {"want": result}


def check(name: str, case: dict[str, Any], got: dict[str, Any]) -> None:
    want = {k: case[k] for k in ("want", "want_error") if k in case}
    if got != want:
        raise SystemExit(f"{name}: the engine says {got}, the vector {want}")


def main() -> None:
    assert KEYS["collide-a"]["verifier"].split("+")[1] == KEYS["collide-b"]["verifier"].split("+")[1]
    verify = verify_cases()
    for name, case in verify.items():
        note = case.get("note") or base64.b64decode(case["note_base64"])

        def run(note: Any = note, case: dict[str, Any] = case) -> dict[str, Any]:
            v = nucleus.verify_note(note, case["verifier_keys"], case["threshold"])
            return {"text": v.text, "signers": list(v.signers)}

        check(name, case, outcome(run))
    sign_ = sign_cases()
    for name, case in sign_.items():
        if "signer" in case:
            case["signer_key"] = S[case.pop("signer")]
        if "signers" in case:
            case["signer_keys"] = [S[k] for k in case.pop("signers")]
        keys = case.get("signer_keys") or [case["signer_key"]]

        def run_sign(case: dict[str, Any] = case, keys: list[str] = keys) -> str:
            text = case["note"]
            for key in keys:
                text = nucleus.sign_note(text, key)
            return text

        check(name, case, outcome(run_sign))
    keys = key_cases()
    for name, case in keys.items():

        def parse(case: dict[str, Any] = case) -> dict[str, Any]:
            if case["kind"] == "verifier":
                v = _parse_verifier(case["text"])
            else:
                from nucleus._note import _ed25519

                v = _parse_signer(case["text"], _ed25519())[0]
            return {"name": v.name, "key_id": f"{v.key_id:08x}"}

        check(name, case, outcome(parse))
    files = {
        "keys.json": KEYS,
        "key-texts.json": keys,
        "sign.json": sign_,
        "verify.json": verify,
    }
    for file, data in files.items():
        (HERE / file).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {', '.join(files)}: {len(keys)} key texts, {len(sign_)} signing and {len(verify)} verifying cases")


if __name__ == "__main__":
    main()
