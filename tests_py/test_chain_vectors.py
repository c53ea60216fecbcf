"""The committed chain vectors (vectors/chain/*.json, docs/FORMAT.md §8): each reaches exactly the stated verdict.

An export is imported into a new in-memory ledger and, when the vector has a checkpoint, verified against it; a
stored copy is written into a SQLite ledger file (vectors/stored_file.py), which is then opened with the
checkpoint. The error must match ``want_error`` exactly: code, seq and kind, and the export line and
LEDGER_MISMATCH reason when the engine gives them. The Node tests (js/test/chain-vectors.test.mjs) run the same
files through the npm package.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

import nucleus

ROOT = Path(__file__).resolve().parents[1]
VECTORS = sorted((ROOT / "vectors" / "chain").glob("*.json"))
COMMON = ("desc", "rule", "ledger_id", "want_error")
KINDS = ("sequence", "link", "hash", "record", "derived", "timestamp", "acl", "checkpoint", "format", "size")

_spec = importlib.util.spec_from_file_location("stored_file", ROOT / "vectors" / "stored_file.py")
assert _spec is not None and _spec.loader is not None
stored_file = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stored_file)


def _load(path: Path) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return vector


def verdict(err: nucleus.NucleusError) -> dict[str, Any]:
    """An error as a vector states it."""
    out = {"code": err.code, "seq": getattr(err, "seq", None), "kind": getattr(err, "kind", None)}
    out.update({key: err.details[key] for key in ("line", "reason") if key in err.details})
    return out


def run_export(vector: dict[str, Any]) -> None:
    text = vector["export"]
    ledger = nucleus.Ledger.open(vector["ledger_id"])
    try:
        added = ledger.import_entries(text)
    except nucleus.NucleusError:
        assert len(ledger) == 0  # nothing of a refused export was written
        raise
    assert added == len(text.split("\n")) - 1 - text.endswith("\n")
    assert ledger.export() == (text if text.endswith("\n") else text + "\n")  # the records as they were
    if "checkpoint" in vector:
        ledger.verify(vector["checkpoint"])
    ledger.verify()


def run_stored(vector: dict[str, Any], db: Path) -> None:
    nucleus.Ledger.open(vector["ledger_id"], nucleus.SqliteStorage(db)).close()
    stored_file.write_tables(str(db), vector["stored"])
    storage = nucleus.SqliteStorage(db)
    with nucleus.Ledger.open(vector["ledger_id"], storage, checkpoint=vector.get("checkpoint")) as ledger:
        assert len(ledger) == len(vector["stored"]["entries"])
        ledger.verify(vector.get("checkpoint"))


def test_vectors_cover_every_kind() -> None:
    vectors = [_load(p) for p in VECTORS]
    assert len(vectors) >= 100
    assert {v["want_error"]["kind"] for v in vectors if v["want_error"]} == {*KINDS, None}
    for v in vectors:
        members = set(v) - {"checkpoint"}
        assert members in ({*COMMON, "export"}, {*COMMON, "stored"}), v["desc"]
        assert v["rule"].startswith("§"), v["desc"]
        want = v["want_error"]
        assert want is None or {"code", "seq", "kind"} <= set(want) <= {"code", "seq", "kind", "line", "reason"}


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_chain_vector(path: Path, tmp_path: Path) -> None:
    vector = _load(path)
    try:
        if "export" in vector:
            run_export(vector)
        else:
            run_stored(vector, tmp_path / "ledger.db")
    except nucleus.NucleusError as err:
        assert verdict(err) == vector["want_error"], err.message
    else:
        assert vector["want_error"] is None, "the engine accepted it"
