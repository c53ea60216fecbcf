"""Every hash preimage of Nucleus, and nothing else. Not public. docs/FORMAT.md §3 is its specification.

Format 2 (written by this version): the entry hash is SHA-256 (lowercase hex) over the RFC 8785 canonical
form of the object

    {"format": "nucleus-entry-v2", "ledger": <ledger id>, "prev": <previous hash or null>,
     "record": <record>, "seq": <n>}

Format 1 (read only, for files written by 0.1) had no ``ledger`` member and the tag ``nucleus-entry-v1``.

Because the record's canonical bytes are themselves RFC 8785 output and a ledger id holds no character that
JSON escapes, the preimage is built by concatenation: the keys above are already in canonical order. The
``format`` member is the domain separator (no other hash in Nucleus can collide with an entry hash); the
``ledger`` member binds every entry to its ledger, so one ledger's entries never verify as another's.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from operator import methodcaller

from ._host import lent

FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
ENTRY_FORMAT_TAG = "nucleus-entry-v2"
_TAGS = {1: b"nucleus-entry-v1", 2: ENTRY_FORMAT_TAG.encode()}
_sha256 = hashlib.sha256


def entry_template(ledger_id: str, format_version: int = FORMAT_VERSION) -> bytes:
    """The preimage of ``ledger_id``'s entries with ``%s`` (prev), ``%s`` (record) and ``%d`` (seq) left open."""
    tag = _TAGS[format_version]
    if format_version == 1:
        return b'{"format":"' + tag + b'","prev":%s,"record":%s,"seq":%d}'
    # Ledger ids are [A-Za-z0-9._~:@-] (_options.LEDGER_ID): no JSON escaping, no '%' to clash with formatting.
    return b'{"format":"' + tag + b'","ledger":"' + ledger_id.encode("ascii") + b'","prev":%s,"record":%s,"seq":%d}'


def quoted_prev(prev_hash: str | None) -> bytes:
    """The ``prev`` member's canonical JSON text: the one place it is written."""
    return b"null" if prev_hash is None else b'"%b"' % prev_hash.encode("ascii")


def quoted_prevs(prev_hashes: Sequence[str | None]) -> Sequence[bytes]:
    """``quoted_prev`` of each of a chunk's previous hashes, in one join, encode and split (a call per entry is a
    tenth of opening a ledger under Pyodide). A hash holding the separator splits into more pieces than there are
    hashes, which the caller's ``zip(strict=True)`` refuses, as it refuses anything but strings."""
    if None in prev_hashes:  # the first entry's: take the one-by-one path
        return list(map(quoted_prev, prev_hashes))
    return ('"' + '"\n"'.join(prev_hashes) + '"').encode("ascii").split(b"\n")


def chain_step(template: bytes, seq: int, prev_hash: str | None, record_bytes: bytes) -> str:
    """The hash of the entry ``seq`` holding ``record_bytes`` after ``prev_hash``, in the ledger of ``template``:
    the chain step, which appending and verifying both take through here."""
    return _sha256(template % (quoted_prev(prev_hash), record_bytes, seq)).hexdigest()


def entry_preimage(
    ledger_id: str, seq: int, prev_hash: str | None, record_bytes: bytes, *, format_version: int = FORMAT_VERSION
) -> bytes:
    """The exact bytes whose SHA-256 is the entry hash."""
    return entry_template(ledger_id, format_version) % (quoted_prev(prev_hash), record_bytes, seq)


def entry_hash(
    ledger_id: str, seq: int, prev_hash: str | None, record_bytes: bytes, *, format_version: int = FORMAT_VERSION
) -> str:
    """The entry hash of record ``record_bytes`` (canonical JSON) at ``seq`` after ``prev_hash`` in ``ledger_id``."""
    return chain_step(entry_template(ledger_id, format_version), seq, prev_hash, record_bytes)


def chain_hashes(template: bytes, seq: int, prev_hash: str | None, records: list[bytes]) -> list[str]:
    """The hashes of ``records`` appended from ``seq`` after ``prev_hash``: ``chain_step`` and ``quoted_prev``
    inlined, because two calls per entry cost about 7 % of a 10,000-record batch under Pyodide (appending is the
    hot path). tests_py/test_stored_check.py holds the two equal."""
    out: list[str] = []
    append, sha = out.append, _sha256
    prev_q = quoted_prev(prev_hash)
    for record in records:
        h = sha(template % (prev_q, record, seq)).hexdigest()
        append(h)
        prev_q = b'"%b"' % h.encode("ascii")
        seq += 1
    return out


def hashes_hex(template: bytes, prevs: Sequence[str | None], records: Sequence[bytes], seqs: Sequence[int]) -> str:
    """The hashes of entries whose previous hashes, records and seqs are given (not chained: each ``prev`` is
    taken as stored), concatenated: the chain step of a whole chunk at once, as the verifier checks one. The
    host's SHA-256 does the hashing when it lent one (``_host``)."""
    preimages = list(map(template.__mod__, zip(quoted_prevs(prevs), records, seqs, strict=True)))
    host = lent().sha256_into
    if host is not None:
        out = bytearray(32 * len(preimages))
        host(b"".join(preimages), array("I", map(len, preimages)), out)
        return out.hex()
    return "".join(map(_hexdigest, map(_sha256, preimages)))


_hexdigest = methodcaller("hexdigest")
