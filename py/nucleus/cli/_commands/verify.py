"""``nucleus verify <db>``: re-verify a ledger file from scratch, read-only, with a progress bar on a terminal."""

from __future__ import annotations

import time
from typing import Any

from ..._errors import ChainIntegrityError
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, UsageError, parse_json
from .._command import Command, Exit
from .._files import db_file, inspect, read_text, verify_chunk
from .._host import Host
from .._output import Output, count, millis, short_hash, to_fixed

#: Entries per engine call: the bar moves between calls (about every 100 ms on a laptop).
CHUNK = 10_000


def run(args: Parsed, out: Output, host: Host) -> int:
    db = db_file(host, args.positionals["db"], "verify")
    checkpoint = _read_checkpoint(host, args.string("checkpoint"))
    progress = out.progress(True if args.flags.get("progress") else False if args.flags.get("no-progress") else None)
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
            "checkpoint": {"size": at["size"], "hash": at["hash"]},
            "timings": {"engineMs": _round(host.engine_ms), "verifyMs": _round(verify_ms)},
            "caveats": at["caveats"],
        }
    )
    latest = short_hash(at["hash"])
    out.line(f'✓ {db.arg} verifies: ledger "{info["ledgerId"]}", {count(at["size"])} entries, latest {latest}')
    out.line(f"  checked in {millis(verify_ms)} (engine start {millis(host.engine_ms)})")
    out.caveats(at["caveats"])
    return Exit.OK


def _report_broken(out: Output, arg: str, info: dict[str, Any], err: ChainIntegrityError) -> None:
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
            f"  entries 0–{err.seq - 1} are intact; the file holds {count(entries)}"
            if err.seq > 0
            else f"  the file holds {count(entries)} entries"
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
    summary="Verify every entry of a ledger file: hashes, links, sequence, timestamps, index columns.",
    description="\n".join(
        [
            "Reads the file read-only: no lock is taken and no file is created or changed, so it works on",
            "read-only media and while another process has the ledger open; what that cannot promise is printed",
            'on stderr (and under "caveats" with --json). Reports the first bad sequence number and what broke',
            "there. On a terminal, stderr shows the engine starting and then a bar as the chain is checked.",
        ]
    ),
    spec=ArgSpec(
        (PositionalSpec("db", "the ledger's SQLite file"),),
        {
            "checkpoint": FlagSpec(
                "string", "also check a kept checkpoint: JSON {size, hash}, its text form, or @file", value="<cp>"
            ),
            "progress": FlagSpec("boolean", "draw the progress bar even when stderr is not a terminal"),
            "no-progress": FlagSpec("boolean", "never draw the progress bar"),
        },
    ),
    examples=("nucleus verify ./data/demo.db", "nucleus verify ledger.db --checkpoint @checkpoint.txt --json"),
    run=run,
)
