"""One list of operations: the engine's table (``nucleus._ledger.OPERATIONS``, which the bridge dispatches from), the
TypeScript ``Ledger`` interface (js/src/types/ledger.ts, whose methods the package sends by name) and docs/BRIDGE.md
name the same operations the same way."""

from __future__ import annotations

import re
from pathlib import Path

from nucleus import _bridge
from nucleus._ledger import OPERATIONS

ROOT = Path(__file__).resolve().parents[1]


def typescript_methods() -> set[str]:
    """The methods of ``Ledger``, ``LedgerModules`` (as ``modules.x``) and ``LedgerAcl`` (as ``acl.x``)."""
    source = (ROOT / "js" / "src" / "types" / "ledger.ts").read_text(encoding="utf-8")
    names: set[str] = set()
    for interface, prefix in (("Ledger", ""), ("LedgerModules", "modules."), ("LedgerAcl", "acl.")):
        body = re.search(rf"^export interface {interface}\b[^{{]*\{{\n(.*?)^\}}", source, re.S | re.M)
        assert body, f"interface {interface} not found in js/src/types/ledger.ts"
        methods = re.findall(r"^  (\w+)\(", body.group(1), re.M)
        assert methods, f"interface {interface} has no methods"
        names.update(prefix + method for method in methods)
    return names


def documented_ops() -> tuple[set[str], set[str]]:
    """The ops of docs/BRIDGE.md's table: those on an open ledger, and those without one (``version``, ``open`` and
    the ``(no `ledger`)`` rows)."""
    text = (ROOT / "docs" / "BRIDGE.md").read_text(encoding="utf-8")
    table = text[text.index("| op | args | result |") :].split("\n\n", 1)[0]
    bound: set[str] = set()
    unbound: set[str] = set()
    for row in table.splitlines()[2:]:
        op_cell, args_cell = row.split(" | ")[:2]
        ops = set(re.findall(r"`([\w.]+)`", op_cell))
        assert ops, f"no op in BRIDGE.md row {row!r}"
        free = "(no `ledger`)" in args_cell or ops <= {"version", "open"}
        (unbound if free else bound).update(ops)
    return bound, unbound


def test_the_typescript_ledger_has_exactly_the_engine_operations():
    ts = typescript_methods()
    assert ts - set(OPERATIONS) == set(), "methods of the TypeScript Ledger that the engine lacks"
    assert set(OPERATIONS) - ts == set(), "engine operations the TypeScript Ledger lacks"


def test_bridge_md_documents_every_operation_and_no_other():
    bound, unbound = documented_ops()
    assert bound == set(OPERATIONS), (sorted(bound - set(OPERATIONS)), sorted(set(OPERATIONS) - bound))
    assert unbound == set(_bridge._UNBOUND), (
        sorted(unbound - set(_bridge._UNBOUND)),
        sorted(set(_bridge._UNBOUND) - unbound),
    )


def test_no_operation_is_both_a_ledger_operation_and_an_unbound_one():
    assert set(OPERATIONS).isdisjoint(_bridge._UNBOUND)
