"""Chain verification: where the chain first breaks, and how. Not public.

Kinds, checked in this order for each entry: ``sequence`` (a seq missing or out of place), ``link``
(``prev_hash`` is not the previous entry's hash), ``hash`` (the stored hash is not the hash of the
stored record at that position), ``timestamp`` (earlier than the previous entry's). After the walk,
``derived`` (an index column disagrees with its record) and ``checkpoint`` (a kept checkpoint is not
a prefix of this chain: truncation, rollback or a fork).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from ._checkpoint import Checkpoint
from ._errors import ChainIntegrityError
from ._hashing import _TEMPLATE, _sha256, quoted_prev
from .storage._protocol import RawRow, Storage


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


def _derived(seq: int) -> ChainIntegrityError:
    return ChainIntegrityError(
        f"entry {seq}: its index columns (id, stream or timestamp) disagree with its record", seq=seq, kind="derived"
    )


def check_checkpoint(storage: Storage, kept: Checkpoint, tip: Tip) -> None:
    """``kind="checkpoint"`` unless the stored chain (ending at ``tip``) extends the kept checkpoint."""
    if kept.size == 0:
        return
    if tip.size < kept.size:
        raise ChainIntegrityError(
            f"the ledger has {tip.size} entries but a kept checkpoint saw {kept.size}: "
            "entries were removed (truncation or rollback)",
            seq=tip.size,
            kind="checkpoint",
        )
    if next(storage.rows(kept.size - 1))[1] != kept.hash:
        raise ChainIntegrityError(
            f"entry {kept.size - 1} differs from the kept checkpoint: the ledger was rewritten (fork)",
            seq=kept.size - 1,
            kind="checkpoint",
        )


def verify_stored(
    storage: Storage, kept: Checkpoint | None = None, *, start: Tip = EMPTY_TIP, limit: int | None = None
) -> tuple[Tip, bool]:
    """Verify the stored entries after ``start`` (at most ``limit`` of them); the tip reached, and whether the
    whole chain is now verified. Once it is, the index columns and a kept checkpoint are checked too.
    ``ChainIntegrityError`` names the first bad seq, whichever check finds it."""
    rows = storage.rows(start.size)
    try:
        end = verify_rows(rows if limit is None else itertools.islice(rows, limit), start)
    except ChainIntegrityError as err:
        # An edited index column before the chain's fault comes first; at the same seq it is the cause when the
        # walk's timestamp check tripped on it (the walk reads the column, not the record).
        bad = storage.first_inconsistent_index()
        if bad is None or bad > err.seq or (bad == err.seq and err.kind != "timestamp"):
            raise
        raise _derived(bad) from None
    done = limit is None or end.size - start.size < limit
    if done:
        bad = storage.first_inconsistent_index()
        if bad is not None:
            raise _derived(bad)
        if kept is not None:
            check_checkpoint(storage, kept, end)
    return end, done
