"""The committed tamper vectors (vectors/chain/*.json): each export imports, or is refused exactly as stated.

The Node tests walk the same files, so both runtimes refuse the same tampering the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nucleus

VECTORS = sorted((Path(__file__).resolve().parents[1] / "vectors" / "chain").glob("*.json"))


def test_vectors_exist() -> None:
    assert len(VECTORS) >= 8


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_chain_vector(path: Path) -> None:
    vector = json.loads(path.read_text(encoding="utf-8"))
    ledger = nucleus.Ledger.open(vector["ledger_id"])
    want = vector["want_error"]
    if want is None:
        assert ledger.import_entries(vector["export"]) == len(vector["export"].splitlines()) - 1
        ledger.verify()
        return
    with pytest.raises(nucleus.ChainIntegrityError) as caught:
        ledger.import_entries(vector["export"])
    assert {"code": caught.value.code, "seq": caught.value.seq, "kind": caught.value.kind} == want
    assert len(ledger) == 0  # nothing of a refused export was written
