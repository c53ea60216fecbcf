"""Entry hashes: the committed vectors, an independent re-derivation from docs/FORMAT.md, domain separation."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import pytest
import rfc8785

import nucleus
from nucleus import canonicalize, entry_hash, entry_preimage

VECTORS_FILE = Path(__file__).resolve().parents[1] / "vectors" / "entries.json"
VECTORS = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]
V1_VECTORS = json.loads(VECTORS_FILE.with_name("entries-v1.json").read_text(encoding="utf-8"))["vectors"]
LEDGER = "vectors"


def reference_hash(seq: int, prev: str | None, record: dict, ledger_id: str | None = LEDGER) -> str:
    """docs/FORMAT.md §3 re-derived with other code: rfc8785 for the record, json.dumps for the frame
    (``ledger_id=None``: format 1, which had no ledger member)."""
    frame = {"format": "nucleus-entry-v2", "ledger": ledger_id, "prev": prev, "record": "\x00RECORD\x00", "seq": seq}
    if ledger_id is None:
        frame = {"format": "nucleus-entry-v1", "prev": prev, "record": "\x00RECORD\x00", "seq": seq}
    text = json.dumps(frame, sort_keys=True, separators=(",", ":"))
    preimage = text.encode().replace(b'"\\u0000RECORD\\u0000"', rfc8785.dumps(record))
    return hashlib.sha256(preimage).hexdigest()


def test_vectors_file_is_well_formed():
    doc = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    assert doc["format"] == nucleus.ENTRY_FORMAT_TAG == "nucleus-entry-v2"
    assert all(v["ledger_id"] == LEDGER for v in VECTORS)
    assert len(VECTORS) >= 5
    assert len({v["hash"] for v in VECTORS}) == len(VECTORS)


@pytest.mark.parametrize("v", VECTORS, ids=[v["desc"] for v in VECTORS])
def test_entry_vector(v: dict):
    canonical = canonicalize(v["record"])
    assert canonical.decode("utf-8") == v["canonical"]
    assert rfc8785.dumps(v["record"]) == canonical
    preimage = entry_preimage(LEDGER, v["seq"], v["prev_hash"], canonical)
    assert preimage.decode("utf-8") == v["preimage"]
    assert hashlib.sha256(v["preimage"].encode("utf-8")).hexdigest() == v["hash"]
    assert entry_hash(LEDGER, v["seq"], v["prev_hash"], canonical) == v["hash"]
    assert reference_hash(v["seq"], v["prev_hash"], v["record"]) == v["hash"]


@pytest.mark.parametrize("v", V1_VECTORS, ids=[v["desc"] for v in V1_VECTORS])
def test_format_1_vectors_still_hash_as_they_did(v: dict):
    """Format-1 files stay readable: their hashes (no ledger member) are reproduced exactly."""
    canonical = v["canonical"].encode("utf-8")
    assert entry_hash("any", v["seq"], v["prev_hash"], canonical, format_version=1) == v["hash"]
    assert reference_hash(v["seq"], v["prev_hash"], v["record"], None) == v["hash"]


def test_the_ledger_id_is_bound():
    record = canonicalize({"id": "a", "stream": "s", "timestamp": 1, "payload": {}})
    assert entry_hash("orders", 0, None, record) != entry_hash("orders2", 0, None, record)


def test_vectors_form_a_chain():
    for before, after in itertools.pairwise(VECTORS):
        assert after["prev_hash"] == before["hash"]
    assert VECTORS[0]["prev_hash"] is None and VECTORS[0]["seq"] == 0


def test_formats_documented_example():
    record = {"id": "r1", "stream": "events", "timestamp": 1700000000000, "payload": {}}
    # printf '%s' '{"format":"nucleus-entry-v2","ledger":"orders","prev":null,"record":{"id":"r1","payload":{},
    #   "stream":"events","timestamp":1700000000000},"seq":0}' | sha256sum
    preimage = (
        '{"format":"nucleus-entry-v2","ledger":"orders","prev":null,"record":{"id":"r1","payload":{},'
        '"stream":"events","timestamp":1700000000000},"seq":0}'
    )
    expected = hashlib.sha256(preimage.encode()).hexdigest()
    assert entry_hash("orders", 0, None, canonicalize(record)) == expected
    assert expected in (Path(__file__).resolve().parents[1] / "docs" / "FORMAT.md").read_text(encoding="utf-8")


def test_ledger_appends_reproduce_the_vectors():
    """A ledger appending the leading vectors (seq 0, 1, … with non-decreasing timestamps) gets their hashes."""
    consecutive = [VECTORS[0]]
    for v in VECTORS[1:]:
        if v["seq"] != len(consecutive) or v["record"]["timestamp"] < consecutive[-1]["record"]["timestamp"]:
            break
        consecutive.append(v)
    assert len(consecutive) >= 3
    with nucleus.Ledger.open("vectors") as lg:
        for v in consecutive:
            assert lg.append(v["record"]) == v["hash"]
            assert lg.get_entry(v["hash"]).record_json == v["canonical"]


def test_every_field_is_bound():
    record = canonicalize({"id": "a", "stream": "s", "timestamp": 1, "payload": {"x": 1}})
    other = canonicalize({"id": "a", "stream": "s", "timestamp": 1, "payload": {"x": 2}})
    prev = "0" * 64
    base = entry_hash(LEDGER, 1, prev, record)
    assert entry_hash(LEDGER, 2, prev, record) != base  # seq
    assert entry_hash(LEDGER, 1, "1" * 64, record) != base  # prev
    assert entry_hash(LEDGER, 0, None, record) != entry_hash(LEDGER, 0, prev, record)  # null prev is not zeros
    assert entry_hash(LEDGER, 1, prev, other) != base  # record
    assert entry_hash("other", 1, prev, record) != base  # ledger
    assert len(base) == 64 and base == base.lower() and int(base, 16) >= 0


@pytest.mark.parametrize("v", VECTORS[:3], ids=[v["desc"] for v in VECTORS[:3]])
def test_domain_separation(v: dict):
    canonical = v["canonical"].encode("utf-8")
    h = v["hash"]
    assert h != hashlib.sha256(canonical).hexdigest()  # a plain hash of the record's bytes
    assert (
        h
        != hashlib.sha256(
            json.dumps(
                {"prev": v["prev_hash"], "record": v["record"], "seq": v["seq"]}, sort_keys=True, separators=(",", ":")
            ).encode()
        ).hexdigest()
    )
    untagged = v["preimage"].replace('"format":"nucleus-entry-v2",', "").encode("utf-8")
    assert h != hashlib.sha256(untagged).hexdigest()
    assert v["preimage"].startswith('{"format":"nucleus-entry-v2","ledger":"vectors",')
