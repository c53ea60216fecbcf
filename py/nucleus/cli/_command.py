"""The shape of one ``nucleus`` command, and the help text made from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from ._args import COMMON_FLAGS, ArgSpec, FlagSpec, Parsed

if TYPE_CHECKING:
    from ._host import Host
    from ._output import Output


class Exit(IntEnum):
    """Exit statuses: success, a ledger that does not verify, anything that kept the command from running."""

    OK = 0
    BROKEN = 1
    UNUSABLE = 2


#: ``<db>`` of the commands that take a file or a PostgreSQL URL.
DB_HELP = "the ledger's SQLite file, or a postgresql:// URL"
#: The flags that name a ledger in a PostgreSQL database (``<db>`` a URL).
PG_FLAGS: dict[str, FlagSpec] = {
    "ledger": FlagSpec("string", "with a PostgreSQL URL: the ledger's id (required there)", value="<ledger id>"),
    "schema": FlagSpec("string", "with a PostgreSQL URL: the schema holding it (default nucleus)", value="<name>"),
}

EXIT_STATUS_LINE = (
    "Exit status: 0 success, 1 a ledger, proof or signature does not verify, 2 usage error or unusable file or "
    "database."
)


@dataclass(frozen=True)
class Command:
    """One command: its words, its arguments, and what it does."""

    name: str
    """The verb, as typed: ``verify``."""
    summary: str
    """One line for the overall help."""
    description: str
    """Paragraphs shown under the usage line."""
    spec: ArgSpec
    """Positionals and flags (plus ``--json`` and ``--help``, which every command has)."""
    examples: tuple[str, ...]
    """Example command lines."""
    run: Callable[[Parsed, Output, Host], int]
    """Runs with parsed arguments; returns the exit status."""


def command_help(cmd: Command) -> str:
    """``nucleus <name> <positionals> [options]`` and the flag table."""
    positionals = " ".join(f"[{p.name}]" if p.optional else f"<{p.name}>" for p in cmd.spec.positionals)
    lines = [f"Usage: nucleus {' '.join(filter(None, (cmd.name, positionals)))} [options]", "", cmd.summary, ""]
    if cmd.description:
        lines += [cmd.description, ""]
    width = 26
    if cmd.spec.positionals:
        lines.append("Arguments:")
        lines += [f"  {f'<{p.name}>'.ljust(width)}{p.help}" for p in cmd.spec.positionals]
        lines.append("")
    lines.append("Options:")
    lines += [f"  {_flag_label(name, flag).ljust(width)}{flag.help}" for name, flag in _all_flags(cmd).items()]
    if cmd.examples:
        lines += ["", "Examples:", *(f"  {e}" for e in cmd.examples)]
    lines += ["", EXIT_STATUS_LINE]
    return "\n".join(lines) + "\n"


def _all_flags(cmd: Command) -> dict[str, FlagSpec]:
    return {**cmd.spec.flags, **COMMON_FLAGS}


def _flag_label(name: str, flag: FlagSpec) -> str:
    short = f"-{flag.short}, " if flag.short else ""
    value = f" {flag.value or '<value>'}" if flag.type == "string" else ""
    return f"{short}--{name}{value}{' …' if flag.repeat else ''}"
