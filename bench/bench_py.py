"""Benchmarks of the pure-Python engine on CPython. Prints a table and writes bench/results/python.json.

    python3 bench/bench_py.py            # full run (well under 3 minutes on 2 cores)
    python3 bench/bench_py.py --quick    # fewer samples, for a smoke check (~15 s)

Options: ``--out FILE`` (JSON path), ``--workdir DIR`` (where the ledgers are built; default: a new
temporary directory, which should be on the disk you care about because fsync cost is the disk's),
``--keep`` (leave the built ledgers there). The engine is imported from this checkout's ``py/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "py"))

import common  # noqa: E402
import nucleus  # noqa: E402
from common import Result, latency_result, median, result, throughput_result, time_each, time_repeat  # noqa: E402
from nucleus import Ledger, MemoryStorage, SqliteStorage  # noqa: E402

LEDGER_ID = "bench"
T0 = 1_700_000_000_000
STATUSES = ("new", "paid", "shipped", "delivered", "refunded")

# Samples per workload: (full, quick).
PLAN = {
    "append_memory": (5000, 300),
    "append_full": (1000, 150),
    "append_fast": (3000, 300),
    "batch_reps": (7, 2),
    "open_1k": (20, 3),
    "open_10k": (10, 3),
    "open_100k": (5, 2),
    "rss_reps": (3, 1),
    "module_query": (200, 20),
}


def make_record(i: int) -> dict[str, Any]:
    """A realistic small record: id, stream, timestamp and a five-field payload (~200 bytes canonical)."""
    return {
        "id": f"order-{i:08d}",
        "stream": "orders",
        "timestamp": T0 + i,
        "payload": {
            "customer": f"cust-{i % 997:04d}",
            "amount": (i * 7919) % 100_000,
            "currency": "EUR",
            "status": STATUSES[i % 5],
            "items": [f"sku-{i % 31}", f"sku-{i % 17}"],
        },
    }


def records(start: int, n: int) -> list[dict[str, Any]]:
    return [make_record(i) for i in range(start, start + n)]


class Bench:
    def __init__(self, workdir: Path, quick: bool):
        self.workdir = workdir
        self.quick = quick
        self.results: list[Result] = []
        self.rss_method = ""
        self._files = 0

    def n(self, key: str) -> int:
        return PLAN[key][1 if self.quick else 0]

    def path(self, name: str) -> str:
        self._files += 1
        return str(self.workdir / f"{self._files:03d}-{name}.db")

    def add(self, r: Result) -> None:
        self.results.append(r)
        print(f"  {r.label}: {common._fmt(r.value)} {r.unit}", file=sys.stderr, flush=True)

    # -- single appends --------------------------------------------------------------------------------

    def single_append(self, rid: str, label: str, storage: Any, key: str) -> None:
        n = self.n(key)
        with Ledger.open(LEDGER_ID, storage) as ledger:
            recs = records(0, n + 50)
            samples = time_each(lambda i: ledger.append(recs[i]), n, warmup=50)
        self.add(latency_result(rid, label, samples))

    def floor_single_commit(self, rid: str, label: str, sync: str) -> None:
        """Raw sqlite3: our schema, WAL, BEGIN IMMEDIATE / INSERT / COMMIT per row; no engine."""
        conn = self._raw_db(sync)
        n = self.n("append_full" if sync == "FULL" else "append_fast")
        rows = self._raw_rows(n + 50)

        def one(i: int) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(_RAW_INSERT, rows[i])
            conn.execute("COMMIT")

        samples = time_each(one, n, warmup=50)
        conn.close()
        self.add(latency_result(rid, label, samples, note="floor: raw sqlite3, no engine"))

    def floor_fdatasync(self) -> None:
        """The disk itself: append 4 KiB to a file and fdatasync it."""
        path = self.path("fsync")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        block = b"x" * 4096
        sync = getattr(os, "fdatasync", os.fsync)

        def one(_: int) -> None:
            os.write(fd, block)
            sync(fd)

        samples = time_each(one, self.n("append_full"), warmup=20)
        os.close(fd)
        self.add(
            latency_result("floor.fdatasync_4k", "floor: write 4 KiB + fdatasync", samples, note="floor: the disk")
        )

    def _raw_db(self, sync: str) -> sqlite3.Connection:
        from nucleus.storage._schema import MIGRATIONS

        conn = sqlite3.connect(self.path(f"raw-{sync.lower()}"), isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {sync}")
        conn.executescript(MIGRATIONS[0])
        return conn

    @staticmethod
    def _raw_rows(n: int) -> list[tuple[Any, ...]]:
        rows = []
        prev = None
        for i in range(n):
            p = nucleus.canonicalize(make_record(i))
            h = nucleus.entry_hash("bench", i, prev, p)
            rows.append((i, h, prev, f"order-{i:08d}", "orders", T0 + i, p.decode()))
            prev = h
        return rows

    # -- batch -----------------------------------------------------------------------------------------

    def batch(self) -> None:
        """Each rep: a fresh ledger file, one timed ``append_batch`` of 10,000 records (after one untimed
        warm-up batch, so the first run's one-time costs do not count)."""
        recs = records(0, 10_000)

        def setup(rep: int) -> Ledger:
            return Ledger.open(LEDGER_ID, SqliteStorage(self.path("batch")))

        def run(ledger: Ledger) -> Ledger:
            ledger.append_batch(recs)
            return ledger

        time_repeat(run, 1, setup=setup, teardown=Ledger.close)
        samples = time_repeat(run, self.n("batch_reps"), setup=setup, teardown=Ledger.close)
        self.add(throughput_result("batch10k.sqlite", "batch 10,000 records (SQLite, full)", 10_000, samples))

    def floor_batch(self) -> None:
        rows = self._raw_rows(10_000)

        def setup(_: int) -> sqlite3.Connection:
            return self._raw_db("FULL")

        def once(conn: sqlite3.Connection) -> sqlite3.Connection:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(_RAW_INSERT, rows)
            conn.execute("COMMIT")
            return conn

        samples = time_repeat(once, self.n("batch_reps"), setup=setup, teardown=lambda conn: conn.close())
        self.add(
            throughput_result(
                "floor.batch10k_sqlite",
                "floor: raw executemany 10,000 rows",
                10_000,
                samples,
                "floor: raw sqlite3, rows pre-hashed; ",
            )
        )

    # -- open + verify ---------------------------------------------------------------------------------

    def build(self, n: int) -> str:
        """A ledger of ``n`` entries, built with batches of 10,000 in fast durability (not timed)."""
        path = self.path(f"ledger-{n}")
        with Ledger.open(LEDGER_ID, SqliteStorage(path, durability="fast")) as ledger:
            for start in range(0, n, 10_000):
                ledger.append_batch(records(start, min(10_000, n - start)))
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return path

    def open_verify(self, n: int, path: str, key: str, label: str) -> None:
        def once(_: Any) -> Ledger:
            return Ledger.open(LEDGER_ID, SqliteStorage(path))

        def check(ledger: Ledger) -> None:
            assert len(ledger) == n, (len(ledger), n)
            ledger.close()

        once(None).close()  # warm the OS page cache: we measure the engine, not a cold disk
        samples = time_repeat(once, self.n(key), teardown=check)
        self.add(latency_result(f"open_verify.{label.lower()}", f"open + verify {label} entries (SQLite)", samples))

    def rss(self, path: str) -> None:
        probes: list[dict[str, Any]] = []
        for _ in range(self.n("rss_reps")):
            out = subprocess.run(
                [sys.executable, str(HERE / "rss_probe.py"), path, LEDGER_ID],
                check=True,
                capture_output=True,
                text=True,
            )
            probes.append(json.loads(out.stdout))
        added = [p["added_kb"] / 1024 for p in probes]
        self.add(
            result(
                "rss.open_100k",
                "RSS added by opening 100K entries",
                "MB",
                median(added),
                samples=added,
                note=f"fresh process; baseline {probes[0]['baseline_kb'] / 1024:.1f} MB after imports",
            )
        )
        self.rss_method = probes[0]["method"]

    def module_query(self, path: str) -> None:
        """A module-filtered query on the 100K ledger: ``customer`` declared filterable by the ``asset`` module (997
        customers, ~100 matches each), a page of 100. An untimed open creates the index; in the next session the first
        query, which checks the index against the entries, is timed apart."""
        modules = [{"id": "asset", "config": {"stream": "orders", "requiredFields": ["customer"]}}]
        Ledger.open(LEDGER_ID, SqliteStorage(path), modules=modules).close()  # creates the index
        with Ledger.open(LEDGER_ID, SqliteStorage(path), modules=modules) as ledger:
            t0 = time.perf_counter()
            ledger.query(moduleFilters={"asset": {"customer": "cust-0000"}})
            first = (time.perf_counter() - t0) * 1000
            samples = time_each(
                lambda i: ledger.query(moduleFilters={"asset": {"customer": f"cust-{i % 997:04d}"}}),
                self.n("module_query"),
                warmup=3,
            )
        label = "module-filtered query, 100K entries (SQLite)"
        self.add(latency_result("query.module_100k", label, samples, f"first query {first:.0f} ms (checks the index)"))

    # -- all -------------------------------------------------------------------------------------------

    def run(self) -> None:
        steps: list[tuple[str, Callable[[], None]]] = [
            (
                "append memory",
                lambda: self.single_append("append.memory", "single append (memory)", MemoryStorage(), "append_memory"),
            ),
            (
                "append sqlite full",
                lambda: self.single_append(
                    "append.sqlite_full",
                    "single append (SQLite, full)",
                    SqliteStorage(self.path("full")),
                    "append_full",
                ),
            ),
            (
                "floor commit full",
                lambda: self.floor_single_commit("floor.commit_full", "floor: raw insert+commit (WAL, FULL)", "FULL"),
            ),
            ("floor fdatasync", self.floor_fdatasync),
            (
                "append sqlite fast",
                lambda: self.single_append(
                    "append.sqlite_fast",
                    "single append (SQLite, fast)",
                    SqliteStorage(self.path("fast"), durability="fast"),
                    "append_fast",
                ),
            ),
            (
                "floor commit normal",
                lambda: self.floor_single_commit(
                    "floor.commit_normal", "floor: raw insert+commit (WAL, NORMAL)", "NORMAL"
                ),
            ),
            ("batch", self.batch),
            ("floor batch", self.floor_batch),
        ]
        for name, step in steps:
            print(f"[{name}]", file=sys.stderr, flush=True)
            step()
        for n, label, key in ((1_000, "1K", "open_1k"), (10_000, "10K", "open_10k"), (100_000, "100K", "open_100k")):
            print(f"[build {label}]", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            path = self.build(n)
            print(f"  built in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
            print(f"[open+verify {label}]", file=sys.stderr, flush=True)
            self.open_verify(n, path, key, label)
            if n == 100_000:
                print("[rss 100K]", file=sys.stderr, flush=True)
                self.rss(path)
                print("[module query 100K]", file=sys.stderr, flush=True)
                self.module_query(path)


_RAW_INSERT = (
    "INSERT INTO entries (seq, hash, prev_hash, record_id, stream, timestamp, record) VALUES (?, ?, ?, ?, ?, ?, ?)"
)

ORDER = [
    "append.memory",
    "append.sqlite_full",
    "floor.commit_full",
    "floor.fdatasync_4k",
    "append.sqlite_fast",
    "floor.commit_normal",
    "batch10k.sqlite",
    "floor.batch10k_sqlite",
    "open_verify.1k",
    "open_verify.10k",
    "open_verify.100k",
    "rss.open_100k",
    "query.module_100k",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Nucleus Python engine benchmarks (CPython).")
    parser.add_argument("--quick", action="store_true", help="fewer samples: a smoke check, not a measurement")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "python.json", help="JSON output path")
    parser.add_argument("--workdir", type=Path, help="directory for the ledgers (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the ledgers built in the workdir")
    args = parser.parse_args(argv)

    started = time.time()
    load_before = common.load_average()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="nucleus-bench-", dir=args.workdir))
    else:
        workdir = Path(tempfile.mkdtemp(prefix="nucleus-bench-"))
    bench = Bench(workdir, args.quick)
    try:
        bench.run()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results = sorted(bench.results, key=lambda r: ORDER.index(r.id) if r.id in ORDER else len(ORDER))
    mode = "quick" if args.quick else "full"
    runtime = common.runtime_info(
        python=sys.version.split()[0],
        implementation=sys.implementation.name,
        sqlite=sqlite3.sqlite_version,
        nucleus=getattr(nucleus, "__version__", "?"),
        workdir=str(workdir),
        kept=args.keep,
        loadavg_before=load_before,
        loadavg_after=common.load_average(),
        rss_method=bench.rss_method,
    )
    print()
    print(
        f"Nucleus Python engine — CPython {runtime['python']}, SQLite {runtime['sqlite']}, "
        f"{runtime['cpus']} CPUs, {mode} run, {time.time() - started:.0f} s, "
        f"load average {load_before} before / {runtime['loadavg_after']} after"
    )
    print(common.format_table(results))
    print(f"\nRSS: {bench.rss_method}.")
    if (
        load_before
        and runtime["loadavg_after"]
        and max(load_before[0], runtime["loadavg_after"][0]) > 0.5 * (os.cpu_count() or 1)
    ):
        print("warning: the machine was busy during this run; wall times are inflated (compare cpu ms/op)")
    common.finish(args.out, "python", mode, started, results, runtime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
