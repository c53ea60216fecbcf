"""``nucleus upgrade <old> <new> --ledger <id>``: copy a format-1 ledger file into a new format-2 file."""

from __future__ import annotations

import os
import time

from ..._errors import ConfigError, LedgerMismatch
from ..._upgrade import upgrade_file
from ...storage._schema import TREE_SCHEMA
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, UsageError
from .._command import Command, Exit
from .._files import UnusableError, db_file, inspect, is_url, mask_url
from .._host import Host
from .._output import Output, count, js_json, to_fixed


def run(args: Parsed, out: Output, host: Host) -> int:
    for name in ("old", "new"):
        if is_url(args.positionals[name]):
            # Format 1 exists only as SQLite files, and an upgrade writes a new file; a PostgreSQL store holds
            # format 2 only (`nucleus import` copies an export into one).
            raise UsageError(
                f"upgrade reads and writes SQLite files only, not {mask_url(args.positionals[name])}: format 1 exists "
                "only as files; to move a ledger into PostgreSQL, export it and `nucleus import` the export",
                "upgrade",
            )
    ledger_id = args.string("ledger")
    if ledger_id is None:
        raise UsageError(
            "--ledger is required: the ledger id the old file holds (`nucleus info <old>` shows it)", "upgrade"
        )
    source = db_file(host, args.positionals["old"], "upgrade")
    target = db_file(host, args.positionals["new"], "upgrade", True)
    if target.exists:
        raise UnusableError(
            f"{target.arg} exists already; the upgrade writes a new file and never overwrites one", "EXISTS"
        )
    directory = os.path.dirname(target.path)
    if not os.path.isdir(host.local(os.path.dirname(target.real))):
        raise UnusableError(f"{directory}: no such directory (the upgrade creates none)", "NOT_FOUND")
    # Refused here, before <new>'s lock is taken, whatever can be: a refused upgrade creates no file at all.
    old = inspect(host, source)
    if old["ledgerId"] != ledger_id:
        raise LedgerMismatch(
            f"{source.arg} holds ledger {js_json(old['ledgerId'])}, not {js_json(ledger_id)}",
            details={"reason": "other_ledger", "found": old["ledgerId"], "expected": ledger_id},
        )
    if old["formatVersion"] != 1:
        # A format-2 file from before the Merkle tree (SQLite schema 2) needs no copy either: the first open that
        # may write migrates it in place, and read-only commands build its tree in memory meanwhile.
        no_tree = old["schemaVersion"] < TREE_SCHEMA
        raise ConfigError(
            f"{source.arg} is in format {old['formatVersion']} already; nothing to upgrade"
            + (
                ". It keeps no Merkle tree yet (SQLite schema "
                f"{old['schemaVersion']}): the first command that opens it to write (e.g. `nucleus append`, or the "
                "library opening it without read-only) adds the tree in place; read-only commands (checkpoint, prove) "
                "build it in memory meanwhile"
                if no_tree
                else ""
            ),
            details={"reason": "not_format_1", "found": old["formatVersion"], "schemaVersion": old["schemaVersion"]},
        )
    started = time.perf_counter()
    release = host.lock(target.real)
    try:
        checkpoint = upgrade_file(host.local(source.real), host.local(target.real), ledger_id).to_json()
    finally:
        release()
    ms = to_fixed((time.perf_counter() - started) * 1000, 0)
    entries = checkpoint["size"]
    out.result(
        {
            "source": source.path,
            "target": target.path,
            "ledgerId": ledger_id,
            "formatVersion": 2,
            "sourceEntries": old["entries"],
            "entries": entries,
            "checkpoint": checkpoint,
        }
    )
    out.line(
        f"upgraded {source.arg} (format 1, {count(old['entries'])} entries) to {target.arg} (format 2, "
        f"{count(entries)} entries: {count(entries - old['entries'])} for the owner and grants, then the records) "
        f"in {ms} ms"
    )
    out.line(f"  checkpoint {js_json(checkpoint)}")
    return Exit.OK


COMMAND = Command(
    name="upgrade",
    summary="Copy a format-1 ledger file (Nucleus 0.1) into a new format-2 file; the old file is only read.",
    description="\n".join(
        [
            "Format 1 bound neither the ledger id nor access control into its hashes, so its files can be read and",
            "verified but not appended to. The upgrade verifies the old file whole (read-only: nothing beside it is",
            "created or changed), then writes the new file under a temporary name and renames it into place once",
            "complete and synced, holding <new>'s lock meanwhile: a failure leaves no new file. The new ledger holds",
            "the old owner and grants as nucleus.acl entries, then every record in order. <new> must not exist; its",
            "directory must. --ledger must name the ledger id the old file holds (`nucleus info` shows it).",
            "Both are SQLite files: PostgreSQL URLs are refused (a PostgreSQL store only ever holds format 2).",
        ]
    ),
    spec=ArgSpec(
        (
            PositionalSpec("old", "the format-1 ledger file (only read)"),
            PositionalSpec("new", "the format-2 ledger file to write (must not exist)"),
        ),
        {"ledger": FlagSpec("string", "the ledger id the old file holds (required)", value="<ledger id>")},
    ),
    examples=(
        "nucleus upgrade ./data/orders-v1.db ./data/orders.db --ledger orders",
        "nucleus upgrade old.db new.db --ledger orders --json",
    ),
    run=run,
)
