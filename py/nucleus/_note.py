"""Signed notes (C2SP signed-note, https://c2sp.org/signed-note) with Ed25519 keys: how a checkpoint is vouched
for, by its log and by witnesses that cosign it. Not public: import the names from ``nucleus``.

The key texts and the note syntax are those of the spec and of Go's reference implementation
(golang.org/x/mod/sumdb/note), so keys and notes move between Nucleus and Go's tools unchanged. docs/FORMAT.md
("Signed checkpoints") is the user-facing statement of the rules; ``vectors/notes/`` holds cases every runtime
checks.

No cryptography is written here. Ed25519 (RFC 8032) comes from ``cryptography`` under CPython (the ``signing``
extra) and from the host under Pyodide, which lends ``node:crypto``'s (see ``_host``); SHA-256 for key ids is
``hashlib``, which every runtime has.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import _host
from ._errors import ArgumentError, ConfigError, SignatureInvalid, StorageUnsupported

INSTALL = 'pip install "nucleus-ledger[signing]"'
#: The signature type byte of Ed25519 in key texts and key ids (signed-note, "Signature types").
ED25519 = 0x01
#: More signature lines than this make a note malformed. The spec asks verifiers to bound the count and to
#: accept at least 16; Go's note package refuses past 100, and so does Nucleus, so both read the same notes.
MAX_SIGNATURES = 100
_SIG_PREFIX = "— "  # U+2014 EM DASH, space
_PRIVATE = "PRIVATE+KEY+"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class NoteVerdict:
    """A note that verified: ``text`` is its body (what was signed, ending in a newline; for a checkpoint, the
    checkpoint text), ``signers`` the names of the trusted keys whose signatures verified, in the order the
    keys were given."""

    text: str
    signers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Verifier:
    name: str
    key_id: int
    public: bytes

    @property
    def label(self) -> str:
        return f"{self.name}+{self.key_id:08x}"


@dataclass(frozen=True, slots=True)
class _Line:
    """One signature line: the key's name and id, the signature bytes after the id, and the line itself."""

    name: str
    key_id: int
    signature: bytes
    text: str


@dataclass(frozen=True, slots=True)
class _Ed25519:
    public: Callable[[bytes], bytes]
    sign: Callable[[bytes, bytes], bytes]
    verify: Callable[[bytes, bytes, bytes], bool]


# --- keys -------------------------------------------------------------------------------------------------------


def _valid_name(name: object) -> bool:
    # Non-empty, no "+", no Unicode space (signed-note, "Format"). Characters below U+0020 are refused too: a
    # note may not hold them, so such a name could never sign one. With that, str.isspace is exactly Unicode's
    # White_Space (it only adds U+001C–U+001F), the set docs/FORMAT.md lists.
    return (
        type(name) is str
        and name != ""
        and "+" not in name
        and not any(c < " " or c.isspace() for c in name)
        and _utf8(name) is not None
    )


def _utf8(text: str) -> bytes | None:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None


def _b64decode(text: str) -> bytes | None:
    """Standard base64 with padding, in its one canonical spelling (the unused low bits zero), or None: a
    changed character of a signature or key must never decode to the same bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _key_id(name: str, public: bytes) -> int:
    """The spec's recommended key id: SHA-256(name || "\\n" || 0x01 || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def _key_error(kind: str, reason: str, message: str) -> ArgumentError:
    # Never the key text itself in the message or details: a signer key is a secret.
    return ArgumentError(f"malformed {kind} key: {message}", details={"key": kind, "reason": reason})


def _split_key(text: str, kind: str) -> tuple[str, int, bytes]:
    """``<name>+<8 hex id>+<base64(0x01 || 32 bytes)>`` → (name, id, the 32 bytes)."""
    parts = text.split("+", 2)  # the base64 may hold "+", the name may not
    if len(parts) != 3:
        raise _key_error(kind, "malformed", "expected <name>+<key id>+<base64 key>")
    name, hex_id, encoded = parts
    if not _valid_name(name):
        raise _key_error(kind, "name", "the name must be non-empty, without '+', spaces or control characters")
    if len(hex_id) != 8 or not _HEX.issuperset(hex_id):
        raise _key_error(kind, "malformed", "the key id must be 8 lowercase hex digits")
    raw = _b64decode(encoded)
    if raw is None or len(raw) == 0:
        raise _key_error(kind, "malformed", "the key is not canonical base64")
    if raw[0] != ED25519:
        raise _key_error(kind, "algorithm", f"signature type {raw[0]:#04x} is not Ed25519 (0x01)")
    if len(raw) != 33:
        raise _key_error(kind, "malformed", f"an Ed25519 key is 32 bytes, got {len(raw) - 1}")
    return name, int(hex_id, 16), raw[1:]


def _parse_verifier(text: object) -> _Verifier:
    if type(text) is not str:
        raise _key_error(
            "verifier", "malformed", f"expected a string <name>+<key id>+<base64 key>, got {type(text).__name__}"
        )
    if text.startswith(_PRIVATE):
        raise _key_error(
            "verifier", "private", "this is a signer key (PRIVATE+KEY+…): keep it secret, give its verifier key"
        )
    name, key_id, public = _split_key(text, "verifier")
    if _key_id(name, public) != key_id:
        raise _key_error("verifier", "key_id", f"the key id {key_id:08x} is not that of this name and key")
    return _Verifier(name, key_id, public)


def _parse_signer(text: object, ed: _Ed25519) -> tuple[_Verifier, bytes]:
    """The signer key's verifier (its name, id and public key) and its private seed."""
    if type(text) is not str or not text.startswith(_PRIVATE):
        raise _key_error("signer", "malformed", "expected PRIVATE+KEY+<name>+<key id>+<base64 key>")
    name, key_id, seed = _split_key(text[len(_PRIVATE) :], "signer")
    public = ed.public(seed)
    # The id names the public key, so it can only be checked once that is derived (as Go's NewSigner does).
    if _key_id(name, public) != key_id:
        raise _key_error("signer", "key_id", f"the key id {key_id:08x} is not that of this name and key")
    return _Verifier(name, key_id, public), seed


def _verifier_text(v: _Verifier) -> str:
    return f"{v.label}+{_b64(bytes([ED25519]) + v.public)}"


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key pair for ``name`` (e.g. ``example.com/log``): ``(signer key, verifier key)`` as texts,
    ``PRIVATE+KEY+<name>+<id>+<base64>`` (keep it secret) and ``<name>+<id>+<base64>`` (give it to verifiers)."""
    if not _valid_name(name):
        raise ArgumentError(
            f"a key name must be a non-empty string without '+', spaces or control characters, got {name!r}",
            details={"reason": "name"},
        )
    return _key_texts(name, os.urandom(32))  # Pyodide serves os.urandom from crypto.getRandomValues


def _key_texts(name: str, seed: bytes) -> tuple[str, str]:
    """The signer and verifier key texts of the Ed25519 key with this 32-byte private ``seed``."""
    public = _ed25519().public(seed)
    verifier = _Verifier(name, _key_id(name, public), public)
    return f"{_PRIVATE}{verifier.label}+{_b64(bytes([ED25519]) + seed)}", _verifier_text(verifier)


# --- notes ------------------------------------------------------------------------------------------------------


def _malformed(message: str, **details: Any) -> SignatureInvalid:
    return SignatureInvalid(f"malformed note: {message}", details={"reason": "malformed", **details})


def _note_text(note: object) -> str:
    """The note as text, checked against the spec's character rules: valid UTF-8, no control characters but
    newline."""
    if isinstance(note, bytes | bytearray | memoryview):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("not valid UTF-8") from None
    if type(note) is not str:
        raise ArgumentError(f"a note is a string (or UTF-8 bytes), got {type(note).__name__}")
    if _utf8(note) is None:
        raise _malformed("not valid UTF-8 (a lone surrogate)")
    for i, c in enumerate(note):
        if c < " " and c != "\n":
            raise _malformed(f"control character U+{ord(c):04X} at offset {i}", offset=i)
    return note


def _parse_line(line: str, number: int) -> _Line:
    if not line.startswith(_SIG_PREFIX):
        raise _malformed(f"signature line {number} does not start with '— '", line=number)
    name, _, encoded = line[len(_SIG_PREFIX) :].partition(" ")
    if not _valid_name(name):
        raise _malformed(f"signature line {number}: bad key name", line=number)
    raw = _b64decode(encoded)
    if raw is None or len(raw) < 5:
        raise _malformed(f"signature line {number}: not canonical base64 of a key id and a signature", line=number)
    return _Line(name, int.from_bytes(raw[:4], "big"), raw[4:], line + "\n")


def _split(note: str) -> tuple[str, list[_Line]]:
    """A signed note → (body, signature lines). The body ends at the note's last empty line (spec, "Format")."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise _malformed("no empty line before signature lines (an unsigned note?)")
    block = note[cut + 2 :]
    if block == "" or not block.endswith("\n"):
        raise _malformed("it must end with signature lines, each ending in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed(f"more than {MAX_SIGNATURES} signature lines", count=len(lines))
    first = note.count("\n", 0, cut + 2) + 1
    return note[: cut + 1], [_parse_line(line, first + i) for i, line in enumerate(lines)]


def sign_note(note: str, signer_key: str) -> str:
    """``note`` with a signature by ``signer_key`` added. ``note`` is a body (text ending in a newline) or an
    already signed note, whose signature lines are kept (cosigning) except one by this same key, which the new
    line replaces; the new line comes last. A text whose last paragraph (after its last empty line) starts
    with ``— `` is read as a signed note."""
    text = _note_text(note)
    ed = _ed25519()
    signer, seed = _parse_signer(signer_key, ed)
    cut = text.rfind("\n\n")
    if cut >= 0 and text.startswith(_SIG_PREFIX, cut + 2):
        body, lines = _split(text)
    elif text.endswith("\n"):
        body, lines = text, []
    else:
        raise _malformed("the text must end with a newline")
    kept = [line.text for line in lines if (line.name, line.key_id) != (signer.name, signer.key_id)]
    if len(kept) >= MAX_SIGNATURES:
        raise _malformed(f"it has {MAX_SIGNATURES} signature lines already", count=len(kept))
    signature = ed.sign(seed, body.encode("utf-8"))
    new = f"{_SIG_PREFIX}{signer.name} {_b64(signer.key_id.to_bytes(4, 'big') + signature)}\n"
    return body + "\n" + "".join(kept) + new


def _trusted(verifier_keys: object) -> list[_Verifier]:
    if isinstance(verifier_keys, str | bytes) or not isinstance(verifier_keys, Iterable):
        raise ArgumentError("verifier_keys is a list of verifier key texts")
    keys: dict[tuple[str, int], _Verifier] = {}
    for text in verifier_keys:
        v = _parse_verifier(text)
        known = keys.setdefault((v.name, v.key_id), v)
        if known.public != v.public:
            # Go's note package calls this an ambiguous key: two keys a signature line cannot tell apart.
            raise ArgumentError(
                f"two verifier keys share the name and key id {v.label}",
                details={"key": "verifier", "reason": "ambiguous", "label": v.label},
            )
    if not keys:
        # No threshold from 1 to 0 keys exists: the threshold's reason, as in the npm package.
        raise ArgumentError(
            "verifier_keys is empty: a note verifies only against trusted keys", details={"reason": "threshold"}
        )
    return list(keys.values())


def verify_note(note: str, verifier_keys: Iterable[str], threshold: int = 1) -> NoteVerdict:
    """The body of ``note`` if at least ``threshold`` distinct keys of ``verifier_keys`` signed it.

    Signature lines of other keys are ignored (even when they share a name or an id, not both, with a trusted
    key), repeated lines of one key count once, and a line of a trusted key that does not verify rejects the
    note (``SIGNATURE_INVALID``, reason ``bad_signature``), as the spec advises. Too few → reason ``too_few``;
    a note the spec does not allow → reason ``malformed``."""
    text = _note_text(note)
    keys = _trusted(verifier_keys)
    if type(threshold) is not int or not 1 <= threshold <= len(keys):
        raise ArgumentError(
            f"threshold must be an integer from 1 to the number of distinct verifier keys ({len(keys)}), "
            f"got {threshold!r}",
            details={"reason": "threshold"},
        )
    body, lines = _split(text)
    by_id = {(v.name, v.key_id): v for v in keys}
    message = body.encode("utf-8")
    verified: set[tuple[str, int]] = set()
    checked: set[str] = set()
    ed: _Ed25519 | None = None
    for line in lines:
        key = by_id.get((line.name, line.key_id))
        if key is None or line.text in checked:
            continue
        checked.add(line.text)
        ed = ed or _ed25519()
        if len(line.signature) != 64 or not ed.verify(key.public, message, line.signature):
            raise SignatureInvalid(
                f"the signature of trusted key {key.label} does not verify",
                details={"reason": "bad_signature", "key": key.label},
            )
        verified.add((line.name, line.key_id))
    if len(verified) < threshold:
        raise SignatureInvalid(
            f"{len(verified)} of the trusted keys signed this note; {threshold} must",
            details={"reason": "too_few", "verified": len(verified), "threshold": threshold},
        )
    return NoteVerdict(body, tuple(v.name for v in keys if (v.name, v.key_id) in verified))


# --- Ed25519 ----------------------------------------------------------------------------------------------------


def _ed25519() -> _Ed25519:
    """Ed25519 from the host where it lent one (Pyodide), else from ``cryptography``."""
    lent = _host.lent()
    if lent.ed25519_public and lent.ed25519_sign and lent.ed25519_verify:
        public, sign, verify = lent.ed25519_public, lent.ed25519_sign, lent.ed25519_verify
        return _Ed25519(
            public=lambda seed: bytes.fromhex(public(seed)),
            sign=lambda seed, message: bytes.fromhex(sign(seed, message)),
            verify=lambda pub, message, signature: verify(pub, message, signature) is True,
        )
    if sys.platform == "emscripten":
        raise StorageUnsupported(
            "Ed25519 is not available inside the engine on this platform: a browser's WebCrypto is asynchronous "
            "and the engine's calls are not. Use the npm package's signNote, verifyNote and generateKey, which "
            "call WebCrypto directly",
            details={"feature": "ed25519", "platform": sys.platform},
        )
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    except ImportError:
        raise ConfigError(
            f"signed notes need the cryptography package, which is not installed: {INSTALL}",
            details={"reason": "missing_dependency", "package": "cryptography", "install": INSTALL},
        ) from None

    def verify_with(pub: bytes, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(signature, message)
        except (InvalidSignature, ValueError):  # ValueError: 32 bytes that are not a point
            return False
        return True

    return _Ed25519(
        public=lambda seed: Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw(),
        sign=lambda seed, message: Ed25519PrivateKey.from_private_bytes(seed).sign(message),
        verify=verify_with,
    )
