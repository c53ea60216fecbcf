"""One number rule in every runtime: a number is accepted iff it is finite and, when its RFC 8785 spelling has
no '.', 'e' or 'E' (so it reads back as an integer), its value is within ±(2^53−1).

What CPython's ``append`` accepts must import back, and reach the engine from Node (whose ``JSON.stringify``
spells numbers as RFC 8785 does, so an integer-looking spelling arrives as a Python int), with the same
canonical bytes; what one path refuses, every path refuses with ``INVALID_RECORD``.
"""

from __future__ import annotations

import json
import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

import nucleus
from nucleus import MAX_SAFE_INTEGER
from nucleus._bridge import handle_request
from nucleus._canonical import format_number
from support import T0, raises_code

ACCEPTED = {
    "2^53-1": MAX_SAFE_INTEGER,
    "-(2^53-1)": -MAX_SAFE_INTEGER,
    "2.0^53-1": float(MAX_SAFE_INTEGER),
    "1e21": 1e21,
    "-1e21": -1e21,
    "1.5": 1.5,
    "-0.0": -0.0,
    "5e-324": 5e-324,
    "max double": 1.7976931348623157e308,
    "0.1": 0.1,
    "1e-7": 1e-7,
    "2^53+0.5 (not integral)": 4503599627370496.5,
}
REFUSED = {
    "1e20": 1e20,
    "-1e20": -1e20,
    "2.0^53": 2.0**53,
    "1e16+0.5": 1e16 + 0.5,  # rounds to 1e16
    "largest double below 1e21": math.nextafter(1e21, 0),
    "1.2345678901234568e20": 1.2345678901234568e20,
    "int 2^53": 2**53,
    "int -(2^53)": -(2**53),
}


def _refused_by_the_rule(x: float) -> bool:
    """The rule as FORMAT.md states it, on the spelling rather than on the value."""
    text = format_number(x)
    return not any(c in text for c in ".eE") and abs(int(text)) > MAX_SAFE_INTEGER


def _record(i: int, value: object) -> dict:
    return {"id": f"n{i}", "stream": "numbers", "timestamp": T0 + i, "payload": {"v": value, "in": [value]}}


def test_the_spelling_rule_and_the_value_rule_agree_on_the_boundaries():
    assert format_number(1e20) == "100000000000000000000"
    assert format_number(math.nextafter(1e21, 0)) == "999999999999999900000"
    assert format_number(1e21) == "1e+21"
    for x in ACCEPTED.values():
        assert type(x) is int or not _refused_by_the_rule(x)
    for x in REFUSED.values():
        assert type(x) is int or _refused_by_the_rule(x)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(2**70), 2**70).map(float),  # integral doubles on both sides of 2^53 and of 1e21
        st.integers(-(10**22), 10**22).map(float),
    )
)
def test_canonicalize_refuses_exactly_what_the_rule_refuses(x: float):
    if _refused_by_the_rule(x):
        with pytest.raises(nucleus.ValidationError) as info:
            nucleus.canonicalize({"v": x})
        assert info.value.code == "INVALID_RECORD" and info.value.details["path"] == "value.v"
    else:
        text = nucleus.canonicalize({"v": x})
        assert text == rfc8785.dumps({"v": x})
        # read back (as import and the bridge from Node do), it gives the same bytes
        assert nucleus.canonicalize(json.loads(text)) == text


def test_accepted_values_round_trip_through_export_and_import():
    records = [_record(i, v) for i, v in enumerate(ACCEPTED.values())]
    with nucleus.Ledger.open("numbers") as src:
        hashes = src.append_batch(records)
        exported = src.export()
    for line, value in zip(exported.splitlines()[1:], ACCEPTED.values(), strict=True):
        assert f'"v":{rfc8785.dumps(value).decode()}' in line
    with nucleus.Ledger.open("numbers") as dst:
        assert dst.import_entries(exported) == len(records)
        assert dst.export() == exported and dst.latest_hash == hashes[-1]


def test_accepted_values_sent_as_node_sends_them_get_the_same_bytes():
    """The bridge gets JSON text written by ``JSON.stringify``, whose number spelling is RFC 8785's."""
    with nucleus.Ledger.open("numbers") as py_side:
        for i, value in enumerate(ACCEPTED.values()):
            py_side.append(_record(i, value))
        expected = [e.record_json for e in py_side._storage.entries()]
    handle = json.loads(handle_request('{"op":"open","args":{"id":"numbers"}}'))["result"]["handle"]
    for i, value in enumerate(ACCEPTED.values()):
        record = rfc8785.dumps(_record(i, value)).decode()
        response = json.loads(handle_request(f'{{"op":"append","ledger":{handle},"args":{{"record":{record}}}}}'))
        assert response["ok"] is True, response
    exported = json.loads(handle_request(f'{{"op":"export","ledger":{handle}}}'))["result"]
    assert [json.loads(line)["record"] for line in exported.splitlines()[1:]] == [json.loads(t) for t in expected]
    assert all(t in exported for t in expected)  # byte for byte
    handle_request(f'{{"op":"close","ledger":{handle}}}')


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_values_are_refused_by_append_and_by_batch(name: str):
    value = REFUSED[name]
    with nucleus.Ledger.open("numbers") as lg:
        err = raises_code("INVALID_RECORD", lambda: lg.append(_record(0, value)), nucleus.ValidationError)
        assert err.details["path"] == "record.payload.v"
        assert "2^53" in err.message
        raises_code("INVALID_RECORD", lambda: lg.append_batch([_record(0, 1), _record(1, value)]))
        assert len(lg) == 0


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_values_are_refused_from_node_and_by_import(name: str):
    value = REFUSED[name]
    spelled = format_number(value) if type(value) is float else str(value)
    record = f'{{"id":"n0","payload":{{"v":{spelled}}},"stream":"numbers","timestamp":{T0}}}'
    handle = json.loads(handle_request('{"op":"open","args":{"id":"numbers"}}'))["result"]["handle"]
    response = json.loads(handle_request(f'{{"op":"append","ledger":{handle},"args":{{"record":{record}}}}}'))
    assert response["ok"] is False and response["error"]["code"] == "INVALID_RECORD", response
    handle_request(f'{{"op":"close","ledger":{handle}}}')
    with nucleus.Ledger.open("numbers") as empty:
        header = empty.export().rstrip("\n").replace('"size":0', '"size":1')
    # The hash does not matter: the record is refused before the chain is verified.
    line = f'{{"hash":"{"0" * 64}","prev_hash":null,"record":{record},"seq":0}}'
    with nucleus.Ledger.open("numbers") as dst:
        for spelling in {spelled, repr(float(value))}:  # the canonical spelling, and Python's (e.g. 1e+20)
            text = f"{header}\n{line.replace(spelled, spelling)}\n"
            err = raises_code("INVALID_RECORD", lambda text=text: dst.import_entries(text), nucleus.ValidationError)
            assert err.details["line"] == 2 and "export line 2" in err.message
        assert len(dst) == 0
