"""Writes vectors/chain/<case>.json: tamper vectors, each an export (JSON Lines) of one small ledger with
one named mutation, and the error importing it must give (or null for the untouched case).

Run from the repo root: ``python3 vectors/generate_chain.py``. The files are committed; the Python tests
and the Node tests both walk the directory, so every implementation refuses the same tampering the same way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "py"))

import nucleus  # noqa: E402

Lines = list[dict]


def _base() -> str:
    ledger = nucleus.Ledger.open("vectors")
    for i in range(5):
        ledger.append(
            {
                "id": f"r{i}",
                "stream": "events",
                "timestamp": 1700000000000 + i * 1000,
                "payload": {"n": i, "note": "entry"},
            }
        )
    return ledger.export()


def _flip_payload(lines: Lines) -> None:
    lines[3]["record"]["payload"]["n"] = 99  # seq 2


def _drop(lines: Lines) -> None:
    del lines[3]  # seq 2 is gone


def _swap(lines: Lines) -> None:
    lines[2], lines[3] = lines[3], lines[2]  # seq 1 and 2 change places


def _edit_prev(lines: Lines) -> None:
    lines[4]["prev_hash"] = "0" * 64  # seq 3


def _wrong_index(lines: Lines) -> None:
    lines[4]["seq"] = 7  # seq 3 claims to be 7


def _edit_hash(lines: Lines) -> None:
    lines[5]["hash"] = "f" * 64  # seq 4, the tip


def _time_travel(lines: Lines) -> None:
    """seq 1 goes back in time, and the forger recomputes every hash so only the order betrays it."""
    lines[2]["record"]["timestamp"] = 1600000000000
    prev = None
    for line in lines[1:]:
        line["prev_hash"] = prev
        line["hash"] = nucleus.entry_hash("vectors", line["seq"], prev, nucleus.canonicalize(line["record"]))
        prev = line["hash"]


CASES: dict[str, tuple[str, Callable[[Lines], None] | None, dict | None]] = {
    "valid": ("an untouched export imports", None, None),
    "flipped-payload": ("a payload value of seq 2 edited", _flip_payload, {"seq": 2, "kind": "hash"}),
    "dropped-entry": ("seq 2 removed", _drop, {"seq": 2, "kind": "sequence"}),
    "swapped-entries": ("seq 1 and 2 swapped", _swap, {"seq": 1, "kind": "sequence"}),
    "edited-prev-hash": ("prev_hash of seq 3 replaced", _edit_prev, {"seq": 3, "kind": "link"}),
    "wrong-index": ("seq 3 renumbered 7", _wrong_index, {"seq": 3, "kind": "sequence"}),
    "edited-tip-hash": ("the last entry's hash replaced", _edit_hash, {"seq": 4, "kind": "hash"}),
    "timestamp-back": (
        "seq 1's timestamp moved before seq 0's, hashes recomputed",
        _time_travel,
        {"seq": 1, "kind": "timestamp"},
    ),
}


def main() -> None:
    base = _base()
    out_dir = ROOT / "vectors" / "chain"
    for name, (desc, mutate, want) in CASES.items():
        lines = [json.loads(line) for line in base.splitlines()]
        if mutate:
            mutate(lines)
        export = "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines)
        vector = {
            "desc": desc,
            "ledger_id": "vectors",
            "export": export,
            "want_error": None if want is None else {"code": "CHAIN_INVALID", **want},
        }
        (out_dir / f"{name}.json").write_text(json.dumps(vector, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} chain vectors to {out_dir}")


if __name__ == "__main__":
    main()
