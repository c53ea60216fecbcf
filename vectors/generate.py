"""Writes vectors/entries.json: entry-hash test vectors (record, seq, prev -> canonical bytes, preimage, hash).

Run from the repo root: ``python3 vectors/generate.py``. The file is committed; tests check the engine against
it, and a verifier in another language can check itself against it too. The hashes are reproducible with
standard tools: ``printf '%s' "<preimage>" | sha256sum``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "py"))

from nucleus import ENTRY_FORMAT_TAG, canonicalize, entry_hash, entry_preimage  # noqa: E402

# Format 2 binds the ledger id into every entry hash (docs/FORMAT.md §3); vectors/entries-v1.json keeps format 1's.
LEDGER_ID = "vectors"

CASES = [
    (
        "first entry, minimal record",
        0,
        None,
        {"id": "r1", "stream": "events", "timestamp": 1700000000000, "payload": {}},
    ),
    (
        "second entry links to the first",
        1,
        "FIRST",
        {"id": "r2", "stream": "events", "timestamp": 1700000000000, "payload": {"n": 1}},
    ),
    (
        "identical record at another seq gets another hash",
        2,
        "PREV",
        {"id": "r2", "stream": "events", "timestamp": 1700000000000, "payload": {"n": 1}},
    ),
    (
        "meta, array payload, unicode and escapes",
        3,
        "PREV",
        {
            "id": "ünï-€-😀",
            "stream": "proofs",
            "timestamp": 1700000000001,
            "payload": ["tab\there", 'quote"', "\u0001", "é", 1e21, 0.1, -0.0, 9007199254740991],
            "meta": {"z": True, "a": None, "\u20ac": 1, "\U0001f600": 2, "\ue000": 3},
        },
    ),
    (
        "keys sorted by UTF-16 code units",
        4,
        "PREV",
        {"id": "k", "stream": "s", "timestamp": 0, "payload": {"\ufb33": 1, "\U0001d11e": 2, "a": 3, "A": 4}},
    ),
    (
        "large seq",
        123456789,
        "PREV",
        {
            "id": "big",
            "stream": "s",
            "timestamp": 9007199254740991,
            "payload": {"x": [1.5, 2e-7, 1.2345678901234568e21]},
        },
    ),
]


def main() -> None:
    vectors = []
    prev_hash = None
    for desc, seq, prev, record in CASES:
        prev_value = None if prev is None else prev_hash
        canonical = canonicalize(record)
        h = entry_hash(LEDGER_ID, seq, prev_value, canonical)
        vectors.append(
            {
                "desc": desc,
                "ledger_id": LEDGER_ID,
                "seq": seq,
                "prev_hash": prev_value,
                "record": record,
                "canonical": canonical.decode("utf-8"),
                "preimage": entry_preimage(LEDGER_ID, seq, prev_value, canonical).decode("utf-8"),
                "hash": h,
            }
        )
        prev_hash = h
    out = ROOT / "vectors" / "entries.json"
    out.write_text(
        json.dumps({"format": ENTRY_FORMAT_TAG, "vectors": vectors}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(vectors)} vectors to {out}")


if __name__ == "__main__":
    main()
