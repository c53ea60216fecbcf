"""Deeply nested JSON text from outside (bridge requests, export lines) is refused before it is parsed.

In Pyodide, parsing text ~6000 levels deep, or freeing a value ~3000 deep, overflows the wasm stack and kills
the runtime (nucleus/_json.py); on CPython ``json.loads`` raises ``RecursionError``. Either way a crafted
request or export file must get a clean error instead, and the runtime must go on.
"""

from __future__ import annotations

import json

import pytest

import nucleus
from nucleus._bridge import handle_request
from nucleus._json import MAX_PARSE_DEPTH, NestingError, loads, nesting_depth
from support import T0, raises_code

DEEP = 100_000


def _objects(depth: int) -> str:
    return '{"k":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a":[1,{"b":[]}],"c":{}}', 4),
        ('["[[[[", "}}}", "\\"[[["]', 1),  # brackets inside strings, an escaped quote
        ('["\\\\", [[]]]', 3),  # an escaped backslash ends the string
        ('["unclosed [[[', 4),  # invalid JSON: counted over, and json.loads reports it
        (_objects(5), 5),
        ("[" * DEEP, DEEP),
    ],
)
def test_nesting_depth(text: str, depth: int):
    assert nesting_depth(text) == depth


def test_loads_refuses_only_past_the_limit():
    assert loads("[" * MAX_PARSE_DEPTH + "]" * MAX_PARSE_DEPTH) is not None
    assert len(loads(json.dumps([[i] for i in range(5000)]))) == 5000  # many brackets, shallow: parsed
    for text in ("[" * (MAX_PARSE_DEPTH + 1) + "]" * (MAX_PARSE_DEPTH + 1), _objects(DEEP), "[" * DEEP):
        with pytest.raises(NestingError, match="levels deep"):
            loads(text)


@pytest.mark.parametrize("depth", [4_000, DEEP])
def test_a_deep_bridge_request_is_refused(depth: int):
    record = f'{{"id":"x","stream":"s","timestamp":{T0},"payload":{_objects(depth)}}}'
    handle = json.loads(handle_request('{"op":"open","args":{"id":"deep"}}'))["result"]["handle"]
    response = json.loads(handle_request(f'{{"op":"append","ledger":{handle},"args":{{"record":{record}}}}}'))
    assert response["ok"] is False and response["error"]["code"] == "INVALID_ARGUMENT"
    assert "levels deep" in response["error"]["message"]
    assert json.loads(handle_request(f'{{"op":"length","ledger":{handle}}}'))["result"] == 0  # still alive


def test_a_record_a_little_too_deep_is_still_refused_with_its_path():
    record = f'{{"id":"x","stream":"s","timestamp":{T0},"payload":{_objects(100)}}}'
    handle = json.loads(handle_request('{"op":"open","args":{"id":"deep"}}'))["result"]["handle"]
    response = json.loads(handle_request(f'{{"op":"append","ledger":{handle},"args":{{"record":{record}}}}}'))
    assert response["error"]["code"] == "INVALID_RECORD" and "nesting deeper than 64" in response["error"]["message"]


@pytest.mark.parametrize("depth", [4_000, DEEP])
def test_a_deep_export_line_is_refused(depth: int):
    with nucleus.Ledger.open("a") as src:
        src.append({"id": "r", "stream": "s", "timestamp": T0, "payload": {}})
        header, line = src.export_lines()
    deep = line.replace('"payload":{}', f'"payload":{_objects(depth)}')
    with nucleus.Ledger.open("a") as dst:
        err = raises_code("INVALID_ARGUMENT", lambda: dst.import_entries([header, deep]))
        assert "export line 2: not JSON" in err.message and "levels deep" in err.message
        assert len(dst) == 0
