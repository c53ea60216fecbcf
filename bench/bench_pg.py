"""Benchmarks of PostgresStorage on a throwaway local cluster (tests_py/pg_cluster.py). Prints a table and writes
bench/results/postgres.json.

    python3 bench/bench_pg.py            # full run: about a minute on 2 cores
    python3 bench/bench_pg.py --quick    # shorter runs: a smoke check, not a measurement

Workloads (every commit durable: ``synchronous_commit = on``, ``fsync = on``):

- ``append.pg``: one ``append`` from one process into one ledger (median, p95; p99 in the note).
- ``batch1k.pg``: one ``append_batch`` of 1,000 records.
- ``writers.<k>x1``: ``k`` writer processes (1, 4, 8) appending single records to ONE ledger for a fixed time:
  total entries/s, and the latency of each append (median and p99 over all writers, in the note). They contend for
  the ledger's lock row, and each catches up with the others' entries inside its transaction.
- ``writers.<k>x8``: the same with the writers spread over 8 ledgers (writer i on ledger i): no lock contention.

The cluster's data lives in the system temp folder (``TMPDIR``): fsync costs are that disk's. On a 2-core machine
8 writer processes share 2 cores with the server, so the contended numbers say as much about the box as about the
protocol. Options: ``--out FILE``, ``--duration SECONDS`` (per writers run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "py"))
sys.path.insert(0, str(ROOT / "tests_py"))

import common  # noqa: E402
import nucleus  # noqa: E402
from common import Result, latency_result, percentile, result, time_each, time_repeat  # noqa: E402

SCHEMA = "bench"
WRITER_COUNTS = (1, 4, 8)
STATUSES = ("new", "paid", "shipped", "delivered", "refunded")
# (full, quick)
PLAN = {"append": (2000, 300), "batch_reps": (5, 2), "duration": (5.0, 1.5)}


def make_record(i: int, writer: int = 0) -> dict[str, Any]:
    """A realistic small record (~200 bytes canonical) without a timestamp: the engine stamps it, so that stamps of
    many writers stay non-decreasing."""
    return {
        "id": f"order-{writer:02d}-{i:08d}",
        "stream": "orders",
        "payload": {
            "customer": f"cust-{i % 997:04d}",
            "amount": (i * 7919) % 100_000,
            "currency": "EUR",
            "status": STATUSES[i % len(STATUSES)],
            "items": [f"sku-{i % 13}", f"sku-{i % 17}"],
        },
    }


# -- one writer process ------------------------------------------------------------------------------------------


def worker(dsn: str, ledger_id: str, writer: int, duration: float, go: str) -> None:
    """Append single records to ``ledger_id`` for ``duration`` seconds once ``go`` exists; print a JSON line with
    the count and each append's latency (ms)."""
    with nucleus.Ledger.open(ledger_id, nucleus.PostgresStorage(dsn, schema=SCHEMA)) as ledger:
        ledger.append(make_record(0, writer))  # connect and warm up before the clock starts
        while not os.path.exists(go):
            time.sleep(0.002)
        latencies = []
        clock = time.perf_counter
        start = clock()
        end = start + duration
        i = 1
        while (now := clock()) < end:
            ledger.append(make_record(i, writer))
            latencies.append((clock() - now) * 1e3)
            i += 1
        print(json.dumps({"count": len(latencies), "seconds": clock() - start, "latencies": latencies}))


def writers_run(dsn: str, writers: int, ledgers: int, duration: float, tag: str, tmp: Path) -> Result:
    """``writers`` processes on ``ledgers`` ledgers (writer i on ledger i mod ledgers), all started together."""
    go = tmp / f"go-{tag}"
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", dsn, f"{tag}-{w % ledgers}", str(w), str(duration), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    time.sleep(1.0 + 0.2 * writers)  # every writer has opened its ledger and appended once
    go.touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=duration + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"a writer failed:\n{err}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    count = sum(r["count"] for r in reports)
    seconds = max(r["seconds"] for r in reports)
    latencies = [x for r in reports for x in r["latencies"]]
    label = f"{writers} writer{'s' if writers > 1 else ''} on {'1 ledger' if ledgers == 1 else f'{ledgers} ledgers'}"
    r = result(
        f"writers.{writers}x{ledgers}",
        label,
        "entries/s",
        count / seconds,
        samples=[x / 1e3 for x in latencies],
        scale=1e3,
        note=f"latency ms: median {percentile(latencies, 50):.2f}, p99 {percentile(latencies, 99):.2f}; "
        f"{count} appends in {seconds:.1f} s",
    )
    r.median, r.p95 = None, None  # the columns would read as entries/s: the latencies are in the note
    return r


# -- the run -----------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "postgres.json")
    parser.add_argument("--duration", type=float)
    parser.add_argument("--worker", nargs=5, metavar=("DSN", "LEDGER", "WRITER", "SECONDS", "GO"))
    args = parser.parse_args()
    if args.worker:
        dsn, ledger_id, writer, duration, go = args.worker
        worker(dsn, ledger_id, int(writer), float(duration), go)
        return 0

    import pg_cluster

    mode = "quick" if args.quick else "full"
    pick = 1 if args.quick else 0
    duration = args.duration or PLAN["duration"][pick]
    started = time.time()
    results: list[Result] = []
    load_before = common.load_average()
    with pg_cluster.throwaway_cluster() as cluster:
        dsn = cluster.dsn()
        version = cluster.execute("SHOW server_version")[0][0]
        print(f"PostgreSQL {version} in {cluster.root} (fsync on, synchronous_commit on); {mode} run", flush=True)

        with nucleus.Ledger.open("latency", nucleus.PostgresStorage(dsn, schema=SCHEMA)) as ledger:
            n = PLAN["append"][pick]
            samples = time_each(lambda i: ledger.append(make_record(i)), n, warmup=50)
            p99 = percentile(samples.wall, 99) * 1e3
            results.append(latency_result("append.pg", "append (durable), 1 process", samples, f"p99 {p99:.2f} ms"))
            print(common.format_table(results[-1:]), flush=True)

            counter = iter(range(10**9))

            def batch(_: Any) -> None:
                base = next(counter) * 1000
                ledger.append_batch([make_record(base + j, 1) for j in range(1000)])

            reps = PLAN["batch_reps"][pick]
            batches = time_repeat(batch, reps)
            results.append(common.throughput_result("batch1k.pg", "append_batch of 1,000", 1000, batches))

        tmp = cluster.root / "bench"
        tmp.mkdir()
        for ledgers in (1, 8):
            for writers in WRITER_COUNTS:
                tag = f"w{writers}l{ledgers}"
                results.append(writers_run(dsn, writers, ledgers, duration, tag, tmp))
                print(f"  {results[-1].label}: {results[-1].value:,.0f} entries/s ({results[-1].note})", flush=True)

        with nucleus.Ledger.open("w8l1-0", nucleus.PostgresStorage(dsn, schema=SCHEMA)) as ledger:
            ledger.verify()  # the contended ledger is one gap-free, verifiable chain

    print()
    print(common.format_table(results))
    runtime = common.runtime_info(
        postgres=version,
        psycopg=__import__("psycopg").__version__,
        python=sys.version.split()[0],
        load_before=load_before,
        load_after=common.load_average(),
        duration_s=duration,
    )
    common.finish(args.out, "python-postgres", mode, started, results, runtime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
