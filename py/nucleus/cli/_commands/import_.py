"""``nucleus import <file> <db>``: add the entries of a JSON Lines export to a ledger file (creating it)."""

from __future__ import annotations

import time
from typing import Any

from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, UsageError, parse_json
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import UnusableError, db_file, db_server, read_text, validate_export, with_writable_ledger
from .._host import Host
from .._output import Output, count, millis


def run(args: Parsed, out: Output, host: Host) -> int:
    file = args.positionals["file"]
    # Refused before stdin is read: a URL without --ledger.
    server = db_server(args, args.positionals["db"], "import")
    if server is not None and args.string("id") not in (None, server.ledger_id):
        raise UsageError("--id and --ledger name different ledgers; give one of them", "import")
    if server is None and args.string("ledger") is not None:
        raise UsageError("--ledger is only for a PostgreSQL URL; a file's ledger id is given with --id", "import")
    try:
        text = host.read_stdin() if file == "-" else read_text(host, file)
    except Exception as err:  # OSError here; whatever the host's stdin raised under Node.js
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise UnusableError(f"{file}: cannot read the export ({reason})", "NOT_FOUND") from None
    ledger_id = server.ledger_id if server else args.string("id")
    if ledger_id is None:
        ledger_id = _header_id(text, file)
    db = None if server else db_file(host, args.positionals["db"], "import", True)
    started = time.perf_counter()
    # A new file is only created for an export that verifies; an existing one is never written before the
    # engine has verified the export whole. A PostgreSQL ledger is written in one transaction, all or nothing,
    # but verifying first also keeps a refused import from creating its (empty) ledger row.
    if server is not None or (db is not None and not db.exists):
        validate_export(text, ledger_id)

    def use(ledger: Any) -> None:
        before = len(ledger)
        imported = ledger.import_entries(text)
        length = len(ledger)
        ms = (time.perf_counter() - started) * 1000
        if server is not None:
            created = before == 0 and imported > 0
            where: dict[str, Any] = {"url": server.arg, "schema": server.schema}
            shown, new = server.arg, ", new ledger" if created else ""
        else:
            assert db is not None
            created = not db.exists
            where, shown, new = {"path": db.path}, db.arg, ", new file" if created else ""
        out.result({**where, "ledgerId": ledger.id, "created": created, "imported": imported, "length": length})
        out.line(
            f'imported {count(imported)} entries into {shown} (ledger "{ledger.id}", now {count(length)} entries'
            f"{new}) in {millis(ms)}"
        )

    with_writable_ledger(host, server, db, ledger_id, use)
    return Exit.OK


def _header_id(text: str, file: str) -> str:
    """The ``ledger_id`` of an export's header line."""
    first = text.split("\n", 1)[0]
    try:
        header = parse_json(first)
    except (ValueError, RecursionError):
        raise UsageError(
            f"{file} does not start with a Nucleus export header; pass --id <ledger id> or check the file", "import"
        ) from None
    ledger_id = header.get("ledger_id") if isinstance(header, dict) else None
    if not isinstance(ledger_id, str):
        raise UsageError(f"{file}: the header line has no ledger_id; pass --id <ledger id>", "import")
    return ledger_id


COMMAND = Command(
    name="import",
    summary="Import a JSON Lines export into a ledger file, creating the file when it does not exist.",
    description="\n".join(
        [
            "The export is verified whole before anything is written; it must be of the same ledger and extend",
            "the file's chain (re-importing the same export adds nothing). The ledger id comes from --id, else",
            "from the export's header line. Into a PostgreSQL database (postgresql://… --ledger <id>) it writes",
            "in one transaction, creating the ledger (and schema) when missing; other writers may share it.",
        ]
    ),
    spec=ArgSpec(
        (
            PositionalSpec("file", "a JSON Lines export (`-` for stdin)"),
            PositionalSpec("db", f"{DB_HELP} (created when missing)"),
        ),
        {
            "id": FlagSpec("string", "the ledger id (default: the export header's ledger_id)", value="<ledger id>"),
            **PG_FLAGS,
        },
    ),
    examples=(
        "nucleus import demo.jsonl ./restored.db",
        "nucleus import backup.jsonl ledger.db --id orders",
        "nucleus import backup.jsonl postgresql://app@db.example/ledgers --ledger orders",
    ),
    run=run,
)
