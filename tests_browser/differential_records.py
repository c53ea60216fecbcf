"""Generated records for the differential tests (hypothesis), the twin of js/test/helpers/records.mjs: strings
over all of Unicode (C0/C1 controls, U+2028, U+2029, U+0085, noncharacters, astral characters) in keys and
values, numbers over the whole double range and its edges, and in about one record of three one fault that
every runtime must refuse the same way: a lone surrogate (in a key or a value, anywhere), a number outside the
number rule (NaN, ±Infinity, 1e20, 2^53, 1e16+0.5, ...), or a broken shape. Timestamps are explicit and (but
for one fault) never go back.

Every value means the same in JavaScript (it crosses in wire form, differential_peer.py): ints stay within
±2^66, whose nearest doubles get the same verdict, and timestamps are ints, never integral floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

T0 = 1_700_000_000_000
Record = dict[str, Any]

# Characters that escapers, line splitters and isspace treat specially.
SPECIAL_CHARS = [
    *'\u2028\u2029\x85\x00\x01\b\t\n\v\f\r\x1b\x1c\x1f "\\/\x7f\x80\x9f\xa0\xad\u200b\u3000\ufeff\ud7ff\ue000',
    *"\ufffd\ufffe\uffff\U00010000\U0001f600\U0010ffff",
    "\u0301",  # a combining accent
]
# Whitespace in str.isspace()'s sense: a label of only these is blank.
WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"
# Keys that mean something to JavaScript objects, or sort differently by UTF-16 than by code point.
SPECIAL_KEYS = [
    *["__proto__", "constructor", "toJSON", "hasOwnProperty", "", "0", "1", "10", "-1", "01", "1.5", "a", "A"],
    *["\U0001f600", "\ue000", "\uffff", "\U00010000", "\u2028", "\x00"],
]
# Numbers every runtime accepts, with the same bytes (ints and floats: JavaScript sees one kind of number).
ACCEPTED_NUMBERS: list[int | float] = [
    *[0, 0.0, -0.0, 1, -1.0, 5.0, 5e-324, -5e-324, 2.225073858507201e-308, 2.2250738585072014e-308],
    *[1.7976931348623157e308, -1.7976931348623157e308, 2**53 - 1, -(2**53 - 1), 9007199254740991.0, 2**53 - 2],
    *[1e21, -1e21, math.nextafter(1e21, math.inf), 1e-7, 1e-6, 0.1, 0.30000000000000004, 1.5, 4503599627370496.5],
    *[1.23e-18, 1e300, 2.0**-1060],
]
# Numbers every runtime refuses (INVALID_RECORD): not finite, or spelled as integers beyond ±(2^53−1).
REFUSED_NUMBERS: list[int | float] = [
    *[math.nan, math.inf, -math.inf, 1e20, -1e20, 2.0**53, -(2.0**53), 2**53, -(2**53), 2**53 + 2, 2.0**53 + 2],
    *[-(2**53 + 2), 1e16 + 0.5, math.nextafter(1e21, 0), 1.2345678901234568e20, 2**60, 2.0**69],
]

CHAR = st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARS))  # every code point but surrogates
TEXT = st.text(CHAR, max_size=8)
KEY = st.one_of(TEXT, TEXT, TEXT, st.sampled_from(SPECIAL_KEYS))
NUMBERS = st.one_of(
    st.sampled_from(ACCEPTED_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-1000, 1000),
    st.integers(-(2**53 - 1), 2**53 - 1),
    # integral doubles on both sides of 2^53 and of 1e21: the number rule depends on their spelling
    st.builds(lambda m, e: float(m * 2**e), st.integers(-(2**53 - 1), 2**53 - 1), st.integers(0, 20)),
)
SCALARS = st.one_of(TEXT, NUMBERS, st.booleans(), st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=4)),
    max_leaves=10,
)
OBJECTS = st.dictionaries(KEY, VALUES, max_size=4)
ARRAYS = st.lists(VALUES, max_size=4)


def label(max_size: int) -> st.SearchStrategy[str]:
    """An id or stream that is not blank: a first character that is no whitespace, then any."""
    first = st.sampled_from(["r", "\U0001f600", "\u200b", "\U0010ffff", "\x00", "\ufffe"])
    return st.builds(str.__add__, first, st.text(CHAR, max_size=max_size))


def nest(n: int) -> list[Any]:
    """An array ``n`` levels deep; a record holding it as its payload is ``n + 1`` levels deep."""
    return [] if n <= 1 else [nest(n - 1)]


def insert(text: str, inserted: str, at: int) -> str:
    """``text`` with ``inserted`` put in at ``at`` (modulo its length + 1)."""
    at %= len(text) + 1
    return text[:at] + inserted + text[at:]


def place(record: Record, where: str, value: Any, as_key: bool = False) -> Record:
    """A copy of ``record`` with ``value`` put ``where`` (payload, meta or deeper), or as a key there."""

    def put(container: dict[str, Any], key: str) -> dict[str, Any]:
        return {**container, value: key} if as_key else {**container, key: value}

    payload = record["payload"]
    if where == "payload" and type(payload) is list:
        return {**record, "payload": [*payload, put({}, 1) if as_key else value]}
    if where == "payload":
        return {**record, "payload": put(payload, "v")}
    if where == "meta":
        return {**record, "meta": put(record.get("meta") or {}, "v")}
    deep = [[put({}, "k")]]
    return {**record, "payload": [*payload, deep] if type(payload) is list else {**payload, "n": deep}}


WHERE = ["payload", "meta", "nested"]
# a lone surrogate, or a low then a high one (two lone ones: JavaScript would read a high then a low as a pair)
SURROGATES = st.one_of(st.integers(0xD800, 0xDFFF).map(chr), st.just("\udc00\ud800"))
SHAPE_FAULTS: list[Callable[[Record], Record]] = [
    lambda r: {**r, "id": ""},
    lambda r: {**r, "id": WHITESPACE},
    lambda r: {**r, "id": "\u3000"},
    lambda r: {**r, "id": "\U0001f600" * 257},
    lambda r: {**r, "stream": "s" * 129},
    lambda r: {**r, "stream": "nucleus.acl"},
    lambda r: {**r, "stream": "nucleus.x"},
    lambda r: {**r, "timestamp": -1},
    lambda r: {**r, "timestamp": 2**53},
    lambda r: {**r, "timestamp": r["timestamp"] + 0.5},
    lambda r: {**r, "timestamp": r["timestamp"] - 1_000_000},  # goes back behind the previous records
    lambda r: {**r, "extra": 1},
    lambda r: {**r, "__proto__": {}},
    lambda r: {**r, "payload": "p"},
    lambda r: {**r, "payload": None},
    lambda r: {**r, "payload": 5},
    lambda r: {**r, "meta": []},
    lambda r: {**r, "meta": "m"},
    lambda r: {**r, "payload": nest(65)},
]


@st.composite
def faults(draw: st.DrawFn, record: Record) -> Record:
    """``record`` with one fault."""
    kind = draw(st.sampled_from(["surrogate", "number", "shape"]))
    if kind == "surrogate":
        s, at, where = draw(SURROGATES), draw(st.integers(0, 20)), draw(st.sampled_from([*WHERE, "id", "stream"]))
        if where in ("id", "stream"):
            return {**record, where: insert(record[where], s, at)}
        return place(record, where, insert("k", s, at), draw(st.booleans()))
    if kind == "number":
        return place(record, draw(st.sampled_from(WHERE)), draw(st.sampled_from(REFUSED_NUMBERS)))
    return draw(st.sampled_from(SHAPE_FAULTS))(record)


@st.composite
def records(draw: st.DrawFn, timestamp: int) -> Record:
    record: Record = {
        "id": draw(st.one_of(label(9), label(9), label(9), st.sampled_from(["r", "\U0001f600" * 256]))),
        "stream": draw(
            st.one_of(label(5), st.sampled_from(["s", "orders", "nucleus", "Nucleus.x", "x\u2028", "\U0001f600" * 128]))
        ),
        "timestamp": timestamp,
        "payload": draw(st.one_of(OBJECTS, ARRAYS)),
    }
    meta = draw(st.sampled_from(["none", "none", "none", "object", "object", "null"]))
    if meta != "none":
        record["meta"] = draw(OBJECTS) if meta == "object" else None
    return draw(faults(record)) if draw(st.integers(0, 2)) == 2 else record  # (hypothesis favours 0)


@st.composite
def batches(draw: st.DrawFn, max_size: int = 16) -> list[Record]:
    """1–``max_size`` records with timestamps T0 + 0..3 ms apart."""
    out, timestamp = [], T0
    for _ in range(draw(st.integers(1, max_size))):
        timestamp += draw(st.integers(0, 3))
        out.append(draw(records(timestamp)))
    return out


def edge_records() -> list[tuple[Record, bool]]:
    """Records at every edge the format names, each with whether it must be accepted; appended in this order
    (the last one has the largest timestamp, so nothing may follow it)."""
    ok: list[dict[str, Any]] = [
        {"payload": {"v": ACCEPTED_NUMBERS, "w": [[n] for n in ACCEPTED_NUMBERS]}},
        {
            "id": "x\u2028\u2029\x85",
            "stream": "\U0001f600",
            "payload": {"\u2028": "\u2029", "\x85": "\x00\x1f\x7f\x80\x9f"},
        },
        {"payload": {k: i for i, k in enumerate(SPECIAL_KEYS)}},  # UTF-16 order of keys, __proto__ a key
        {"payload": {"__proto__": {"__proto__": []}}},
        {"payload": ["".join(SPECIAL_CHARS), WHITESPACE]},
        {"id": "\u200b", "meta": {"\ufeff": "\ufffe"}},  # not whitespace
        {"id": "\U0001f600" * 256, "stream": "\U0001f600" * 128},  # 256 and 128 characters: at the limits
        {"meta": None},  # the same as no meta
        {"payload": nest(63)},  # 64 levels
    ]
    refused: list[dict[str, Any]] = [
        *({"payload": {"v": n}} for n in REFUSED_NUMBERS),
        *({"meta": {"deep": [[{"n": n}]]}} for n in REFUSED_NUMBERS[:4]),
        {"id": "\ud800"},
        {"stream": "s\udfff"},
        {"payload": {"\ud83d": 1}},
        {"payload": ["\ude00"]},
        {"meta": {"k": "\udc00\ud800"}},
        {"payload": {"a": [{"x\udbff": 0}]}},
        *({"id": blank} for blank in ["", "\x1c\x1d\x1e\x1f", "\u3000", " \u2028\x85"]),
        {"id": "\U0001f600" * 257},
        {"stream": "\U0001f600" * 129},
        {"payload": nest(64)},
        {"timestamp": -1},
        {"timestamp": 2**53},
    ]
    fields = [*((f, True) for f in ok), *((f, False) for f in refused), ({"timestamp": 2**53 - 1}, True)]
    return [
        ({"id": f"e{i}", "stream": "edges", "timestamp": T0 + i, "payload": {}, **f}, accepted)
        for i, (f, accepted) in enumerate(fields)
    ]
