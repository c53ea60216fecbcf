"""``nucleus info <db>``: what a ledger file holds and who holds its lock, read without verifying or writing."""

from __future__ import annotations

import os
from typing import Any

from ...storage._pg_schema import SCHEMA_VERSION
from .._args import ArgSpec, Parsed, PositionalSpec
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import DbServer, db_file, db_server, inspect, lock_holder, open_existing
from .._host import Host
from .._output import Output, count, iso_time, js_json, js_number, size

#: The closing line: info reads without verifying, so its checkpoint is the legacy {size, hash}, without the Merkle
#: root (which only a verified reading of the tree can vouch for).
_NOT_VERIFIED = (
    "  (not verified here: run `nucleus verify` to check the chain, `nucleus checkpoint` for a verified checkpoint"
    " with its Merkle root)"
)


def run(args: Parsed, out: Output, host: Host) -> int:
    server = db_server(args, args.positionals["db"], "info")
    if server is not None:
        return _server_info(server, out)
    db = db_file(host, args.positionals["db"], "info")
    info = inspect(host, db)
    file_size = os.stat(host.local(db.real)).st_size
    wal = _file_size(host.local(db.real + "-wal"))
    lock = lock_holder(host, db)
    checkpoint = {"size": info["entries"], "hash": info["latestHash"]}
    out.result({"path": db.path, **info, "checkpoint": checkpoint, "fileSize": file_size, "walSize": wal, "lock": lock})
    out.caveats(info["caveats"])

    out.line(db.arg)

    def row(key: str, value: str) -> None:
        out.line(f"  {key.ljust(14)}{value}")

    row("ledger id", info["ledgerId"] or "—")
    row("entries", count(info["entries"]))
    row("latest hash", info["latestHash"] or "— (empty)")
    row("checkpoint", js_json(checkpoint))
    span = f"{iso_time(info['firstTimestamp'])} → {iso_time(info['lastTimestamp'])}"
    row("time span", span if info["entries"] else "—")
    streams = [f"{s['stream']} ({count(s['entries'])})" for s in info["streams"]]
    row("streams", ", ".join(streams) + (", …" if len(streams) == 50 else "") if streams else "—")
    row("format", f"hash format {info['formatVersion']}, SQLite schema {info['schemaVersion']}")
    if info["owner"]:
        row("owner", info["owner"])
    row("file size", size(file_size) + (f" + {size(wal)} write-ahead log" if wal else ""))
    row("lock", _describe_lock(lock))
    out.line(_NOT_VERIFIED)
    return Exit.OK


def _server_info(server: DbServer, out: Output) -> int:
    """What a PostgreSQL ledger holds, read without verifying or writing it. A server has no file size and no lock
    file (PostgreSQL serializes writers itself), so those lines are left out, and so are streams and owner, which
    only the file reader summarizes."""
    storage = open_existing(server)
    try:
        entries = storage.count()
        tip = storage.tip()
        first = next(iter(storage.entries(0)), None) if entries else None
        format_version = storage.format_version
    finally:
        storage.close()
    latest = tip.hash if tip else None
    checkpoint = {"size": entries, "hash": latest}
    out.result(
        {
            "url": server.arg,
            "schema": server.schema,
            "ledgerId": server.ledger_id,
            "formatVersion": format_version,
            "schemaVersion": SCHEMA_VERSION,
            "entries": entries,
            "latestHash": latest,
            "firstTimestamp": first.timestamp if first else None,
            "lastTimestamp": tip.timestamp if tip else None,
            "checkpoint": checkpoint,
            "caveats": [],
        }
    )
    out.line(server.arg)

    def row(key: str, value: str) -> None:
        out.line(f"  {key.ljust(14)}{value}")

    row("ledger id", server.ledger_id)
    row("entries", count(entries))
    row("latest hash", latest or "— (empty)")
    row("checkpoint", js_json(checkpoint))
    row("time span", f"{iso_time(first.timestamp)} → {iso_time(tip.timestamp)}" if first and tip else "—")
    row("format", f"hash format {format_version}, PostgreSQL schema {server.schema} (version {SCHEMA_VERSION})")
    out.line(_NOT_VERIFIED)
    return Exit.OK


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _describe_lock(lock: dict[str, Any] | None) -> str:
    if not lock:
        return "none (no process has it open)"
    pid = "?" if lock["pid"] is None else js_number(lock["pid"])
    who = f"process {pid}"
    if lock["hostname"]:
        who += f" on {lock['hostname']}"
    if lock["tool"]:
        who += f" ({lock['tool']})"
    since = f" since {iso_time(lock['createdAt'])}" if lock["createdAt"] else ""
    if lock["alive"] is False:
        return f"stale: {who} is gone; the next opener replaces the lock"
    if lock["alive"] is None:
        return f"held by {who}{since} (cannot check a process on another host)"
    return f"held by {who}{since}"


COMMAND = Command(
    name="info",
    summary="Show a ledger's id, entries, latest hash, checkpoint, versions, and a file's size and lock holder.",
    description="\n".join(
        [
            "Reads the file read-only, without taking its lock and without verifying the chain (use",
            "`nucleus verify`), so it also works on read-only media, while another process has the ledger open,",
            "and on a broken file. What that reading cannot promise is printed on stderr. Its checkpoint is",
            "therefore the unverified {size, hash}, without the Merkle root: `nucleus checkpoint` prints the",
            "verified one with its root. For a PostgreSQL ledger (postgresql://… --ledger <id>) it shows what the",
            "server holds: there is no file size and no lock.",
        ]
    ),
    spec=ArgSpec((PositionalSpec("db", DB_HELP),), dict(PG_FLAGS)),
    examples=(
        "nucleus info ./data/demo.db",
        "nucleus info ledger.db --json",
        "nucleus info postgres://app@db.example/ledgers --ledger orders --schema audit",
    ),
    run=run,
)
