"""``nucleus verify <db>``: re-verify a ledger file from scratch, read-only, with a progress bar on a terminal."""

from __future__ import annotations

import time
from typing import Any

from ..._errors import ChainIntegrityError
from ..._ledger import Ledger
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, UsageError, parse_json
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import DbServer, db_file, db_server, inspect, open_existing, read_text, verify_chunk
from .._host import Host
from .._output import Output, count, millis, short_hash, to_fixed

#: Entries per engine call: the bar moves between calls (about every 100 ms on a laptop).
CHUNK = 10_000


def run(args: Parsed, out: Output, host: Host) -> int:
    server = db_server(args, args.positionals["db"], "verify")
    checkpoint = _read_checkpoint(host, args.string("checkpoint"))
    progress = out.progress(True if args.flags.get("progress") else False if args.flags.get("no-progress") else None)
    if server is not None:
        return _verify_server(server, checkpoint, out, host, progress)
    db = db_file(host, args.positionals["db"], "verify")
    info: dict[str, Any] | None = None
    at: dict[str, Any] | None = None
    started = time.perf_counter()
    try:
        info = inspect(host, db)
        total = info["entries"]
        label = f"verifying {count(total)} entries"
        progress.bar(label, 0, total)
        while True:
            at = verify_chunk(host, db, at, CHUNK, checkpoint)
            progress.bar(label, at["size"], total)
            if at["done"]:
                break
    except ChainIntegrityError as err:
        progress.done()
        if info is None:
            raise
        _report_broken(out, db.arg, info, err)
        return Exit.BROKEN
    finally:
        progress.done()
    verify_ms = (time.perf_counter() - started) * 1000
    out.result(
        {
            "ok": True,
            "path": db.path,
            "ledgerId": info["ledgerId"],
            "entries": at["size"],
            "latestHash": at["hash"],
            "checkpoint": at["checkpoint"],
            "timings": {"engineMs": _round(host.engine_ms), "verifyMs": _round(verify_ms)},
            "caveats": at["caveats"],
        }
    )
    latest = short_hash(at["hash"])
    out.line(f'✓ {db.arg} verifies: ledger "{info["ledgerId"]}", {count(at["size"])} entries, latest {latest}')
    out.line(f"  checked in {millis(verify_ms)} (engine start {millis(host.engine_ms)})")
    out.caveats(at["caveats"])
    return Exit.OK


def _verify_server(server: DbServer, checkpoint: Any, out: Output, host: Host, progress: Any) -> int:
    """Verifies a PostgreSQL ledger by opening it, which verifies it whole (and against ``checkpoint``): the file
    path's chunked walk reads SQLite files only. The bar shows the start and the end."""
    storage = open_existing(server)
    info: dict[str, Any] = {"ledgerId": server.ledger_id, "entries": 0, "caveats": []}
    started = time.perf_counter()
    try:
        info["entries"] = total = storage.count()
        label = f"verifying {count(total)} entries"
        progress.bar(label, 0, total)
        ledger = Ledger.open(server.ledger_id, storage, checkpoint=checkpoint)
    except ChainIntegrityError as err:
        storage.close()
        progress.done()
        _report_broken(out, server.arg, info, err, "the ledger")
        return Exit.BROKEN
    except BaseException:
        storage.close()
        raise
    finally:
        progress.done()
    try:
        size, latest_hash, checkpoint_json = len(ledger), ledger.latest_hash, ledger.checkpoint().to_json()
    finally:
        ledger.close()
    verify_ms = (time.perf_counter() - started) * 1000
    out.result(
        {
            "ok": True,
            "url": server.arg,
            "schema": server.schema,
            "ledgerId": server.ledger_id,
            "entries": size,
            "latestHash": latest_hash,
            "checkpoint": checkpoint_json,
            "timings": {"engineMs": _round(host.engine_ms), "verifyMs": _round(verify_ms)},
            "caveats": [],
        }
    )
    out.line(
        f'✓ {server.arg} verifies: ledger "{server.ledger_id}" (schema {server.schema}), {count(size)} entries, '
        f"latest {short_hash(latest_hash)}"
    )
    out.line(f"  checked in {millis(verify_ms)} (engine start {millis(host.engine_ms)})")
    return Exit.OK


def _report_broken(
    out: Output, arg: str, info: dict[str, Any], err: ChainIntegrityError, holder: str = "the file"
) -> None:
    entries = info["entries"]
    message = out.host.host_text(err.message)
    out.result(
        {
            "ok": False,
            "path": arg,
            "ledgerId": info["ledgerId"],
            "entries": entries,
            "error": {"code": err.code, "seq": err.seq, "kind": err.kind, "message": message},
            "caveats": info["caveats"],
        }
    )
    out.line(f'✗ {arg} does not verify: ledger "{info["ledgerId"]}" breaks at seq {err.seq} ({err.kind})')
    out.line(f"  {message}")
    if err.kind in ("sequence", "link", "hash", "timestamp"):
        out.line(
            f"  entries 0–{err.seq - 1} are intact; {holder} holds {count(entries)}"
            if err.seq > 0
            else f"  {holder} holds {count(entries)} entries"
        )


def _read_checkpoint(host: Host, value: str | None) -> Any:
    """``--checkpoint``: JSON ``{size, hash}``, the text form, or ``@file`` holding either. The engine checks it."""
    if value is None:
        return None
    text = value
    if value.startswith("@"):
        try:
            text = read_text(host, value[1:])
        except OSError as err:
            raise UsageError(f"--checkpoint {value}: cannot read the file ({err.strerror or err})", "verify") from None
    if text.lstrip().startswith("{"):
        try:
            return parse_json(text)
        except (ValueError, RecursionError):
            raise UsageError(
                '--checkpoint is not valid JSON; give {"size": n, "hash": "…"} or the text form', "verify"
            ) from None
    return text


def _round(ms: float) -> float:
    return float(to_fixed(ms * 10, 0)) / 10


COMMAND = Command(
    name="verify",
    summary="Verify every entry of a ledger: hashes, links, sequence, timestamps, index columns.",
    description="\n".join(
        [
            "Reads the file read-only: no lock is taken and no file is created or changed, so it works on",
            "read-only media and while another process has the ledger open; what that cannot promise is printed",
            'on stderr (and under "caveats" with --json). Reports the first bad sequence number and what broke',
            "there. On a terminal, stderr shows the engine starting and then a bar as the chain is checked.",
            "A PostgreSQL ledger (postgresql://… --ledger <id>) is read the same way; it needs no lock.",
            "--json prints {ok, path, ledgerId, entries, latestHash, checkpoint, timings, caveats}: the checkpoint",
            "{origin, size, root, hash} is the one `nucleus checkpoint --json` prints, Merkle root included.",
        ]
    ),
    spec=ArgSpec(
        (PositionalSpec("db", DB_HELP),),
        {
            "checkpoint": FlagSpec(
                "string", "also check a kept checkpoint: JSON {size, hash}, its text form, or @file", value="<cp>"
            ),
            "progress": FlagSpec("boolean", "draw the progress bar even when stderr is not a terminal"),
            "no-progress": FlagSpec("boolean", "never draw the progress bar"),
            **PG_FLAGS,
        },
    ),
    examples=(
        "nucleus verify ./data/demo.db",
        "nucleus verify ledger.db --checkpoint @checkpoint.txt --json",
        "nucleus verify postgresql://app@db.example/ledgers --ledger orders",
    ),
    run=run,
)
