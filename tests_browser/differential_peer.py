"""The CPython side of the differential tests: the wire form and one run of a corpus, as in
js/test/helpers/peer.mjs (read there what the wire form and a run are), against the engine in py/; and the
proofs' part, as in js/test/helpers/proofs.mjs (``proof_turn``, ``verify_cases``).

Imported by tests_browser/test_differential.py and test_proofs.py; run as a script (``python
differential_peer.py``) by js/test/differential.test.mjs and proofs-vectors.test.mjs, it answers one request per
line on stdin with one JSON line on stdout: a run, or ``{"op": "proofTurn" | "verifyCases", "arg": …}``.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "py") not in sys.path:  # this checkout's engine, whatever the virtualenv has installed
    sys.path.insert(0, str(ROOT / "py"))

import nucleus  # noqa: E402

assert Path(nucleus.__file__).is_relative_to(ROOT / "py"), f"{nucleus.__file__} is not this checkout's engine"

_SPECIAL = {math.inf: "Infinity", -math.inf: "-Infinity"}


def to_wire(value: Any) -> Any:
    """A Python value in wire form. A str must not hold a high surrogate followed by a low one: JSON would
    carry that as an escaped pair, which JavaScript reads as one (valid) character."""
    if value is None or type(value) is bool:
        return value
    if type(value) is str:
        if any("\ud800" <= a <= "\udbff" and "\udc00" <= b <= "\udfff" for a, b in itertools.pairwise(value)):
            raise ValueError(f"{value!r} holds a surrogate pair as two code points")
        return value
    if type(value) is int:
        return ["i", str(value)]
    if type(value) is float:
        # repr is the shortest spelling that reads back exactly ("-0.0", "5e-324"); Number() reads it too
        return ["n", "NaN" if math.isnan(value) else _SPECIAL.get(value, repr(value))]
    if type(value) is list:
        return ["l", [to_wire(v) for v in value]]
    if type(value) is dict:
        return ["o", [[to_wire(k), to_wire(v)] for k, v in value.items()]]  # keys are str: checked as above
    raise TypeError(f"no wire form for {type(value).__name__}")


def from_wire(wire: Any) -> Any:
    """The Python value of a wire form: ``["i", …]`` is an int, ``["n", …]`` a float."""
    if type(wire) is not list:
        return wire
    tag, body = wire
    if tag == "i":
        return int(body)
    if tag == "n":
        return float(body)
    if tag == "l":
        return [from_wire(v) for v in body]
    if tag == "o":
        return {k: from_wire(v) for k, v in body}
    raise ValueError(f"unknown wire tag {tag!r}")


def _refusal(err: Exception) -> dict[str, str]:
    code = err.code if isinstance(err, nucleus.NucleusError) else f"not a NucleusError: {type(err).__name__}"
    return {"code": code, "message": str(err)}


def run(request: dict[str, Any]) -> dict[str, Any]:
    """One run of ``request`` ({ledger, records, exported?, tampered?}) against the engine, as ``runPeer`` does
    it."""
    out: dict[str, Any] = {"verdicts": []}
    with nucleus.Ledger.open(request["ledger"]) as ledger:
        for wire in request["records"]:
            try:
                out["verdicts"].append({"hash": ledger.append(from_wire(wire))})
            except Exception as err:  # any other exception is a disagreement too: report it, never crash
                out["verdicts"].append(_refusal(err))
        out["export"] = ledger.export()
    with nucleus.Ledger.open(request["ledger"]) as whole:
        try:
            out["batch"] = {"hashes": whole.append_batch([from_wire(w) for w in request["records"]])}
        except Exception as err:
            out["batch"] = _refusal(err)
    accepted = [w for w, v in zip(request["records"], out["verdicts"], strict=True) if "hash" in v]
    with nucleus.Ledger.open(request["ledger"]) as batched:
        if accepted:
            batched.append_batch([from_wire(w) for w in accepted])
        out["batchExport"] = batched.export()
    exported = request.get("exported")
    if type(exported) is str:
        with nucleus.Ledger.open(request["ledger"]) as copy:
            try:
                out["imported"] = {"imported": copy.import_entries(exported), "length": len(copy)}
            except Exception as err:
                out["imported"] = _refusal(err)
            out["reexport"] = copy.export()
            out["latestHash"] = copy.latest_hash
            out["readBack"] = copy.query({"limit": 10_000}).records
    if type(request.get("tampered")) is list:
        out["tampered"] = []
        for text in request["tampered"]:
            with nucleus.Ledger.open(request["ledger"]) as copy:
                try:
                    out["tampered"].append({"imported": copy.import_entries(text)})
                except Exception as err:
                    out["tampered"].append({**_refusal(err), "length": len(copy)})
    return out


def vector_record(i: int) -> dict[str, Any]:
    """Record ``i`` of vectors/merkle/ledger.json (``vectorRecord`` of proofs.mjs)."""
    return {"id": f"r{i}", "stream": "s", "timestamp": 1_735_689_600_000 + i, "payload": {"i": i}}


def proof_turn(arg: dict[str, Any], path: str | None = None) -> dict[str, Any]:
    """``proofTurn`` of proofs.mjs: a new ledger (in memory, or the SQLite file ``path``) given ``count`` records of
    ``vector_record`` in batches, its entry hashes, checkpoint and the proofs asked for."""
    count, batch = arg["count"], arg.get("batch", 100)
    storage = nucleus.SqliteStorage(path) if path else None
    with nucleus.Ledger.open(arg["ledger"], storage) as ledger:
        entries: list[str] = []
        for start in range(0, count, batch):
            entries += ledger.append_batch([vector_record(i) for i in range(start, min(count, start + batch))])
        return {
            "entries": entries,
            "checkpoint": ledger.checkpoint().to_json(),
            "inclusion": [ledger.inclusion_proof(seq, size) for seq, size in arg.get("inclusion", [])],
            "consistency": [ledger.consistency_proof(old, new) for old, new in arg.get("consistency", [])],
        }


def verify_cases(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``verifyCases`` of proofs.mjs: ``{"want": True}`` or ``{"want_error": {code, reason}}`` for each
    ``{verify, args}``."""
    out: list[dict[str, Any]] = []
    for case in cases:
        verify = nucleus.verify_inclusion if case["verify"] == "inclusion" else nucleus.verify_consistency
        try:
            out.append({"want": verify(*case["args"])})
        except nucleus.NucleusError as err:
            reason = err.details.get("reason") if err.code == "PROOF_INVALID" else None
            out.append({"want_error": {"code": err.code, "reason": reason}})
    return out


def handle(request: dict[str, Any]) -> Any:
    """One request of ``main``."""
    if request.get("op") == "proofTurn":
        return proof_turn(request["arg"])
    if request.get("op") == "verifyCases":
        return verify_cases(request["arg"])
    return run(request)


def main() -> None:
    """Serve requests: one JSON line in, one JSON line out (ASCII: lone surrogates stay escaped)."""
    for line in sys.stdin.buffer:
        response = handle(json.loads(line))
        sys.stdout.write(json.dumps(response, allow_nan=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
