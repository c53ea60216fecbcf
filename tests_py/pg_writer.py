"""One writer process of the PostgreSQL tests: appends to one ledger (single records and batches, interleaved) and
writes one JSON line per resolved call to ``--out``, flushed at once, so that a test that kills it knows exactly
which appends had resolved. Records leave their timestamp to the engine, so that stamps from many writers meet.

    python tests_py/pg_writer.py DSN SCHEMA LEDGER WRITER [--appends N] [--batches B] [--batch-size S]
        [--go FILE] [--out FILE] [--pause-after-insert SECONDS --inserted FILE]

``--go FILE``: wait (at most 60 s) until FILE exists, so that all writers start together. ``--pause-after-insert``:
after inserting a batch's rows, inside the transaction, touch ``--inserted`` and sleep: a test kills the process
there, to show that an uncommitted batch leaves nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))

import nucleus
from nucleus.storage.postgres import PostgresStorage


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("schema")
    parser.add_argument("ledger")
    parser.add_argument("writer", type=int)
    parser.add_argument("--appends", type=int, default=50)
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--go")
    parser.add_argument("--out")
    parser.add_argument("--pause-after-insert", type=float, default=0.0)
    parser.add_argument("--inserted")
    args = parser.parse_args()

    class Pausing(PostgresStorage):
        def _write_and_commit(self, conn: Any, ledger_id: str, entries: Any, nodes: Any) -> None:
            if not (args.pause_after_insert and len(entries) > 1):
                super()._write_and_commit(conn, ledger_id, entries, nodes)
                return
            self._insert(conn, ledger_id, entries)  # executed: the rows are in the open transaction
            self._insert_nodes(conn, ledger_id, nodes)
            Path(args.inserted).write_text(str(os.getpid()))
            time.sleep(args.pause_after_insert)
            conn.execute("COMMIT")

    storage = Pausing(args.dsn, schema=args.schema, application_name=f"nucleus-writer-{args.writer}")
    out = open(args.out, "a", encoding="utf-8") if args.out else None  # noqa: SIM115
    with nucleus.Ledger.open(args.ledger, storage) as ledger:
        if args.go:
            deadline = time.monotonic() + 60
            while not os.path.exists(args.go):
                if time.monotonic() > deadline:
                    print("no go file", file=sys.stderr)
                    return 2
                time.sleep(0.005)
        # The batches spread evenly between the single appends.
        every = max(1, args.appends // (args.batches + 1)) if args.batches else 0
        batch = 0
        for i in range(args.appends):
            h = ledger.append({"id": f"w{args.writer}-a{i}", "stream": f"w{args.writer}", "payload": {"i": i}})
            _report(out, "append", [h])
            if every and (i + 1) % every == 0 and batch < args.batches:
                _report(out, "batch", _batch(ledger, args.writer, batch, args.batch_size), batch)
                batch += 1
        while batch < args.batches:
            _report(out, "batch", _batch(ledger, args.writer, batch, args.batch_size), batch)
            batch += 1
    return 0


def _batch(ledger: nucleus.Ledger, writer: int, batch: int, size: int) -> list[str]:
    records = [
        {"id": f"w{writer}-b{batch}-{j}", "stream": f"w{writer}", "payload": {"batch": batch, "j": j}}
        for j in range(size)
    ]
    return ledger.append_batch(records)


def _report(out: Any, kind: str, hashes: list[str], batch: int | None = None) -> None:
    if out is not None:
        out.write(json.dumps({"kind": kind, "batch": batch, "hashes": hashes}) + "\n")
        out.flush()  # in the kernel once write() returns: a SIGKILL cannot take it back


if __name__ == "__main__":
    sys.exit(main())
