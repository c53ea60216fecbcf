"""The error hierarchy and its single table of codes."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

import nucleus

CLASSES = {
    name: obj
    for name, obj in vars(nucleus).items()
    if inspect.isclass(obj) and issubclass(obj, Exception) and obj is not nucleus.NucleusError
}


def test_every_error_class_is_a_nucleus_error_with_a_known_code():
    assert len(CLASSES) >= 12
    for name, cls in CLASSES.items():
        assert issubclass(cls, nucleus.NucleusError), name
        assert cls.code in nucleus.ERROR_CODES, name
        assert name in nucleus.__all__


def test_every_code_has_exactly_one_class():
    by_code: dict[str, list[str]] = {}
    for name, cls in CLASSES.items():
        by_code.setdefault(cls.code, []).append(name)
    assert set(by_code) == set(nucleus.ERROR_CODES)
    assert all(len(names) == 1 for names in by_code.values()), by_code


def test_the_codes_the_design_requires():
    required = {
        "INVALID_RECORD",
        "INVALID_CONFIG",
        "INVALID_CONTEXT",
        "ACCESS_DENIED",
        "MODULE_REJECTED",
        "CHAIN_INVALID",
        "STORAGE_ERROR",
        "STORAGE_UNSUPPORTED",
        "LEDGER_LOCKED",
        "LEDGER_CLOSED",
        "LEDGER_MISMATCH",
    }
    assert required <= set(nucleus.ERROR_CODES)
    assert all(isinstance(text, str) and text for text in nucleus.ERROR_CODES.values())


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (nucleus.ValidationError, "INVALID_RECORD"),
        (nucleus.ConfigError, "INVALID_CONFIG"),
        (nucleus.ArgumentError, "INVALID_ARGUMENT"),
        (nucleus.ContextError, "INVALID_CONTEXT"),
        (nucleus.AccessDenied, "ACCESS_DENIED"),
        (nucleus.ModuleRejected, "MODULE_REJECTED"),
        (nucleus.StorageError, "STORAGE_ERROR"),
        (nucleus.StorageUnsupported, "STORAGE_UNSUPPORTED"),
        (nucleus.LedgerLocked, "LEDGER_LOCKED"),
        (nucleus.LedgerClosed, "LEDGER_CLOSED"),
        (nucleus.LedgerMismatch, "LEDGER_MISMATCH"),
        (nucleus.LedgerFull, "LEDGER_FULL"),
    ],
)
def test_class_codes(cls: type[nucleus.NucleusError], code: str):
    err = cls("what went wrong", details={"x": 1})
    assert err.code == code and str(err) == err.message == "what went wrong"
    assert err.to_json() == {"code": code, "message": "what went wrong", "details": {"x": 1}}
    assert json.loads(json.dumps(err.to_json())) == err.to_json()
    assert isinstance(err, nucleus.NucleusError) and isinstance(err, Exception)


def test_chain_integrity_error_carries_a_report():
    err = nucleus.ChainIntegrityError("entry 3 is broken", seq=3, kind="hash")
    assert err.code == "CHAIN_INVALID" and (err.seq, err.kind) == (3, "hash")
    assert err.report == err.details == {"seq": 3, "kind": "hash", "message": "entry 3 is broken"}
    err.report["seq"] = 99  # a copy
    assert err.seq == 3 and err.details["seq"] == 3


def test_a_code_may_be_overridden_but_must_be_known():
    assert nucleus.NucleusError("x", code="LEDGER_FULL").code == "LEDGER_FULL"
    with pytest.raises(ValueError):
        nucleus.NucleusError("x", code="NOT_A_CODE")


def test_details_default_to_an_empty_dict():
    a, b = nucleus.StorageError("a"), nucleus.StorageError("b")
    assert a.details == {} and a.details is not b.details


def test_the_typescript_code_table_is_the_same_list():
    # js/src/errors.ts exports ERROR_CODES from js/src/generated/engine-rules.ts, which the build generates from
    # this table (tests_py/test_engine_rules.py); the runtime also compares the two when it loads the engine.
    js = Path(__file__).resolve().parents[1] / "js" / "src"
    assert "./generated/engine-rules.js" in (js / "errors.ts").read_text(encoding="utf-8")
    source = (js / "generated" / "engine-rules.ts").read_text(encoding="utf-8")
    table = re.search(r"export const ERROR_CODES = \[(.*?)\] as const;", source, re.S)
    assert table, "ERROR_CODES not found in js/src/generated/engine-rules.ts"
    assert re.findall(r'"([A-Z_]+)"', table.group(1)) == list(nucleus.ERROR_CODES)


@pytest.mark.host_only  # reads the repository's TypeScript and engine sources
def test_every_chain_break_kind_the_engine_raises_is_in_the_typescript_type():
    root = Path(__file__).resolve().parents[1]
    source = (root / "js" / "src" / "errors.ts").read_text(encoding="utf-8")
    union = re.search(r"export type ChainBreakKind = (.*?);", source, re.S)
    assert union, "ChainBreakKind not found in js/src/errors.ts"
    kinds_ts = set(re.findall(r'"([a-z]+)"', union.group(1)))
    engine = "".join(p.read_text(encoding="utf-8") for p in (root / "py" / "nucleus").rglob("*.py"))
    # Raised as ChainIntegrityError(kind=...), or returned as a (None, kind, why) verdict by nucleus/_stored.py.
    raised = re.findall(r'kind="([a-z]+)"|return None, "([a-z]+)", f"entry', engine)
    kinds_py = {kind for pair in raised for kind in pair if kind}
    assert kinds_py <= kinds_ts, f"missing from ChainBreakKind: {sorted(kinds_py - kinds_ts)}"
    assert kinds_ts <= kinds_py, f"ChainBreakKind names kinds the engine never raises: {sorted(kinds_ts - kinds_py)}"
