"""Differential tests across the three runtimes: CPython (the engine in py/), Node (the build in js/dist/, a
child process: js/test/helpers/node-peer.mjs) and Chromium (the ``harness`` page, the engine on the page and
in a Web Worker). One runtime appends generated records one by one and exports; each other runtime appends
the same records on its own (one by one, and as batches) and imports that export. All must give the same
entry hashes, refuse the same records with the same error code, write the same export bytes, give the export
back byte for byte after the import, and read the same records back. Exports of the edge records broken in
the ways TAMPERINGS lists must be refused by every runtime with the same code.

- hypothesis corpus (differential_records.py) appended in CPython, checked in Node and Chromium;
- fast-check corpus (js/test/helpers/records.mjs) appended in Node, checked in CPython and Chromium.

js/test/differential.test.mjs runs the fast-check direction against CPython with shrinking. Records travel
in wire form (differential_peer.py), which keeps lone surrogates, -0, NaN and ±Infinity. Reproducible:
hypothesis is derandomized (a failure names the record, and prints the falsifying batch unshrunk and a reproduce
blob), fast-check runs from FASTCHECK_SEED (a failure names the seed, the batch and the record).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

import differential_peer as cpython
from conftest import ROOT, GuardedPage
from differential_records import batches, edge_records

LEDGER = "diff"
FASTCHECK_SEED = 20_250_708
FASTCHECK_RUNS = 50
HYPOTHESIS_EXAMPLES = 50
PEER_JS = (ROOT / "js" / "test" / "helpers" / "peer.mjs").read_text(encoding="utf-8")
NODE_PEER = ROOT / "js" / "test" / "helpers" / "node-peer.mjs"


class NodePeer:
    """node-peer.mjs, one process (one engine) for the module: a JSON line in, a JSON line out."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(["node", str(NODE_PEER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, request: dict[str, Any]) -> Any:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(request).encode("ascii") + b"\n")  # lone surrogates as \ud800 escapes
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the Node peer exited with {self.process.wait()}"
        return json.loads(line.decode("utf-8"))

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0


@pytest.fixture(scope="module")
def node() -> Iterator[NodePeer]:
    peer = NodePeer()
    yield peer
    peer.close()


def chromium(h: GuardedPage, request: dict[str, Any]) -> dict[str, Any]:
    """runPeer (peer.mjs, imported from a blob: URL) on the harness page, the engine on the page or in its
    worker. Request and result cross as JSON text: Playwright would not carry a lone surrogate intact."""
    text = h.run(
        """async ([source, text]) => {
          const url = () => URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
          window.differentialPeer ??= await import(url());
          return JSON.stringify(await window.differentialPeer.runPeer(window.nucleus, JSON.parse(text)));
        }""",
        [PEER_JS, json.dumps({**request, "worker": h.worker})],
    )
    return json.loads(text)


def _verdict(v: dict[str, Any]) -> dict[str, Any]:
    """A verdict without its message (runtimes may word a refusal differently; codes may not differ)."""
    return {k: v[k] for k in ("hash", "hashes", "code") if k in v}


def assert_agrees(origin: dict[str, Any], other: dict[str, Any], name: str, wire: list[Any], where: str) -> None:
    """``other``, a run of the same records that also imported ``origin``'s export, agrees with ``origin``."""
    assert len(other["verdicts"]) == len(origin["verdicts"]) == len(wire)
    for i, (mine, theirs) in enumerate(zip(origin["verdicts"], other["verdicts"], strict=True)):
        assert _verdict(theirs) == _verdict(mine), (
            f"{where}, record {i} {json.dumps(wire[i])}: the origin gave {mine}, {name} gave {theirs}"
        )
    assert other["export"] == origin["export"], f"{where}: {name}'s export of the same appends differs"
    assert _verdict(other["batch"]) == _verdict(origin["batch"]), f"{where}: {name} {other['batch']} {origin['batch']}"
    assert other["batchExport"] == origin["batchExport"] == origin["export"], f"{where}: batches differ in {name}"
    lines = origin["export"].split("\n")[1:-1]
    assert other["imported"] == {"imported": len(lines), "length": len(lines)}, f"{where}: {name} refused the export"
    assert other["reexport"] == origin["export"], f"{where}: {name} exports the imported ledger differently"
    hashes = [v["hash"] for v in origin["verdicts"] if "hash" in v]
    assert other["latestHash"] == (hashes[-1] if hashes else None)
    records = [json.loads(line)["record"] for line in lines]
    assert other["readBack"] == records, f"{where}: {name} reads back other records"


# Ways to break the last line of an export of the edge records (its record has "id":"e…", "payload":{} and the
# largest timestamp) that every runtime must refuse alike, and the code: lone surrogates in a string or a key,
# raw or escaped; an escape where the exporter writes the character; numbers beyond 2^53−1 or respelled.
TAMPERINGS: list[tuple[str, str, str]] = [
    *(('"id":"', f'"id":"{s}', "INVALID_RECORD") for s in ["\ud800", "\\ud800", "\udc00\ud800", "\\udc00\\ud800"]),
    *(('"payload":{}', f'"payload":{{"{s}":1}}', "INVALID_RECORD") for s in ["\udbff", "\\udbff"]),
    *(('"id":"', f'"id":"{s}', "INVALID_ARGUMENT") for s in ["\\ud83d\\ude00", "\\u2028"]),  # not canonical
    ('"payload":{}', '"payload":{"\\u0085":1}', "INVALID_ARGUMENT"),
    ('"id":"', '"id":"\u2028', "CHAIN_INVALID"),  # canonical, but not the record that was hashed
    ('"timestamp":9007199254740991', '"timestamp":9007199254740992', "INVALID_RECORD"),
    ('"timestamp":9007199254740991', '"timestamp":9007199254740991.0', "INVALID_RECORD"),
    ('"payload":{}', '"payload":{"v":100000000000000000000}', "INVALID_RECORD"),
    ('"payload":{}', '"payload":{"v":1e+20}', "INVALID_RECORD"),
]


def check_tampered_everywhere(harness: GuardedPage, node: NodePeer, export: str, where: str) -> None:
    """Each of TAMPERINGS applied to ``export`` is refused by every runtime with its code, writing nothing."""
    lines = export.split("\n")
    texts = []
    for old, new, _ in TAMPERINGS:
        assert old in lines[-2], (old, lines[-2])
        texts.append("\n".join([*lines[:-2], lines[-2].replace(old, new, 1), ""]))
    request = {"ledger": LEDGER, "records": [], "tampered": texts}
    runs = {
        "CPython": cpython.run(request),
        "Node": node.ask({"op": "run", **request}),
        "Chromium": chromium(harness, request),
    }
    for name, run in runs.items():
        got = [(v.get("code"), v.get("length")) for v in run["tampered"]]
        assert got == [(code, 0) for _, _, code in TAMPERINGS], f"{where}, {name}: {run['tampered']}"


def check_everywhere(harness: GuardedPage, node: NodePeer, records: list[Any], where: str) -> dict[str, Any]:
    """CPython appends ``records`` and exports; Node and Chromium agree. The CPython run."""
    wire = [cpython.to_wire(r) for r in records]
    origin = cpython.run({"ledger": LEDGER, "records": wire})
    request = {"ledger": LEDGER, "records": wire, "exported": origin["export"]}
    assert_agrees(origin, node.ask({"op": "run", **request}), "Node", wire, where)
    browser = f"Chromium ({'worker' if harness.worker else 'page'})"
    assert_agrees(origin, chromium(harness, request), browser, wire, where)
    return origin


def test_edge_records_from_python(harness: GuardedPage, node: NodePeer) -> None:
    edges = edge_records()
    origin = check_everywhere(harness, node, [r for r, _ in edges], "edge records")
    wrong = [(r, v) for (r, accepted), v in zip(edges, origin["verdicts"], strict=True) if ("hash" in v) != accepted]
    assert not wrong, wrong
    assert {v.get("code") for v in origin["verdicts"]} == {None, "INVALID_RECORD"}
    check_tampered_everywhere(harness, node, origin["export"], "the edge records' export from CPython")


@settings(
    max_examples=HYPOTHESIS_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking, which costs minutes here: the message names the record
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(records=batches())
def test_hypothesis_records_appended_in_cpython(harness: GuardedPage, node: NodePeer, records: list[Any]) -> None:
    check_everywhere(harness, node, records, "hypothesis batch")


def test_fastcheck_records_appended_in_node(harness: GuardedPage, node: NodePeer) -> None:
    corpus = node.ask({"op": "corpus", "ledger": LEDGER, "seed": FASTCHECK_SEED, "runs": FASTCHECK_RUNS})
    assert len(corpus) == FASTCHECK_RUNS + 1
    accepted = refused = 0
    for i, item in enumerate(corpus):
        where = "the edge records" if i == 0 else f"fast-check seed {FASTCHECK_SEED}, batch {i} of {FASTCHECK_RUNS}"
        request = {"ledger": LEDGER, "records": item["records"], "exported": item["node"]["export"]}
        assert_agrees(item["node"], cpython.run(request), "CPython", item["records"], where)
        assert_agrees(item["node"], chromium(harness, request), "Chromium", item["records"], where)
        verdicts = item["node"]["verdicts"]
        if i == 0:  # the edge records say what each must give
            assert ["hash" in v for v in verdicts] == item["accepted"], verdicts
            check_tampered_everywhere(harness, node, item["node"]["export"], "the edge records' export from Node")
        accepted += sum("hash" in v for v in verdicts)
        refused += sum("code" in v for v in verdicts)
    assert accepted >= 100 and refused >= 50, (accepted, refused)  # both outcomes, or agreement proves little
