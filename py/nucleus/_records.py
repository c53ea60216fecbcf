"""Where a record is validated and given its canonical bytes. Not public.

A record is ``{id, stream, timestamp, payload, meta?}``. Limits (docs/FORMAT.md, Limits):
``id`` 1–256 characters, ``stream`` 1–128 characters, ``timestamp`` an integer of milliseconds in
0…2^53−1, ``payload`` an object or array, ``meta`` an object, the canonical record at most 1 MiB.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import Any

from ._canonical import MAX_SAFE_INTEGER, canonical_pair, decoded_batch
from ._errors import ValidationError

MAX_ID_LENGTH = 256
MAX_STREAM_LENGTH = 128
MAX_RECORD_BYTES = 1024 * 1024
RECORD_FIELDS = ("id", "stream", "timestamp", "payload", "meta")
_FIELD_SET = frozenset(RECORD_FIELDS)


@dataclass(slots=True)
class PreparedRecord:
    """A validated record: its fields and its canonical bytes, ready to be hashed. Internal and short-lived, so
    not frozen: a frozen dataclass costs four times as much to create, once per appended record."""

    id: str
    stream: str
    timestamp: int
    text: str
    canonical: bytes
    fields: dict[str, Any]


def _name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _check_label(record: dict[str, Any], key: str, limit: int) -> str:
    value = record.get(key)
    if type(value) is not str:
        raise ValidationError(f"record.{key} must be a non-empty string, got {_name(value)}", details={"field": key})
    if not value.strip():
        raise ValidationError(f"record.{key} must not be empty or blank", details={"field": key})
    if len(value) > limit:
        raise ValidationError(f"record.{key} is {len(value)} characters; the limit is {limit}", details={"field": key})
    return value


def check_timestamp(value: Any, what: str) -> int:
    """An integer millisecond timestamp in 0…2^53−1, or ``ValidationError``."""
    if type(value) is not int:
        raise ValidationError(
            f"{what} must be an integer of milliseconds since the epoch, got {_name(value)}",
            details={"field": what},
        )
    if not 0 <= value <= MAX_SAFE_INTEGER:
        raise ValidationError(f"{what} {value} is outside 0…2^53−1", details={"field": what})
    return value


def prepare_record(
    record: Any, *, default_timestamp: int, require_timestamp: bool = False, json_decoded: bool = False
) -> PreparedRecord:
    """Validate ``record`` and compute its canonical bytes; stamp ``default_timestamp`` when it has none.
    ``json_decoded``: the record is straight from ``json.loads`` (see ``canonical_pair``)."""
    if type(record) is not dict:
        raise ValidationError(f"a record must be an object, got {_name(record)}")
    if not record.keys() <= _FIELD_SET:
        extra = [k for k in record if k not in _FIELD_SET]
        raise ValidationError(
            f"record has unknown field(s) {', '.join(map(repr, extra))}; allowed: {', '.join(RECORD_FIELDS)}",
            details={"fields": [str(k) for k in extra]},
        )
    record_id = _check_label(record, "id", MAX_ID_LENGTH)
    stream = _check_label(record, "stream", MAX_STREAM_LENGTH)
    timestamp = record.get("timestamp")
    if timestamp is None:
        if require_timestamp:
            raise ValidationError(
                "record.timestamp is required (strictValidation is on)", details={"field": "timestamp"}
            )
        timestamp = default_timestamp
    else:
        check_timestamp(timestamp, "record.timestamp")
    payload = record.get("payload")
    if type(payload) is not dict and type(payload) is not list:
        raise ValidationError(
            f"record.payload must be an object or an array, got {_name(payload)}",
            details={"field": "payload"},
        )
    fields: dict[str, Any] = {"id": record_id, "stream": stream, "timestamp": timestamp, "payload": payload}
    meta = record.get("meta")
    if meta is not None:
        if type(meta) is not dict:
            raise ValidationError(f"record.meta must be an object, got {_name(meta)}", details={"field": "meta"})
        fields["meta"] = meta
    text, canonical = canonical_pair(fields, what="record", json_decoded=json_decoded)
    if len(canonical) > MAX_RECORD_BYTES:
        raise ValidationError(
            f"record is {len(canonical)} bytes in canonical form; the limit is {MAX_RECORD_BYTES}",
            details={"size": len(canonical), "limit": MAX_RECORD_BYTES},
        )
    return PreparedRecord(record_id, stream, timestamp, text, canonical, fields)


@dataclass(slots=True)
class PreparedBatch:
    """Validated records as columns, ready to be hashed (``prepare_decoded_batch``): what ``PreparedRecord`` holds,
    one list per field, so that no Python object is made per record."""

    ids: list[str]
    streams: list[str]
    timestamps: list[int]
    texts: list[str]
    canonical: list[bytes]

    def __len__(self) -> int:
        return len(self.ids)


_NONE = type(None)


def _labels_pass(values: list[Any], limit: int) -> bool:
    """Whether every value passes ``_check_label``: a string, not blank, at most ``limit`` characters."""
    return (
        set(map(type, values)) == {str}
        and min(map(len, values)) >= 1
        and max(map(len, values)) <= limit
        and not any(map(str.isspace, values))  # on non-empty strings: blank, as not value.strip() says
    )


def prepare_decoded_batch(
    records: list[Any], *, floor: int, default_timestamp: int, require_timestamp: bool, reserved: str
) -> PreparedBatch | None:
    """``records`` straight from ``json.loads`` (the engine's own objects: a stamped timestamp is written into
    them), checked and canonicalized all together at C speed (``map`` over C functions, no Python step per
    record); or None when any of them is not provably valid, and ``prepare_record`` must judge them one by one
    and name the first fault. What passes here passes there with the same result: the same rules, plus that
    timestamps never go back from ``floor`` and no stream starts with ``reserved``. Records without a timestamp
    are taken only when none has one: each then gets ``max(default_timestamp, floor)``, as one by one."""
    n = len(records)
    if not n or set(map(type, records)) != {dict} or not set(chain.from_iterable(records)) <= _FIELD_SET:
        return None
    ids = list(map(dict.get, records, repeat("id")))
    streams = list(map(dict.get, records, repeat("stream")))
    if not _labels_pass(ids, MAX_ID_LENGTH) or not _labels_pass(streams, MAX_STREAM_LENGTH):
        return None
    if any(map(str.startswith, streams, repeat(reserved))):
        return None
    if not set(map(type, map(dict.get, records, repeat("payload")))) <= {dict, list}:
        return None
    metas = list(map(dict.get, records, repeat("meta")))
    if not set(map(type, metas)) <= {dict, _NONE}:
        return None
    if metas.count(None) != n - sum(map(dict.__contains__, records, repeat("meta"))):
        return None  # a "meta": null, which one by one leaves out of the record
    stamps = list(map(dict.get, records, repeat("timestamp")))
    kinds = set(map(type, stamps))
    if kinds == {_NONE} and not require_timestamp:
        stamps = [max(default_timestamp, floor)] * n
        # No "timestamp": null is left: every record gets its key (the stamp), as prepare_record's fields do.
        list(map(dict.__setitem__, records, repeat("timestamp"), stamps))
    elif (
        kinds != {int}
        or not max(floor, 0) <= stamps[0]
        or max(stamps) > MAX_SAFE_INTEGER
        or not all(map(operator.le, stamps, islice(stamps, 1, None)))  # never going back
    ):
        return None
    canonical = decoded_batch(records)
    if canonical is None or max(map(len, canonical[1])) > MAX_RECORD_BYTES:
        return None
    return PreparedBatch(ids, streams, stamps, canonical[0], canonical[1])
