"""``nucleus import <file> <db>``: add the entries of a JSON Lines export to a ledger file (creating it)."""

from __future__ import annotations

import time
from typing import Any

from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, UsageError, parse_json
from .._command import Command, Exit
from .._files import UnusableError, db_file, read_text, validate_export, with_ledger
from .._host import Host
from .._output import Output, count, millis


def run(args: Parsed, out: Output, host: Host) -> int:
    file = args.positionals["file"]
    try:
        text = host.read_stdin() if file == "-" else read_text(host, file)
    except Exception as err:  # OSError here; whatever the host's stdin raised under Node.js
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise UnusableError(f"{file}: cannot read the export ({reason})", "NOT_FOUND") from None
    ledger_id = args.string("id")
    if ledger_id is None:
        ledger_id = _header_id(text, file)
    db = db_file(host, args.positionals["db"], "import", True)
    started = time.perf_counter()
    # A new file is only created for an export that verifies; an existing one is never written before the
    # engine has verified the export whole.
    if not db.exists:
        validate_export(text, ledger_id)

    def use(ledger: Any) -> None:
        imported = ledger.import_entries(text)
        length = len(ledger)
        ms = (time.perf_counter() - started) * 1000
        created = not db.exists
        out.result({"path": db.path, "ledgerId": ledger.id, "created": created, "imported": imported, "length": length})
        new = ", new file" if created else ""
        out.line(
            f'imported {count(imported)} entries into {db.arg} (ledger "{ledger.id}", now {count(length)} entries'
            f"{new}) in {millis(ms)}"
        )

    with_ledger(host, db, use, create_id=ledger_id, expect_id=ledger_id)
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
            "from the export's header line.",
        ]
    ),
    spec=ArgSpec(
        (
            PositionalSpec("file", "a JSON Lines export (`-` for stdin)"),
            PositionalSpec("db", "the ledger's SQLite file (created when missing)"),
        ),
        {"id": FlagSpec("string", "the ledger id (default: the export header's ledger_id)", value="<ledger id>")},
    ),
    examples=("nucleus import demo.jsonl ./restored.db", "nucleus import backup.jsonl ledger.db --id orders"),
    run=run,
)
