"""``nucleus export <db>``: the ledger as JSON Lines (docs/FORMAT.md, Export), to stdout or a file."""

from __future__ import annotations

import contextlib
import os

from ..._ledger import Ledger
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import db_file, db_server, resolve, with_read_only_ledger, with_server_ledger
from .._host import Host
from .._output import Output, count, size


def run(args: Parsed, out: Output, host: Host) -> int:
    server = db_server(args, args.positionals["db"], "export")
    target = args.string("out")

    def read(ledger: Ledger) -> tuple[str, str, int, list[str]]:
        return ledger.id, ledger.export(), len(ledger), ledger.caveats

    if server is not None:
        ledger_id, text, entries, caveats = with_server_ledger(server, read)
    else:
        ledger_id, text, entries, caveats = with_read_only_ledger(
            host, db_file(host, args.positionals["db"], "export"), read
        )
    out.caveats(caveats)
    if target is None:
        out.raw(text)
        return Exit.OK
    path = resolve(host, target)
    real = host.realpath(path)
    temp = host.local(f"{real}.tmp-{host.pid}")
    try:
        with open(temp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(temp, host.local(real))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    written = len(text.encode("utf-8"))
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
