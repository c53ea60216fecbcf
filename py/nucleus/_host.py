"""Primitives the runtime around the engine may lend the verifier, because the host does them several times
faster than Python can. Not public. docs/ENGINE.md ("How verification stays fast") explains where each is installed.

Under Node and in the browser the engine runs in Pyodide (CPython compiled to WebAssembly), where SHA-256 and
JSON parsing cost three to five times what the host's own do (Node's ``crypto``, the JavaScript engine's
``JSON.parse``); opening a ledger re-checks every entry with both, so they are most of its time. The TypeScript
runtime therefore calls :func:`install` once it has started the engine; CPython installs nothing.

The rules stay here in Python either way. A primitive only ever answers for a whole chunk of entries, and only
"all of these pass" counts: any other answer (or any error) sends the chunk to the Python checks, which decide
and name the first bad entry. So a host primitive can make verification faster, never more lenient than its
own definition below, which the Python suite checks against the exact path when it runs inside Pyodide.

Ed25519 is lent for another reason: Pyodide has no ``cryptography``, so signed notes (``_note``) use the host's
(Node's ``node:crypto``) as CPython uses ``cryptography``; there is no Python fallback, by design (no
hand-written cryptography). A browser lends none: WebCrypto's Ed25519 is asynchronous.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: ``sha256_into(data, lengths, out)``: writes into ``out`` (a bytearray of 32 bytes per piece) the SHA-256 of each
#: consecutive piece of ``data`` (bytes) whose lengths are ``lengths`` (an ``array("I")``), one after another. Raw
#: digests into Python's own buffer: a hex text handed back costs Pyodide as much again as the hashing.
Sha256Into = Callable[[bytes, object, bytearray], None]
#: ``merkle_fold(data, first, edge, leaves, out)``: writes into ``out`` (a bytearray of exactly the right size) the
#: levels ``_tree.fold`` defines: level 0 is the RFC 9162 leaf hashes of the 32-byte pieces of ``data`` when
#: ``leaves`` is True, else those pieces themselves; level ``L + 1`` the node hashes of level ``L``'s consecutive
#: pairs (an odd last node left out); each level starts with the next 32 bytes of ``edge`` when bit ``L`` of
#: ``first`` is set; levels go one after another, level 0 first, up to the first empty one. One call for a whole
#: chunk or block, where ``sha256_into`` takes one per level.
MerkleFold = Callable[[bytes, int, bytes, bool, bytearray], None]
#: ``records_pass(text, count, columns, max_id, max_stream)``: True only when ``text`` (UTF-8 bytes of a JSON
#: array) holds exactly ``count`` records, each the RFC 8785 form of a record FORMAT.md §1 allows, and
#: ``columns`` is their ``id``, ``stream`` and ``timestamp`` as :func:`columns_text` spells them; ids and streams
#: are at most ``max_id`` and ``max_stream`` characters. It may say False for any record it does not judge (the
#: Python path then does).
RecordsPass = Callable[[bytes, int, bytes, int, int], bool]
# Ed25519 (RFC 8032) on raw keys. Results cross as hex strings: a string arrives in Python by value, with no
# JavaScript buffer to convert or free.
#: ``ed25519_public(seed)``: the 32-byte public key of a 32-byte private seed, as 64 lowercase hex.
Ed25519Public = Callable[[bytes], str]
#: ``ed25519_sign(seed, message)``: the 64-byte signature of ``message`` by the key of ``seed``, as 128 hex.
Ed25519Sign = Callable[[bytes, bytes], str]
#: ``ed25519_verify(public, message, signature)``: whether ``signature`` (64 bytes) of ``message`` verifies
#: under the 32-byte ``public`` key; False (never an error) for a key that is not a curve point.
Ed25519Verify = Callable[[bytes, bytes, bytes], bool]


@dataclass(frozen=True, slots=True)
class HostPrimitives:
    """What the host lent; ``None`` where the engine's own Python does the work."""

    sha256_into: Sha256Into | None = None
    records_pass: RecordsPass | None = None
    merkle_fold: MerkleFold | None = None
    ed25519_public: Ed25519Public | None = None
    ed25519_sign: Ed25519Sign | None = None
    ed25519_verify: Ed25519Verify | None = None


_lent = HostPrimitives()


def install(
    sha256_into: Sha256Into | None = None,
    records_pass: RecordsPass | None = None,
    ed25519_public: Ed25519Public | None = None,
    ed25519_sign: Ed25519Sign | None = None,
    ed25519_verify: Ed25519Verify | None = None,
    merkle_fold: MerkleFold | None = None,
) -> None:
    """Called by the host once the engine has started (never by CPython applications)."""
    global _lent
    _lent = HostPrimitives(sha256_into, records_pass, merkle_fold, ed25519_public, ed25519_sign, ed25519_verify)


def lent() -> HostPrimitives:
    """The primitives installed now."""
    return _lent


def columns_text(ids: tuple[str, ...], streams: tuple[str, ...], stamps: tuple[int, ...]) -> bytes:
    """The index columns of a chunk as one UTF-8 text: ``id US stream US timestamp`` per entry, entries joined by
    RS (U+001F, U+001E). Canonical JSON never holds either separator raw, and a host declines escaped ids and
    streams, so equal texts mean equal columns."""
    return "\x1e".join(map("\x1f".join, zip(ids, streams, map(str, stamps), strict=True))).encode("utf-8")
