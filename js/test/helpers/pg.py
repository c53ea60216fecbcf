"""CPython's half of js/test/postgres.test.mjs, run with $PYTHON (the venv that has psycopg).

    pg.py cluster              start a throwaway cluster (tests_py/pg_cluster.py), print {"dsn", "tcpDsn", "port"} as
                               one JSON line, and keep it until stdin closes (the test ends, or dies): then stop and
                               delete it
    pg.py append DSN SCHEMA ID N BATCHES BATCH
                               append N records and BATCHES batches of BATCH records to ledger ID with
                               PostgresStorage; print the resolved hashes as one JSON line
    pg.py read DSN SCHEMA ID   open (verifying the chain), verify again, print {"length", "export"}
    pg.py tampers              the tampers of tests_py/test_postgres_tamper.py: print {"names", "records"},
                               the records of ledger "t" they expect
    pg.py tamper DSN SCHEMA NAME
                               apply tamper NAME to ledger "t" of SCHEMA (DSN: the cluster's socket DSN); print
                               the {"seq", "kind"} of the CHAIN_INVALID expected
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT / "py"), str(ROOT / "tests_py")]


def _record(tag: str, i: int) -> dict:
    return {"id": f"{tag}-{i}", "stream": "pg", "payload": {"by": tag, "i": i}}


def main(argv: list[str]) -> None:
    if argv[0] == "cluster":
        import pg_cluster

        cluster = pg_cluster.start_cluster()
        try:
            print(json.dumps({"dsn": cluster.dsn(), "tcpDsn": cluster.tcp_dsn(), "port": cluster.port}), flush=True)
            sys.stdin.read()  # until the test closes it
        finally:
            cluster.remove()
        return

    if argv[0] in ("tampers", "tamper"):
        _tamper(argv)
        return

    import nucleus
    from nucleus.storage import PostgresStorage

    dsn, schema, ledger_id = argv[1:4]
    with nucleus.Ledger.open(ledger_id, PostgresStorage(dsn, schema=schema)) as ledger:
        if argv[0] == "append":
            count, batches, size = map(int, argv[4:7])
            tag = f"py{argv[7] if len(argv) > 7 else ''}"
            hashes = [ledger.append(_record(tag, i)) for i in range(count)]
            for b in range(batches):
                hashes += ledger.append_batch([_record(f"{tag}b{b}", i) for i in range(size)])
            print(json.dumps(hashes), flush=True)
        elif argv[0] == "read":
            ledger.verify()
            print(json.dumps({"length": len(ledger), "export": ledger.export()}), flush=True)
        else:
            raise SystemExit(f"unknown command {argv[0]!r}")


def _tamper(argv: list[str]) -> None:
    """The same edits, deletions and insertions as CPython's tamper tests, made as the superuser."""
    import pg_cluster
    import test_postgres_tamper as tampering

    if argv[0] == "tampers":
        records = [tampering.rec(i) for i in range(tampering.N)]
        print(json.dumps({"names": list(tampering.TAMPERS), "records": records}))
        return
    dsn, schema, name = argv[1:4]
    tamper, seq, kind = tampering.TAMPERS[name]

    def sql(statement: str, params: object = None) -> list[tuple[object, ...]]:
        return pg_cluster.attach(dsn).execute(statement.replace("{s}", f'"{schema}"'), params)

    tamper(sql)
    print(json.dumps({"seq": seq, "kind": kind}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
