"""Where a stored record is re-checked on open and verify: its bytes must be exactly the canonical form of a valid
record (docs/FORMAT.md §1–§2), and its index columns must be its members. Not public.

The hash only proves that the stored bytes are the bytes that were hashed; a forger who recomputes every later
hash can store bytes that no Nucleus would write (an unknown member, ``"meta":null``, ``5.0``, an integer past
2^53, a lone-surrogate escape). Those are refused here, so that nothing the engine serves escaped the rules.

Speed: rows are checked a chunk at a time at C speed (one ``json.loads`` and one C-encoder pass over the chunk,
the prefilter scans of ``_canonical`` and ``map``-based member checks); a chunk that does not pass whole is
re-checked record by record with the exact path (``prepare_record``), which names the first bad one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from . import _canonical, _json
from ._errors import NucleusError
from ._host import columns_text, lent
from ._records import MAX_ID_LENGTH, MAX_RECORD_BYTES, MAX_STREAM_LENGTH, prepare_record

# (seq, hash, prev_hash, record_id, stream, timestamp, canonical record bytes): a stored row as the verifier reads it.
StoredRow = tuple[int, str, "str | None", str, str, int, bytes]

_WITH_META = frozenset({"id", "stream", "timestamp", "payload", "meta"})
_WITHOUT_META = frozenset({"id", "stream", "timestamp", "payload"})
_SHAPES = {_WITH_META, _WITHOUT_META}
_get_id, _get_stream, _get_ts = itemgetter("id"), itemgetter("stream"), itemgetter("timestamp")
_get_payload = itemgetter("payload")
# Columns of a StoredRow; stream_column is also what the verifier reads to find access-control entries.
_col_id, stream_column, _col_ts, _col_record = itemgetter(3), itemgetter(4), itemgetter(5), itemgetter(6)


_DIGITS = bytes(ord("d") if 0x30 <= i <= 0x39 else ord(" ") for i in range(256))
_SIXTEEN_DIGITS = b"d" * 16


class _FloatSeen(Exception):
    """Internal: the chunk holds a number with a fraction or an exponent."""


def _no_float(text: str) -> float:
    raise _FloatSeen


def _fast(rows: Sequence[StoredRow]) -> list[dict[str, Any]] | None:
    """The parsed records when the whole chunk provably passes; None when any record needs the exact path."""
    texts = list(map(_col_record, rows))
    try:
        text = b"[" + b",".join(texts) + b"]"
        text_str = text.decode("utf-8")
    except (TypeError, UnicodeDecodeError):
        return None
    # Brackets bound the depth: counting them is far cheaper than measuring it, and records are shallow.
    brackets = max(map(bytes.count, texts, repeat(b"{"))) + max(map(bytes.count, texts, repeat(b"[")))
    if brackets > _canonical.MAX_DEPTH and _json.nesting_depth(text_str) > _canonical.MAX_DEPTH + 1:
        return None
    # A float, a run of 16+ digits (|n| > 2^53-1 needs 16) or an astral character: the exact path judges. The
    # parser reports floats itself and the digit runs are found on a translated copy: both at C speed, where a
    # regex search over the text cost as much as the parse.
    if _SIXTEEN_DIGITS in text.translate(_DIGITS) or (not text_str.isascii() and _canonical._ASTRAL.search(text_str)):
        return None
    try:
        values = json.loads(text_str, parse_float=_no_float)
    except (ValueError, _FloatSeen):
        return None
    if _canonical._dumps(values) != text_str:  # key order, duplicates, spacing, escapes: not canonical as stored
        return None
    if max(map(len, texts)) > MAX_RECORD_BYTES or set(map(type, values)) != {dict}:
        return None
    if not set(map(frozenset, values)) <= _SHAPES:
        return None
    ids, streams, stamps = list(map(_get_id, values)), list(map(_get_stream, values)), list(map(_get_ts, values))
    if set(map(type, ids)) != {str} or set(map(type, streams)) != {str} or set(map(type, stamps)) != {int}:
        return None
    if min(map(len, ids)) < 1 or max(map(len, ids)) > MAX_ID_LENGTH or any(map(str.isspace, ids)):
        return None
    if min(map(len, streams)) < 1 or max(map(len, streams)) > MAX_STREAM_LENGTH or any(map(str.isspace, streams)):
        return None
    if min(stamps) < 0 or not set(map(type, map(_get_payload, values))) <= {dict, list}:
        return None
    if any(type(v.get("meta", {})) is not dict for v in values if len(v) == 5):
        return None
    columns = list(map(_col_id, rows)), list(map(stream_column, rows)), list(map(_col_ts, rows))
    if (ids, streams, stamps) != columns or set(map(type, columns[2])) != {int}:  # 5.0 == 5, but not a column
        return None
    return values


def _exact(row: StoredRow) -> tuple[dict[str, Any] | None, str, str]:
    """One record judged exactly: (the record, "", "") when it passes, else (None, kind, why)."""
    seq, record_id, stream, timestamp, data = row[0], row[3], row[4], row[5], row[6]
    try:
        text = bytes(data).decode("utf-8")
        value = _json.loads(text)
        prepared = prepare_record(value, default_timestamp=0, require_timestamp=True, json_decoded=True)
    except (ValueError, TypeError) as err:
        return None, "record", f"entry {seq}: the stored record is not JSON ({err})"
    except NucleusError as err:
        return None, "record", f"entry {seq}: the stored record breaks the format: {err.message}"
    if prepared.canonical != bytes(data):
        return None, "record", f"entry {seq}: the stored record is not in canonical form (RFC 8785)"
    if (record_id, stream, timestamp) != (prepared.id, prepared.stream, prepared.timestamp) or type(
        timestamp
    ) is not int:
        return None, "derived", f"entry {seq}: its index columns (id, stream or timestamp) disagree with its record"
    return value, "", ""


def chunk_passes(
    rows: Sequence[StoredRow],
    ids: tuple[str, ...],
    streams: tuple[str, ...],
    stamps: tuple[int, ...],
    records: tuple[bytes, ...],
) -> bool:
    """True when every record of ``rows`` provably passes (then nothing needs naming); False when the exact path
    must judge. ``ids`` to ``records`` are the columns of ``rows``. The host's scanner does the work when it lent
    one (``_host``), else ``_fast``."""
    host = lent().records_pass
    if host is None:
        return _fast(rows) is not None
    if max(map(len, records)) > MAX_RECORD_BYTES or set(map(type, stamps)) != {int}:
        return False
    text = b"[" + b",".join(records) + b"]"
    try:
        return host(text, len(rows), columns_text(ids, streams, stamps), MAX_ID_LENGTH, MAX_STREAM_LENGTH) is True
    except Exception:  # a failing host primitive vouches for nothing: the exact path judges
        return False


def check_chunk(rows: Sequence[StoredRow]) -> tuple[list[dict[str, Any]], int | None, str, str]:
    """The parsed records of ``rows`` up to the first that fails, and that one's index, kind and message
    (``None, "", ""`` when all pass)."""
    values = _fast(rows)
    if values is not None:
        return values, None, "", ""
    values = []
    for index, row in enumerate(rows):
        value, kind, why = _exact(row)
        if value is None:
            return values, index, kind, why
        values.append(value)
    return values, None, "", ""
