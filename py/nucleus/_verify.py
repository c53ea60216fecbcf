"""Chain verification: where the chain first breaks, and how. Not public.

Kinds, checked in this order for each entry: ``sequence`` (a seq missing or out of place), ``link``
(``prev_hash`` is not the previous entry's hash), ``hash`` (the stored hash is not the hash of the
stored record at that position), ``timestamp`` (earlier than the previous entry's). After the walk,
``derived`` (an index column disagrees with its record) and ``checkpoint`` (a kept checkpoint is not
a prefix of this chain: truncation, rollback or a fork).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._errors import ChainIntegrityError
from ._hashing import _TEMPLATE, _sha256, quoted_prev
from .storage._protocol import RawRow


@dataclass(frozen=True, slots=True)
class Tip:
    """The end of a verified chain: its length, last hash and last timestamp."""

    size: int
    hash: str | None
    timestamp: int


EMPTY_TIP = Tip(0, None, 0)


def verify_rows(rows: Iterable[RawRow], start: Tip = EMPTY_TIP) -> Tip:
    """Walk ``rows`` (seq order) from ``start``; the new tip, or ``ChainIntegrityError`` at the first fault."""
    expected = start.size
    prev = start.hash
    prev_q = quoted_prev(prev)
    last_ts = start.timestamp
    template = _TEMPLATE
    sha = _sha256
    for seq, stored_hash, prev_hash, timestamp, record in rows:
        if seq != expected:
            raise ChainIntegrityError(
                f"entry {expected} is missing (found seq {seq} in its place)", seq=expected, kind="sequence"
            )
        if prev_hash != prev:
            raise ChainIntegrityError(
                f"entry {seq} links to {prev_hash!r}, but entry {seq - 1} has hash {prev!r}",
                seq=seq,
                kind="link",
            )
        if sha(template % (prev_q, record, seq)).hexdigest() != stored_hash:
            raise ChainIntegrityError(
                f"entry {seq}: stored hash does not match its record (the record or hash was altered)",
                seq=seq,
                kind="hash",
            )
        if timestamp < last_ts:
            raise ChainIntegrityError(
                f"entry {seq}: timestamp {timestamp} is earlier than the previous entry's {last_ts}",
                seq=seq,
                kind="timestamp",
            )
        prev = stored_hash
        prev_q = b'"' + stored_hash.encode("ascii") + b'"'
        last_ts = timestamp
        expected = seq + 1
    return Tip(expected, prev, last_ts)
