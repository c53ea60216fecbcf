"""The chunked C-speed re-check of stored records (``_stored.check_chunk``) reaches exactly the verdict of the
exact per-record path on every input: the same first bad row and kind, or none; and the whole-chunk verdict
(``_stored.chunk_passes``: the Python fast path in CPython, the host's scanner of js/src/runtime/host-primitives.ts
when this suite runs inside Pyodide) never passes a chunk the exact path faults. Generated records cover all
of Unicode, the double range, deep nesting and ids at their limits; each is stored either in canonical form or
spelled in one of the ways a forger might (whitespace, unsorted or duplicate members, escapes, other number
spellings, ``"meta":null``, unknown members), and with its index columns right or wrong."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nucleus
from nucleus._hashing import chain_hashes, entry_hash, entry_template, hashes_hex
from nucleus._host import lent
from nucleus._stored import _exact, check_chunk, chunk_passes

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


def _passes(chunk: list[tuple[Any, ...]]) -> bool:
    """The whole-chunk verdict, as the verifier asks for it (a column it cannot even spell does not pass)."""
    _seqs, _hashes, _prevs, ids, streams, stamps, records_ = zip(*chunk, strict=True)
    try:
        return chunk_passes(chunk, ids, streams, stamps, records_)
    except (TypeError, ValueError):
        return False


def test_inside_pyodide_the_host_primitives_are_lent() -> None:
    """Else the Pyodide run of this suite would test the Python paths twice and the host's not at all."""
    if sys.platform == "emscripten":
        assert lent().records_pass is not None and lent().sha256_into is not None
    else:
        assert lent().records_pass is None and lent().sha256_into is None


@settings(max_examples=400, deadline=None)
@given(rows())
def test_a_chunk_that_passes_has_no_fault(chunk: list[tuple[Any, ...]]) -> None:
    if _passes(chunk):
        assert [_exact(row)[1] for row in chunk] == [""] * len(chunk)


# What most ledgers hold: BMP text without control characters, integers, printable ids. The whole-chunk path
# must pass these (else opening a ledger silently takes the slow path) and agree with the exact one.
PLAIN_TEXT = st.text(st.characters(codec="utf-8", max_codepoint=0xFFFF, min_codepoint=0x20), max_size=8)
# Member names are not escaped either: a host leaves escaped names to the engine.
PLAIN_KEY = st.text(
    st.characters(codec="utf-8", max_codepoint=0xFFFF, min_codepoint=0x20, exclude_characters='"\\'), max_size=8
)
PLAIN_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**15) + 1, 10**15 - 1), PLAIN_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(PLAIN_KEY, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                # printable ASCII; '"' and '\\' are escaped in JSON, and a host leaves escaped ids to the engine
                # and no run of 16 digits: the Python fast path leaves those to the exact one, wherever they are
                "id": st.text(
                    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"\\'),
                    min_size=1,
                    max_size=256,
                ).filter(lambda s: re.search(r"[0-9]{16}", s) is None),
                "stream": st.sampled_from(["s", "orders", "Ünïcode-stream", "a" * 128]),
                "timestamp": st.integers(0, 10**15 - 1),
                "payload": st.dictionaries(PLAIN_KEY, PLAIN_VALUES, max_size=4),
            },
            optional={"meta": st.dictionaries(PLAIN_KEY, PLAIN_VALUES, max_size=3)},
        ),
        min_size=1,
        max_size=6,
    )
)
def test_plain_canonical_records_pass_whole(records_: list[dict[str, Any]]) -> None:
    chunk = [
        (seq, "h", None, r["id"], r["stream"], r["timestamp"], nucleus.canonicalize(r))
        for seq, r in enumerate(records_)
    ]
    assert _passes(chunk)


@pytest.mark.parametrize(
    "payload",
    [
        '{"f":5.0}',
        '{"f":1e+16}',
        '{"f":9007199254740992}',
        '{"f":-9007199254740992}',
        '{"f":-0}',
        '{"f":01}',
        '{"f":"\\u00e9"}',
        '{"f":"\\u0008"}',
        '{"f":"\\u001F"}',
        '{"f":"\\ud800"}',
        '{"f":"\\/"}',
        '{"f":"\x01"}',
        '{"b":1,"a":1}',
        '{"a":1,"a":1}',
        '{"ab":1,"a":1}',
        '{"a ":1,"a":1}',
        '{"\ue000":1,"\U0001f600":1}',
        '{"a": 1}',
        '{"f":1E2}',
        '{"f":tru}',
        '{"f":[1,]}',
        '{"f":{}}x',
        "[" * 70 + "]" * 70,
    ],
)
def test_forged_spellings_never_pass_whole(payload: str) -> None:
    chunk = []
    for seq, record in enumerate(VALID):
        text = nucleus.canonicalize(record).decode()
        if seq == 1:
            text = text.replace('"payload":{"i":1,"t":"ü\u2028"}', f'"payload":{payload}')
        data = text.encode("utf-8", "surrogatepass")
        chunk.append((seq, "h", None, record["id"], record["stream"], record["timestamp"], data))
    assert not _passes(chunk)
    assert _passes([row for row in chunk if row[0] != 1])


@pytest.mark.parametrize(
    "column",
    [
        (3, "r3 "),
        (3, "r"),
        (4, "s\x1f"),
        (5, 50),
        (5, "5"),
        (5, 5.0),
    ],
)
def test_a_wrong_column_never_passes_whole(column: tuple[int, Any]) -> None:
    chunk = [
        (seq, "h", None, r["id"], r["stream"], r["timestamp"], nucleus.canonicalize(r)) for seq, r in enumerate(VALID)
    ]
    assert _passes(chunk)
    row = list(chunk[3])
    row[column[0]] = column[1]
    chunk[3] = tuple(row)
    assert not _passes(chunk)


@pytest.mark.parametrize(("stored", "valid"), [("\\u0020 ", False), ("\\u3000", False), ("\\u0085x", True)])
def test_blank_ids_never_pass_whole(stored: str, valid: bool) -> None:
    """Blank is Python's ``str.isspace``; the host vouches only for ids with a printable ASCII character."""
    record = {**VALID[0], "id": json.loads(f'"{stored}"')}
    assert _passes([(0, "h", None, record["id"], "s", 5, nucleus.canonicalize(record))]) is valid


def test_chunk_hashes_are_the_entry_hashes() -> None:
    records_ = [nucleus.canonicalize(r) for r in VALID] * 300
    hashes, prev = [], None
    for seq, record in enumerate(records_):
        prev = entry_hash("h", seq, prev, record)
        hashes.append(prev)
    prevs = [None, *hashes[:-1]]
    assert hashes_hex(entry_template("h"), prevs, records_, list(range(len(records_)))) == "".join(hashes)
    assert chain_hashes(entry_template("h"), 0, None, records_) == hashes  # appending's inlined chain step
    assert chain_hashes(entry_template("h"), 5, hashes[4], records_[5:]) == hashes[5:]
    assert hashlib.sha256(b"").hexdigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
