"""Opening a SQLite ledger: a full verification against ``verify="from_checkpoint"`` (docs/ENGINE.md, "Opening from
a checkpoint"), in CPython and, with ``--node``, through the npm package (js must be built).

    python3 bench/open_checkpoint.py                 # 100,000 entries, checkpoint at 99,000, CPython
    python3 bench/open_checkpoint.py --node          # the same file opened by Node too
    python3 bench/open_checkpoint.py --size 20000 --at 19000

Prints the median of ``--repeat`` opens (each a new storage and ledger, closed again) per mode, in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "py"))

import nucleus  # noqa: E402

T0 = 1_700_000_000_000

NODE = r"""
const { createLedger, sqliteStorage } = await import(process.argv[6]);
const [path, size, hash, repeat] = [process.argv[2], Number(process.argv[3]), process.argv[4], Number(process.argv[5])];
await (await createLedger({ id: "bench", storage: sqliteStorage(path) })).close(); // loads the engine
const out = {};
for (const verify of ["full", "fromCheckpoint"]) {
  const times = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    const storage = sqliteStorage(path);
    const ledger = await createLedger({ id: "bench", storage, checkpoint: { size, hash }, verify });
    times.push(performance.now() - start);
    await ledger.close();
  }
  times.sort((a, b) => a - b);
  out[verify] = times[Math.floor(times.length / 2)];
}
console.log(JSON.stringify(out));
"""


def build(path: Path, size: int) -> list[str]:
    with nucleus.Ledger.open("bench", nucleus.SqliteStorage(path, durability="fast")) as ledger:
        hashes: list[str] = []
        for start in range(0, size, 10_000):
            batch = [
                {"id": f"r{i}", "stream": f"s{i % 8}", "timestamp": T0 + i, "payload": {"n": i, "who": "bench"}}
                for i in range(start, min(start + 10_000, size))
            ]
            hashes += ledger.append_batch(batch)
        return hashes


def time_open(path: Path, checkpoint: dict[str, object], verify: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        ledger = nucleus.Ledger.open("bench", nucleus.SqliteStorage(path), checkpoint=checkpoint, verify=verify)
        times.append((time.perf_counter() - start) * 1000)
        ledger.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--at", type=int, default=99_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--node", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        hashes = build(path, args.size)
        checkpoint = {"size": args.at, "hash": hashes[args.at - 1]}
        print(f"SQLite ledger of {args.size:,} entries, checkpoint at {args.at:,}; median of {args.repeat} opens")
        for verify in ("full", "from_checkpoint"):
            ms = time_open(path, checkpoint, verify, args.repeat)
            print(f"  CPython {sys.version.split()[0]}  verify={verify!r:<18} {ms:9.1f} ms")
        if args.node:
            script = Path(tmp) / "open.mjs"
            script.write_text(NODE)
            entry = (HERE.parent / "js" / "dist" / "index.js").as_uri()
            node = subprocess.run(["node", "-v"], capture_output=True, text=True).stdout.strip()
            run = subprocess.run(
                ["node", str(script), str(path), str(args.at), str(checkpoint["hash"]), str(args.repeat), entry],
                capture_output=True,
                text=True,
                check=True,
            )
            for verify, ms in json.loads(run.stdout).items():
                print(f"  Node {node:<12} verify={verify!r:<18} {ms:9.1f} ms")


if __name__ == "__main__":
    main()
