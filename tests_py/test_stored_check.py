"""The chunked C-speed re-check of stored records (``_stored.check_chunk``) reaches exactly the verdict of the
exact per-record path on every input: the same first bad row and kind, or none. Generated records cover all
of Unicode, the double range, deep nesting and ids at their limits; each is stored either in canonical form or
spelled in one of the ways a forger might (whitespace, unsorted or duplicate members, escapes, other number
spellings, ``"meta":null``, unknown members), and with its index columns right or wrong."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nucleus
from nucleus._stored import _exact, check_chunk

CHARS = st.characters(codec="utf-8")
TEXT = st.text(st.one_of(CHARS, st.sampled_from('\u2028\u2029\x85\x00\x1f\x7f"\\😀\ud7ff\ue000')), max_size=8)
NUMBERS = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-(2**53 - 1), 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    # the edges: past ±(2^53−1) is refused, as integers and as integral doubles below 1e21
    st.sampled_from([0.0, -0.0, 5e-324, 1e21, 1e20, 2.0**53, 1.5, 2**53, -(2**53), 2**60, 9007199254740991]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


# One way for a record to break FORMAT.md §1, or none (most records are valid, so that a chunk of them reaches
# the fast path and only its spelling or one small fault tells it apart).
FAULTS: dict[str, Any] = {
    "extra member": ("extra", 1),
    "meta null": ("meta", None),
    "meta array": ("meta", []),
    "empty id": ("id", ""),
    "blank id": ("id", "\u3000 "),
    "id too long": ("id", "😀" * 257),
    "stream too long": ("stream", "s" * 129),
    "timestamp too big": ("timestamp", 2**53),
    "timestamp negative": ("timestamp", -1),
    "timestamp float": ("timestamp", 1.0),
    "payload scalar": ("payload", 5),
}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "r" + draw(TEXT),
        "stream": draw(st.sampled_from(["s", "orders", "😀", "a" * 128])),
        "timestamp": draw(st.integers(0, 2**53 - 1)),
        "payload": draw(st.one_of(st.dictionaries(TEXT, VALUES, max_size=4), st.lists(VALUES, max_size=3))),
    }
    if draw(st.booleans()):
        record["meta"] = draw(st.dictionaries(TEXT, VALUES, max_size=3))
    if draw(st.integers(0, 4)) == 0:
        key, value = FAULTS[draw(st.sampled_from(sorted(FAULTS)))]
        record[key] = value
    return record


def _spellings(record: dict[str, Any]) -> list[str]:
    """Canonical text when the record has one, and the ways a forger might spell it instead."""
    out = []
    with contextlib.suppress(nucleus.NucleusError):
        out.append(nucleus.canonicalize(record).decode("utf-8"))
    out.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))  # insertion order
    out.append(json.dumps(record, sort_keys=True))  # spaces
    out.append(json.dumps(record, sort_keys=True, separators=(",", ":")))  # \\u escapes, Python floats
    # Sorted and compact but spelled by Python: floats by repr (5.0, 1e+16), integers of any size.
    out.append(json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    return out


@st.composite
def rows(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    out = []
    for seq, record in enumerate(draw(st.lists(records(), min_size=1, max_size=4))):
        spellings = _spellings(record)
        text = spellings[0] if draw(st.integers(0, 2)) else draw(st.sampled_from(spellings))
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogatepass")  # a lone surrogate stored raw: not UTF-8
        columns = (record["id"], record["stream"], record["timestamp"])
        if draw(st.integers(0, 7)) == 0:
            columns = (columns[0], "elsewhere", columns[2])
        out.append((seq, "h", None, *columns, data))
    return out


@settings(max_examples=400, deadline=None)
@given(rows())
def test_the_chunk_check_agrees_with_the_exact_path(chunk: list[tuple[Any, ...]]) -> None:
    _, bad, kind, _ = check_chunk(chunk)
    expected = next(((i, k) for i, row in enumerate(chunk) if (k := _exact(row)[1])), (None, ""))
    assert (bad, kind) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(records(), min_size=1, max_size=8))
def test_canonical_valid_records_pass_the_fast_path_or_agree(records_: list[dict[str, Any]]) -> None:
    chunk = []
    for seq, record in enumerate(records_):
        try:
            prepared = nucleus._records.prepare_record(record, default_timestamp=0, require_timestamp=True)
        except nucleus.NucleusError:
            return
        chunk.append((seq, "h", None, prepared.id, prepared.stream, prepared.timestamp, prepared.canonical))
    values, bad, _, _ = check_chunk(chunk)
    assert bad is None
    assert values == [json.loads(row[6]) for row in chunk]


VALID = [{"id": f"r{i}", "stream": "s", "timestamp": 5, "payload": {"i": i, "t": "ü\u2028"}} for i in range(4)]


# RFC 8785 has no spelling of these faults (it writes 1.0 as 1, a valid record, and refuses 2^53).
NO_CANONICAL_SPELLING = {"timestamp float", "timestamp too big"}


@pytest.mark.parametrize(
    ("fault", "spelling"),
    [
        (f, sp)
        for f in sorted(FAULTS)
        for sp in ("canonical", "python")
        if sp == "python" or f not in NO_CANONICAL_SPELLING
    ],
)
def test_one_faulty_record_among_valid_ones_is_named(fault: str, spelling: str) -> None:
    key, value = FAULTS[fault]
    bad = {**VALID[2], key: value}
    chunk = []
    for seq, record in enumerate([*VALID[:2], bad, VALID[3]]):
        if spelling == "canonical":
            text = nucleus.canonicalize(record).decode()
        else:
            text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        chunk.append((seq, "h", None, record["id"], record["stream"], record["timestamp"], text.encode()))
    values, index, kind, why = check_chunk(chunk)
    assert (index, kind) == (2, "record"), why
    assert len(values) == 2


@pytest.mark.parametrize(
    "payload",
    [
        '{"f":5.0}',
        '{"f":1e+16}',
        '{"f":9007199254740993}',
        '{"f":-0}',
        '{"f":"\\u00e9"}',
        '{"f":"\\ud800"}',
        '{"b":1,"a":1}',
        '{"a":1,"a":1}',
        '{"a": 1}',
        '{"f":1E2}',
        '{"f":"\\/"}',
    ],
)
def test_forged_spellings_among_valid_records_are_named(payload: str) -> None:
    chunk = []
    for seq, record in enumerate(VALID):
        text = nucleus.canonicalize(record).decode()
        if seq == 1:
            text = text.replace('"payload":{"i":1,"t":"ü\u2028"}', f'"payload":{payload}')
        chunk.append((seq, "h", None, record["id"], record["stream"], record["timestamp"], text.encode()))
    assert check_chunk(chunk)[1:3] == (1, "record")


@pytest.mark.parametrize("column", [3, 4, 5])
def test_a_wrong_index_column_is_named_derived(column: int) -> None:
    chunk = [
        (seq, "h", None, r["id"], r["stream"], r["timestamp"], nucleus.canonicalize(r)) for seq, r in enumerate(VALID)
    ]
    row = list(chunk[3])
    row[column] = {3: "other", 4: "other", 5: 6}[column]
    chunk[3] = tuple(row)
    assert check_chunk(chunk)[1:3] == (3, "derived")
