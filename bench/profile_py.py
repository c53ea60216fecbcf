"""Profile the engine's hot paths with cProfile and print where the time goes.

    python3 bench/profile_py.py                 # all three: append, batch, open
    python3 bench/profile_py.py batch --top 25  # one of: append, append-fast, batch, open

``append`` profiles 1,000 single appends into SQLite (durability full), ``batch`` ten 10,000-record
batches, ``open`` ``Ledger.open`` (with verification) of a 100,000-entry ledger built beforehand.
cProfile adds overhead per Python call, so read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "py"))

from bench_py import LEDGER_ID, records
from nucleus import Ledger, SqliteStorage


def profile(label: str, fn, top: int) -> None:  # type: ignore[no-untyped-def]
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n=== {label}: {total * 1e3:.0f} ms under cProfile ===")
    stats.sort_stats("tottime").print_stats(top)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    for line in lines[start:]:
        if line.strip():
            print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", help="append, append-fast, batch, open (default: append batch open)")
    parser.add_argument("--top", type=int, default=18)
    args = parser.parse_args()
    args.which = args.which or ["append", "batch", "open"]
    unknown = set(args.which) - {"append", "append-fast", "batch", "open"}
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    work = Path(tempfile.mkdtemp(prefix="nucleus-profile-"))
    try:
        for which in args.which:
            if which in ("append", "append-fast"):
                durability = "full" if which == "append" else "fast"
                ledger = Ledger.open(LEDGER_ID, SqliteStorage(work / f"{which}.db", durability=durability))
                recs = records(0, 1001)
                ledger.append(recs.pop(0))  # first append: table pages, caches
                profile(
                    f"1,000 single appends (SQLite, {durability})",
                    lambda ledger=ledger, recs=recs: [ledger.append(r) for r in recs],
                    args.top,
                )
                ledger.close()
            elif which == "batch":
                ledger = Ledger.open(LEDGER_ID, SqliteStorage(work / "batch.db"))
                chunks = [records(k * 10_000, 10_000) for k in range(10)]
                profile(
                    "10 batches of 10,000 (SQLite, full)",
                    lambda ledger=ledger, chunks=chunks: [ledger.append_batch(c) for c in chunks],
                    args.top,
                )
                ledger.close()
            else:
                path = work / "open.db"
                with Ledger.open(LEDGER_ID, SqliteStorage(path, durability="fast")) as ledger:
                    for k in range(10):
                        ledger.append_batch(records(k * 10_000, 10_000))
                Ledger.open(LEDGER_ID, SqliteStorage(path)).close()  # warm the page cache
                profile(
                    "open + verify 100,000 entries",
                    lambda path=path: Ledger.open(LEDGER_ID, SqliteStorage(path)).close(),
                    args.top,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
