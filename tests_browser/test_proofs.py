"""Standalone proof and signed-note verification in Chromium (WebCrypto), without starting the engine: an
inclusion and a consistency proof made by a reference tree here (RFC 9162 §2.1) verify, changed ones fail, a
checkpoint is signed and verified with a key made in the page, and Go's example note verifies; the page never
fetches Pyodide's or the engine's files."""

from __future__ import annotations

import base64
import hashlib

from conftest import GuardedPage

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
