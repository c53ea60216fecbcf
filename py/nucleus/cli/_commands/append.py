"""``nucleus append <db>``: append one record from the command line."""

from __future__ import annotations

from typing import Any

from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, UsageError, json_flag, time_flag
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import db_file, db_server, validate_record, with_writable_ledger
from .._host import Host
from .._output import Output, iso_time


def run(args: Parsed, out: Output, host: Host) -> int:
    for name in ("stream", "id", "payload"):
        if args.string(name) is None:
            raise UsageError(f"--{name} is required", "append")
    record: dict[str, Any] = {
        "id": args.string("id"),
        "stream": args.string("stream"),
        "payload": json_flag(args, "payload", "append"),
    }
    meta = json_flag(args, "meta", "append")
    if meta is not None:
        record["meta"] = meta
    timestamp = time_flag(args, "timestamp", "append")
    if timestamp is not None:
        record["timestamp"] = timestamp
    ledger_id = args.string("ledger")
    server = db_server(args, args.positionals["db"], "append")
    db = None if server else db_file(host, args.positionals["db"], "append", ledger_id is not None)
    # Before the file is opened (or created, with its directory and lock): a refused record changes nothing.
    validate_record(record, ledger_id)
    where: dict[str, Any] = {"url": server.arg, "schema": server.schema} if server else {"path": db and db.path}

    def use(ledger: Any) -> None:
        entry_hash = ledger.append(record)
        entry = ledger.get_entry(entry_hash)
        stored = entry.record if entry else None
        seq = entry.seq if entry else None
        out.result({**where, "ledgerId": ledger.id, "hash": entry_hash, "seq": seq, "record": stored})
        out.line(entry_hash)
        out.note(f'appended seq {seq} to ledger "{ledger.id}" ({iso_time(stored and stored["timestamp"])})')

    with_writable_ledger(host, server, db, ledger_id, use)
    return Exit.OK


COMMAND = Command(
    name="append",
    summary="Append one record and print its entry hash. The commit is durable before this returns.",
    description="\n".join(
        [
            "Opens the ledger (taking its lock and verifying it first). A file that does not exist is created",
            "when --ledger names the new ledger's id. Without --timestamp the engine stamps the current time.",
            "In a PostgreSQL database (postgresql://… --ledger <id>) the ledger, and its schema, are created when",
            "missing; no lock is taken there and any number of writers may append at once.",
        ]
    ),
    spec=ArgSpec(
        (PositionalSpec("db", DB_HELP),),
        {
            "stream": FlagSpec("string", "the record's stream (required)", value="<name>"),
            "id": FlagSpec("string", "the record's id (required)", value="<record id>"),
            "payload": FlagSpec("string", "the payload: a JSON object or array (required)", value="<json>"),
            "meta": FlagSpec("string", "optional metadata: a JSON object", value="<json>"),
            "timestamp": FlagSpec("string", "ms since the epoch or ISO 8601 (default: now)", value="<time>"),
            "ledger": FlagSpec(
                "string", "a new file's ledger id; with a PostgreSQL URL the ledger (required)", value="<ledger id>"
            ),
            "schema": PG_FLAGS["schema"],
        },
    ),
    examples=(
        "nucleus append ./data/demo.db --stream orders --id order-9 --payload '{\"total\": 12}'",
        "nucleus append new.db --ledger orders --stream orders --id o-1 --payload '[1,2]' --json",
        "nucleus append postgresql://app@db.example/ledgers --ledger orders --stream orders --id o-2 --payload '{}'",
    ),
    run=run,
)
