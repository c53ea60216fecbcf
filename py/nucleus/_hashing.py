"""Every hash preimage of Nucleus, and nothing else. Not public. docs/FORMAT.md is its specification.

The entry hash is SHA-256 (lowercase hex) over the RFC 8785 canonical form of the object

    {"format": "nucleus-entry-v1", "prev": <previous entry hash or null>, "record": <record>, "seq": <n>}

Because the record's canonical bytes are themselves RFC 8785 output, the preimage is built by
concatenation: the keys above are already in canonical order. The ``format`` member is the domain
separator: no other hash in Nucleus (or a plain record hash) can collide with an entry hash.
"""

from __future__ import annotations

import hashlib

FORMAT_VERSION = 1
ENTRY_FORMAT_TAG = "nucleus-entry-v1"

_TEMPLATE = b'{"format":"' + ENTRY_FORMAT_TAG.encode() + b'","prev":%s,"record":%s,"seq":%d}'
_sha256 = hashlib.sha256


def quoted_prev(prev_hash: str | None) -> bytes:
    """The ``prev`` member's canonical JSON text."""
    return b"null" if prev_hash is None else b'"' + prev_hash.encode("ascii") + b'"'


def entry_preimage(seq: int, prev_hash: str | None, record_bytes: bytes) -> bytes:
    """The exact bytes whose SHA-256 is the entry hash."""
    return _TEMPLATE % (quoted_prev(prev_hash), record_bytes, seq)


def entry_hash(seq: int, prev_hash: str | None, record_bytes: bytes) -> str:
    """The entry hash of record ``record_bytes`` (canonical JSON) at ``seq`` after ``prev_hash``."""
    return _sha256(_TEMPLATE % (quoted_prev(prev_hash), record_bytes, seq)).hexdigest()


def entry_hash_quoted(seq: int, prev_quoted: bytes, record_bytes: bytes) -> str:
    """``entry_hash`` with ``prev`` already in its JSON spelling (the verifier's hot loop)."""
    return _sha256(_TEMPLATE % (prev_quoted, record_bytes, seq)).hexdigest()
