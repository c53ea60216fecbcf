"""``nucleus query <db>``: records by stream, id and time, paged, oldest or newest first."""

from __future__ import annotations

from typing import Any

from ..._ledger import Ledger
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, int_flag, time_flag
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import db_file, db_server, with_read_only_ledger, with_server_ledger
from .._host import Host
from .._output import Output, count, iso_time, js_json


def run(args: Parsed, out: Output, host: Host) -> int:
    server = db_server(args, args.positionals["db"], "query")
    filters: dict[str, Any] = {}
    stream = args.string("stream")
    record_id = args.string("id")
    start = time_flag(args, "from", "query")
    end = time_flag(args, "to", "query")
    limit = int_flag(args, "limit", "query")
    offset = int_flag(args, "offset", "query")
    for key, value in (
        ("stream", stream),
        ("id", record_id),
        ("timestampFrom", start),
        ("timestampTo", end),
        ("limit", limit),
        ("offset", offset),
    ):
        if value is not None:
            filters[key] = value
    if args.flags.get("desc"):
        filters["order"] = "desc"

    def read(ledger: Ledger) -> tuple[dict[str, Any], list[str]]:
        return ledger.query(filters).to_json(), ledger.caveats

    if server is not None:
        result, caveats = with_server_ledger(server, read)
    else:
        result, caveats = with_read_only_ledger(host, db_file(host, args.positionals["db"], "query"), read)
    out.result({**result, "caveats": caveats})
    out.caveats(caveats)
    for r in result["records"]:
        meta = f"  meta {js_json(r['meta'])}" if r.get("meta") is not None else ""
        out.line(f"{iso_time(r['timestamp'])}  {r['stream']}  {r['id']}  {js_json(r['payload'])}{meta}")
    first = (offset or 0) + 1
    shown = len(result["records"])
    total = count(result["total"])
    shown_range = f"{count(first)}–{count(first + shown - 1)} of {total}" if shown else f"0 of {total}"
    more = f"; more with --offset {(offset or 0) + shown}" if result["hasMore"] else ""
    out.line(f"({shown_range} matching records{more})")
    return Exit.OK


COMMAND = Command(
    name="query",
    summary="List records matching every filter given, oldest first (or newest with --desc).",
    description="\n".join(
        [
            "Opens the ledger read-only (no lock is taken and no file beside it is created or changed) and verifies",
            "it first; what the read-only open cannot promise is printed on stderr. Times are milliseconds since",
            "the epoch or ISO 8601 (2024-05-01, 2024-05-01T12:00:00Z); --from and --to are inclusive.",
            "Human output is one line per record: time, stream, id, payload. A PostgreSQL ledger is given as",
            "postgresql://… --ledger <id>.",
        ]
    ),
    spec=ArgSpec(
        (PositionalSpec("db", DB_HELP),),
        {
            "stream": FlagSpec("string", "only records of this stream", value="<name>"),
            "id": FlagSpec("string", "only records with this id", value="<record id>"),
            "from": FlagSpec("string", "only records at or after this time", value="<time>"),
            "to": FlagSpec("string", "only records at or before this time", value="<time>"),
            "limit": FlagSpec("string", "at most n records (default 100, at most 10000)", value="<n>"),
            "offset": FlagSpec("string", "skip the first n matches", value="<n>"),
            "desc": FlagSpec("boolean", "newest first"),
            **PG_FLAGS,
        },
    ),
    examples=(
        "nucleus query ./data/demo.db --stream orders --limit 5",
        "nucleus query ledger.db --from 2024-05-01 --to 2024-05-31T23:59:59Z --desc --json",
        "nucleus query postgresql://app@db.example/ledgers --ledger orders --stream orders",
    ),
    run=run,
)
