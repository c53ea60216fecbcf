"""The ``nucleus`` command: verify, info, export, import, query and append on a ledger's SQLite file or on a ledger
in a PostgreSQL database (``postgresql://…`` with ``--ledger``), upgrade from format 1, and checkpoints, keys,
Merkle proofs and their verification. Exit status 0 on success, 1 when a ledger, a proof or a signature does not
verify (``CHAIN_INVALID``, ``PROOF_INVALID``, ``SIGNATURE_INVALID``), 2 for a usage error or a file or database
that cannot be used (missing, not a ledger, locked, another ledger's, unreachable). docs/CLI.md is its reference.

One implementation for both ecosystems: ``python -m nucleus`` and the ``nucleus`` console script run :func:`main`
here; the npm package's ``nucleus`` (js/src/cli.ts) starts the engine in Pyodide and calls :func:`run_hosted`,
lending what Pyodide lacks (the host's files, lock, process and terminal: see ``_host``).
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

from .. import __version__
from .._errors import NucleusError
from ._args import COMMON_FLAGS, UsageError, closest, parse_args
from ._command import EXIT_STATUS_LINE, Command, Exit, command_help
from ._commands import append, checkpoint, export, import_, info, keygen, prove, query, upgrade, verify, verify_proof
from ._files import UnusableError, redact, secrets_in
from ._host import Host, hosted_host, local_host
from ._output import Output

__all__ = ["COMMANDS", "main", "main_help", "quick_answers", "run_hosted"]

#: Every command, in the order the help lists them.
COMMANDS: tuple[Command, ...] = (
    verify.COMMAND,
    info.COMMAND,
    export.COMMAND,
    import_.COMMAND,
    query.COMMAND,
    append.COMMAND,
    upgrade.COMMAND,
    checkpoint.COMMAND,
    prove.COMMAND,
    verify_proof.COMMAND,
    keygen.COMMAND,
)


#: The codes that mean "checked, and it does not verify": exit status 1, not 2.
_BROKEN_CODES = frozenset({"CHAIN_INVALID", "PROOF_INVALID", "SIGNATURE_INVALID"})


def main_help() -> str:
    """The overall ``nucleus --help``."""
    width = max(len(c.name) for c in COMMANDS) + 4
    return "\n".join(
        [
            f"nucleus {__version__}: inspect and use Nucleus ledger files (tamper-evident, append-only, SQLite).",
            "",
            "Usage: nucleus <command> <db> [options]",
            "",
            "Commands:",
            *(f"  {c.name.ljust(width)}{c.summary}" for c in COMMANDS),
            "",
            "<db> is a ledger's SQLite file, or a PostgreSQL URL (postgresql://user:password@host/dbname) with",
            "--ledger <id> (a database holds many ledgers) and optionally --schema <name> (default nucleus);",
            "upgrade takes files only; keygen and verify-proof take no <db>. The password is never printed",
            "(PGPASSWORD works too).",
            "",
            "Every command takes --json (one JSON document on stdout) and --help.",
            "Run `nucleus <command> --help` for its arguments and options.",
            "",
            EXIT_STATUS_LINE,
            "",
        ]
    )


def _find(name: str | None) -> Command | None:
    return next((c for c in COMMANDS if c.name == name), None)


def main(argv: list[str] | None = None, host: Host | None = None) -> int:
    """Runs one command line (the words after ``nucleus``; default ``sys.argv[1:]``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    host = local_host() if host is None else host
    first, rest = (argv[0], argv[1:]) if argv else (None, [])
    out = Output("--json" in argv, host)
    if first in (None, "--help", "-h", "help"):
        topic = _find(rest[0] if rest else None) if first == "help" else None
        host.write_out(command_help(topic) if topic else main_help())
        return Exit.UNUSABLE if first is None else Exit.OK
    assert first is not None
    if first in ("--version", "-V"):
        host.write_out(f"{__version__}\n")
        return Exit.OK
    cmd = _find(first)
    try:
        if cmd is None:
            if first.startswith("-") and first.lstrip("-") not in COMMON_FLAGS:
                raise UsageError(
                    f"unknown option {first}; options go after the command, e.g. `nucleus verify <db> --json`"
                )
            guess = closest(first, [c.name for c in COMMANDS])
            raise UsageError(f'unknown command "{first}"' + (f' (did you mean "{guess}"?)' if guess else ""))
        parsed = parse_args(cmd.name, cmd.spec, rest)
        if parsed.flags.get("help"):
            host.write_out(command_help(cmd))
            return Exit.OK
        return int(cmd.run(parsed, out, host))
    except Exception as err:
        return _fail(out, cmd.name if cmd else None, err, secrets_in(argv))


def _fail(out: Output, command: str | None, err: Exception, secrets: list[str] | None = None) -> int:
    """Prints ``err`` once (stderr, plus a JSON document on stdout with --json); its exit status."""
    host = out.host
    prefix = f"nucleus {command}" if command else "nucleus"
    status = Exit.UNUSABLE
    details: Any = None
    hint = ""
    if isinstance(err, UsageError):
        code = "USAGE"
        hint = f"\nRun `nucleus {err.command + ' ' if err.command else ''}--help` for usage."
        message = err.message
    elif isinstance(err, UnusableError):
        code, message = err.code, err.message
    elif isinstance(err, NucleusError):
        code, message, details = err.code, err.message, _host_paths(host, err.details)
        if code in _BROKEN_CODES:
            status = Exit.BROKEN
    else:
        code, message = "INTERNAL", str(err) or type(err).__name__
        details = {"stack": host.host_text(traceback.format_exc())}
    # A connection string's password never reaches the terminal, whatever message (a driver's, a usage error's
    # echo of an argument) would hold it.
    message = redact(host.host_text(message), secrets or [])
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = _redacted(details, secrets or [])
    out.result({"ok": False, "error": error})
    shown_code = "" if code in ("USAGE", "INTERNAL") else f"{code}: "
    out.note(f"{prefix}: {shown_code}{message}{hint}")
    return status


def _host_paths(host: Host, value: Any) -> Any:
    """``value`` with this interpreter's paths in every string turned back into the host's."""
    if isinstance(value, str):
        return host.host_text(value)
    if isinstance(value, list):
        return [_host_paths(host, v) for v in value]
    if isinstance(value, dict):
        return {k: _host_paths(host, v) for k, v in value.items()}
    return value


def _redacted(value: Any, secrets: list[str]) -> Any:
    """``value`` with :func:`redact` done in every string."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_redacted(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v, secrets) for k, v in value.items()}
    return value


def quick_answers() -> dict[str, dict[str, Any]]:
    """What the command prints for the command lines that only ask for help or the version, keyed by the JSON of
    their argv (``["verify","--help"]``): ``{stdout, code}``. The npm runner answers these without starting the
    engine (js/scripts/lib/bundle.mjs puts this table into dist/cli.js)."""
    lines: list[list[str]] = [[], ["--help"], ["-h"], ["help"], ["--version"], ["-V"]]
    for c in COMMANDS:
        lines += [["help", c.name], [c.name, "--help"], [c.name, "-h"]]
    answers: dict[str, dict[str, Any]] = {}
    for argv in lines:
        written: list[str] = []
        host = Host(
            write_out=written.append,
            write_err=written.append,
            read_stdin=lambda: "",
            stderr_is_tty=False,
            columns=0,
            cwd="/",
            pid=0,
            hostname="",
            engine_ms=0.0,
            realpath=lambda p: p,
            lock=_no_lock,
            process_alive=lambda pid: False,
        )
        code = main(argv, host)
        answers[json.dumps(argv, separators=(",", ":"))] = {"stdout": "".join(written), "code": code}
    return answers


def _no_lock(path: str) -> Any:
    raise AssertionError(f"a help text took the lock of {path}")


def run_hosted(facts: str, io: Any) -> int:
    """The npm runner's entry (js/src/cli.ts): ``facts`` is JSON (``argv`` and the process facts ``hosted_host``
    reads), ``io`` the runner's functions. Returns the exit status."""
    data = json.loads(facts)
    return main(list(data["argv"]), hosted_host(data, io))
