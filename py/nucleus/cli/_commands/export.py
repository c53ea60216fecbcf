"""``nucleus export <db>``: the ledger as JSON Lines (docs/FORMAT.md, Export), to stdout or a file."""

from __future__ import annotations

import contextlib
import os

from ..._errors import NucleusError
from ..._export import in_parts
from ..._ledger import Ledger
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import db_file, db_server, resolve, with_read_only_ledger, with_server_ledger
from .._host import Host
from .._output import Output, count, size


class _Begun(Exception):
    """A read-only file changed under the export after lines went to stdout: those cannot be taken back, so the error
    must not be retried (which would print the lines again)."""

    def __init__(self, err: NucleusError):
        super().__init__(err.message)
        self.err = err


def run(args: Parsed, out: Output, host: Host) -> int:
    server = db_server(args, args.positionals["db"], "export")
    target = args.string("out")
    path = None if target is None else resolve(host, target)
    real = None if path is None else host.realpath(path)
    temp = None if real is None else host.local(f"{real}.tmp-{host.pid}")

    def write(ledger: Ledger) -> tuple[str, int, int, list[str]]:
        out.caveats(ledger.caveats)
        written = 0
        if temp is None:
            printed = False
            try:
                for part in in_parts(ledger.export_lines()):
                    out.raw(part)
                    printed = True
            except NucleusError as err:
                if printed and err.details.get("reason") == "changed":
                    raise _Begun(err) from None
                raise
        else:  # a retry after the file changed starts the temp file again
            with open(temp, "wb") as f:
                for part in in_parts(ledger.export_lines()):
                    data = part.encode("utf-8")
                    f.write(data)
                    written += len(data)
        return ledger.id, len(ledger), written, ledger.caveats

    try:
        if server is not None:
            ledger_id, entries, written, caveats = with_server_ledger(server, write)
        else:
            db = db_file(host, args.positionals["db"], "export")
            ledger_id, entries, written, caveats = with_read_only_ledger(host, db, write)
        if temp is not None and real is not None:
            os.replace(temp, host.local(real))
    except _Begun as begun:
        raise begun.err from None
    except BaseException:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise
    if target is None:
        return Exit.OK
    out.result({"path": path, "ledgerId": ledger_id, "entries": entries, "bytes": written, "caveats": caveats})
    out.line(f'exported {count(entries)} entries of ledger "{ledger_id}" to {target} ({size(written)})')
    return Exit.OK


COMMAND = Command(
    name="export",
    summary="Write the ledger as JSON Lines: a header line, then one line per entry in seq order.",
    description="\n".join(
        [
            "Opens the ledger read-only (no lock is taken and no file beside it is created or changed) and verifies",
            "it first, so only a ledger that verifies is exported; what the read-only open cannot promise is printed",
            "on stderr. Without --out the lines go to stdout; with --out the file is written whole or not at all.",
            "The export is written in parts as it is read, so a ledger of any length exports in little memory.",
            "From a PostgreSQL ledger (postgresql://… --ledger <id>) it exports the entries held when it starts.",
        ]
    ),
    spec=ArgSpec(
        (PositionalSpec("db", DB_HELP),),
        {"out": FlagSpec("string", "write to this file instead of stdout", value="<file>", short="o"), **PG_FLAGS},
    ),
    examples=(
        "nucleus export ./data/demo.db > demo.jsonl",
        "nucleus export ledger.db --out backup.jsonl",
        "nucleus export postgresql://app@db.example/ledgers --ledger orders -o orders.jsonl",
    ),
    run=run,
)
