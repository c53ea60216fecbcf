"""RFC 8785 canonical JSON: the RFC author's vectors, the ``rfc8785`` package as an oracle, and every refusal."""

from __future__ import annotations

import datetime
import decimal
import json
import math
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

import nucleus
from nucleus import MAX_SAFE_INTEGER, canonicalize
from nucleus._canonical import canonical_pair, format_number

HERE = Path(__file__).resolve()
# Prefer the copy committed in the repo; CI also has ../shared beside the clone.
JCS_DIRS = [HERE.parents[1] / "vectors" / "jcs", HERE.parents[1].parent / "shared" / "vectors" / "jcs"]
JCS = next((d for d in JCS_DIRS if (d / "input").is_dir()), JCS_DIRS[0])
JCS_CASES = sorted(p.stem for p in (JCS / "input").glob("*.json"))


def test_jcs_vectors_are_present():
    assert JCS_CASES == ["arrays", "french", "structures", "unicode", "values", "weird"]
    assert (JCS / "LICENSE").is_file()


@pytest.mark.parametrize("case", JCS_CASES)
def test_jcs_vector(case: str):
    value = json.loads((JCS / "input" / f"{case}.json").read_text(encoding="utf-8"))
    expected = (JCS / "output" / f"{case}.json").read_bytes()
    assert canonicalize(value) == expected
    assert rfc8785.dumps(value) == expected  # the oracle agrees with the vectors too


def test_in_repo_vectors_equal_the_shared_ones():
    shared = JCS_DIRS[1]
    if not shared.is_dir():  # a clone without ../shared: the in-repo copy is all there is
        return
    for sub in ("input", "output"):
        for p in (shared / sub).glob("*.json"):
            assert (JCS_DIRS[0] / sub / p.name).read_bytes() == p.read_bytes(), p


# -- property test against the oracle ------------------------------------------------------------------

ASTRAL = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF)
CHARS = st.characters(codec="utf-8")  # any code point but a surrogate
KEY_CHARS = st.one_of(CHARS, ASTRAL, st.sampled_from('aA€\ufb33\U0001d11e\U0001f600\x00\n"\\\x7f'))
KEYS = st.text(KEY_CHARS, max_size=6)


def _reads_back_unsafe(x: float) -> bool:
    """Whether the RFC 8785 spelling of ``x`` reads back as an integer beyond ±(2^53−1) (refused: the number rule)."""
    text = format_number(x)
    return not any(c in text for c in ".eE") and abs(int(text)) > MAX_SAFE_INTEGER


FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not _reads_back_unsafe(x))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    FLOATS,
    st.text(st.one_of(CHARS, ASTRAL)),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=15,
)


@settings(max_examples=100, deadline=None)
@given(JSON_VALUES)
def test_canonical_bytes_equal_rfc8785(value):
    assert canonicalize(value) == rfc8785.dumps(value)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(KEYS, st.integers(-5, 5), min_size=2, max_size=8))
def test_key_order_is_utf16_order_without_floats(value):
    # No floats: the C json fast path is taken unless a key is astral; both must sort by UTF-16 units.
    assert canonicalize(value) == rfc8785.dumps(value)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_spelling_equals_rfc8785(x: float):
    assert format_number(x).encode() == rfc8785.dumps(x)
    if not _reads_back_unsafe(x):
        assert canonicalize([x]) == rfc8785.dumps([x])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-0.0, "0"),
        (0.0, "0"),
        (1.0, "1"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2.0**53 - 1, "9007199254740991"),
        (0.1, "0.1"),
        (-1.5, "-1.5"),
        (MAX_SAFE_INTEGER, "9007199254740991"),
        (-MAX_SAFE_INTEGER, "-9007199254740991"),
        (True, "true"),
        (None, "null"),
        ("\u2028\x7f", '"\u2028\x7f"'),
        ("\x1f\b", '"\\u001f\\b"'),
    ],
)
def test_number_and_string_spelling(value, text: str):
    assert canonicalize(value) == text.encode("utf-8")
    assert canonicalize(value) == rfc8785.dumps(value)


def test_tuple_is_an_array():
    assert canonicalize({"a": (1, 2)}) == b'{"a":[1,2]}'


# -- refusals ------------------------------------------------------------------------------------------


def _refused(value) -> nucleus.ValidationError:
    with pytest.raises(nucleus.ValidationError) as info:
        canonicalize(value)
    assert info.value.code == "INVALID_RECORD"
    return info.value


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(bad: float):
    err = _refused({"a": [1, bad]})
    assert err.details["path"] == "value.a[1]"
    assert "not a JSON number" in err.message


@pytest.mark.parametrize("bad", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 2**64, -(2**100)])
def test_integers_beyond_2_53_are_refused(bad: int):
    err = _refused({"n": bad})
    assert err.details["path"] == "value.n"
    assert str(bad) in err.message and "2^53" in err.message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e20, "100000000000000000000"),
        (2.0**53, "9007199254740992"),
        (-(2.0**53), "-9007199254740992"),
        (1.2345678901234568e20, "123456789012345680000"),
    ],
)
def test_integral_doubles_spelled_as_unsafe_integers_are_refused(value: float, text: str):
    # ECMAScript spells them with digits only, so they read back as integers beyond ±(2^53−1), which import,
    # the CLI and Node refuse: canonicalize refuses them too (the number rule, docs/FORMAT.md).
    assert format_number(value) == text and rfc8785.dumps(value) == text.encode()
    err = _refused({"n": [value]})
    assert err.details["path"] == "value.n[0]"
    assert text in err.message and "2^53" in err.message


@pytest.mark.parametrize("where", ["value", "nested value", "key", "nested key"])
@pytest.mark.parametrize("surrogate", ["\ud800", "\udfff", "x\udc00y"])
def test_lone_surrogates_are_refused(where: str, surrogate: str):
    value = {
        "value": {"s": surrogate},
        "nested value": {"a": [1, {"b": surrogate}]},
        "key": {surrogate: 1},
        "nested key": {"a": [{surrogate: 1.5}]},  # the float forces the slow serializer
    }[where]
    err = _refused(value)
    assert "lone surrogate" in err.message
    assert err.details["path"].startswith("value")


def test_a_paired_surrogate_escape_is_one_astral_char():
    assert canonicalize(json.loads('"\\ud83d\\ude02"')) == '"😂"'.encode()


@pytest.mark.parametrize("key", [1, 1.5, None, True, (1, 2)])
def test_non_string_keys_are_refused(key):
    err = _refused({"ok": {key: "v"}})
    assert "keys must be strings" in err.message
    assert err.details["path"] == "value.ok"


@pytest.mark.parametrize(
    "bad",
    [
        {1, 2},
        b"bytes",
        bytearray(b"x"),
        object(),
        decimal.Decimal("1.5"),
        datetime.date(2024, 1, 1),
        1j,
        {"a": frozenset()},
        type("D", (dict,), {})(),
        type("I", (int,), {})(3),
    ],
)
def test_non_json_types_are_refused(bad):
    err = _refused([bad])
    assert "is not a JSON value" in err.message


def _nest(depth: int):
    value: object = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def test_nesting_limit():
    assert canonicalize(_nest(64))  # 64 containers deep is the limit
    err = _refused(_nest(65))
    assert "nesting deeper than 64" in err.message
    # Past the recursion limit (1000): refused, not a RecursionError. Not much deeper: freeing a value
    # nested ~3000 deep overflows the wasm stack and kills Pyodide (CPython 3.14.2 on Node 20).
    err = _refused(_nest(2_000))
    assert "nesting deeper than 64" in err.message


# -- the json_decoded fast path (records from the JS bridge and from exports) ---------------------------

DECODED_SCALARS = st.one_of(
    SCALARS,
    st.integers(),  # any size: 16+ digit integers must still be refused
    st.text(st.sampled_from("0123456789.eE-x")),  # strings that look like numbers only cost speed
)
DECODED_VALUES = st.recursive(
    DECODED_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=15,
)


def _decoded_outcome(value, json_decoded: bool):
    try:
        return canonical_pair(value, json_decoded=json_decoded)
    except nucleus.ValidationError as err:
        return ("refused", err.message)


@settings(max_examples=200, deadline=None)
@given(DECODED_VALUES)
def test_json_decoded_path_equals_the_exact_path(value):
    # What json.loads gives back: str keys and JSON types only, as the bridge sees records.
    decoded = json.loads(json.dumps(value))
    assert _decoded_outcome(decoded, True) == _decoded_outcome(decoded, False)


@pytest.mark.parametrize(
    "text",
    [
        '{"a":9007199254740992}',
        '{"a":-90071992547409930}',
        '{"a":1.0}',
        '{"a":1e16}',
        '{"a":[0.1,1e-7]}',
        '{"\\ud834\\udd1e":1,"\\ufb33":2}',
        '{"a":"\\ud800"}',
        "[" * 65 + "]" * 65,
        '{"a":NaN}',
    ],
)
def test_json_decoded_path_on_hard_cases(text: str):
    decoded = json.loads(text)
    assert _decoded_outcome(decoded, True) == _decoded_outcome(decoded, False)
