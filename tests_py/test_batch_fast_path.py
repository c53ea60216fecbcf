"""A batch from the bridge is checked whole at C speed when it provably passes (``prepare_decoded_batch``), else
record by record. The two must agree on everything: the same hashes for what passes, the same error (class,
message, details, index) for what does not. Batches of mostly valid records with one or two faults of every kind
the format knows are appended both ways into fresh ledgers, and the outcomes compared."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nucleus
import nucleus._ledger as ledger_module
from nucleus._records import prepare_decoded_batch, prepare_record

NOW = 1_700_000_000_000

GOOD_PAYLOADS = [{"amount": 5, "items": ["a", "b"]}, [], {}, [1, "x", None, True], {"nested": {"deep": [{"k": "v"}]}}]
BAD_PAYLOADS = [
    "text",
    None,
    5,
    {"f": 1.5},  # a float: the exact path spells it
    {"f": 1e21},
    {"n": 2**60},  # past 2^53
    {"n": 9007199254740992},
    {"s": "😀 astral"},
    {"k😀": 1, "z": 2},  # a key outside the BMP: sorted by UTF-16
    {"x": "\ud800"},  # a lone surrogate
    {"s": "1234567890123456 digits in a string only cost speed"},
    {"s": "1.5e3 in a string"},
    {"big": "x" * (1024 * 1024)},  # past 1 MiB
]
FIELD_FAULTS: list[tuple[str, Any]] = [
    ("id", ""),
    ("id", "   "),
    ("id", "\u2003\n"),
    ("id", "x" * 257),
    ("id", "x" * 256),
    ("id", 5),
    ("id", None),
    ("stream", "nucleus.acl"),
    ("stream", "s" * 129),
    ("stream", "s" * 128),
    ("stream", ["s"]),
    ("timestamp", -1),
    ("timestamp", 2**53),
    ("timestamp", 2**53 - 1),
    ("timestamp", True),
    ("timestamp", 1.5),
    ("timestamp", "5"),
    ("timestamp", None),
    ("meta", None),
    ("meta", []),
    ("meta", {"m": 1}),
    ("extra", 1),
]


def _record(i: int, stamped: bool) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": f"r-{i}", "stream": "s", "payload": GOOD_PAYLOADS[i % len(GOOD_PAYLOADS)]}
    if stamped:
        rec["timestamp"] = NOW + i
    return rec


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(2, 12))
    stamped = draw(st.booleans())
    records = [_record(i, stamped) for i in range(n)]
    for _ in range(draw(st.integers(0, 2))):
        index = draw(st.integers(0, n - 1))
        if draw(st.booleans()):
            records[index]["payload"] = draw(st.sampled_from(BAD_PAYLOADS))
        else:
            key, value = draw(st.sampled_from(FIELD_FAULTS))
            if key == "id" and value is None:
                records[index].pop("id", None)
            else:
                records[index][key] = value
    if draw(st.booleans()) and stamped and n > 2:  # a timestamp going back
        records[n - 1]["timestamp"] = NOW - 5
    return json.loads(json.dumps(records))  # as the bridge sees them


def _append(records: list[dict[str, Any]], floor_entries: int, bridge: bool) -> Any:
    """The outcome of appending ``records`` to a fresh ledger: through the bridge's path, or the Python API's."""
    ledger = nucleus.Ledger.open("fast-path")
    for i in range(floor_entries):  # the ledger's last timestamp is then a floor the batch must not go under
        ledger.append({"id": f"before-{i}", "stream": "s", "timestamp": NOW + 3, "payload": {}})
    batch = copy.deepcopy(records)
    try:
        if bridge:
            return ("ok", ledger._append(batch, None, batch=True, json_decoded=True))
        return ("ok", ledger.append_batch(batch))
    except nucleus.NucleusError as err:
        return ("refused", type(err).__name__, err.message, err.details)
    finally:
        ledger.close()


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_module, "_now_ms", lambda: NOW + 7)


@settings(max_examples=300, deadline=None)
@given(batches(), st.integers(0, 1))
def test_the_whole_batch_path_equals_record_by_record(records: list[dict[str, Any]], floor_entries: int) -> None:
    assert _append(records, floor_entries, bridge=True) == _append(records, floor_entries, bridge=False)


@settings(max_examples=200, deadline=None)
@given(batches())
def test_what_the_whole_batch_path_takes_prepare_record_takes_alike(records: list[dict[str, Any]]) -> None:
    whole = prepare_decoded_batch(
        copy.deepcopy(records), floor=0, default_timestamp=NOW, require_timestamp=False, reserved="nucleus."
    )
    if whole is None:
        return
    prepared = [prepare_record(r, default_timestamp=NOW, json_decoded=False) for r in records]
    assert whole.ids == [p.id for p in prepared]
    assert whole.streams == [p.stream for p in prepared]
    assert whole.timestamps == [p.timestamp for p in prepared]
    assert whole.texts == [p.text for p in prepared]
    assert whole.canonical == [p.canonical for p in prepared]


def test_valid_batches_take_the_whole_batch_path() -> None:
    stamped = json.loads(json.dumps([_record(i, True) for i in range(50)]))
    unstamped = json.loads(json.dumps([_record(i, False) for i in range(50)]))
    for records in (stamped, copy.deepcopy(unstamped)):
        whole = prepare_decoded_batch(
            records, floor=0, default_timestamp=NOW, require_timestamp=False, reserved="nucleus."
        )
        assert whole is not None and len(whole) == 50
    # Unstamped records all get one stamp, at least the floor; strict validation sends them one by one (to fail).
    floor = NOW + 100
    whole = prepare_decoded_batch(
        copy.deepcopy(unstamped), floor=floor, default_timestamp=NOW, require_timestamp=False, reserved="nucleus."
    )
    assert whole is not None and set(whole.timestamps) == {floor}
    assert (
        prepare_decoded_batch(
            copy.deepcopy(unstamped), floor=0, default_timestamp=NOW, require_timestamp=True, reserved="nucleus."
        )
        is None
    )


def test_strict_validation_refuses_a_batch_without_timestamps_alike() -> None:
    records = json.loads(json.dumps([_record(i, False) for i in range(3)]))
    ledger = nucleus.Ledger.open("strict", options={"strictValidation": True})
    with pytest.raises(nucleus.ValidationError, match=r"records\[0\]: record.timestamp is required"):
        ledger._append(records, None, batch=True, json_decoded=True)
