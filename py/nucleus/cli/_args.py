"""Argument parsing for the ``nucleus`` command: one small, strict parser shared by every command. Flags are
``--name value``, ``--name=value`` or bare booleans; ``--`` ends the flags. Anything unknown is a
:class:`UsageError` (exit status 2) that names the flag and, when close, the one that was meant.
"""

from __future__ import annotations

import calendar
import datetime
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from .._canonical import MAX_SAFE_INTEGER
from .._json import MAX_PARSE_DEPTH, nesting_depth
from ._output import js_json


@dataclass(frozen=True)
class FlagSpec:
    """One flag of a command: ``string`` takes a value, ``boolean`` does not."""

    type: Literal["string", "boolean"]
    help: str
    value: str | None = None
    """Placeholder shown in help, e.g. ``<id>``."""
    short: str | None = None
    """A one-letter alias, e.g. ``o`` for ``-o``."""
    repeat: bool = False
    """A string flag that may be given more than once (``--key a --key b``): its values in order."""


@dataclass(frozen=True)
class PositionalSpec:
    """One positional argument of a command."""

    name: str
    help: str
    optional: bool = False


@dataclass(frozen=True)
class ArgSpec:
    """What a command accepts (plus ``--json`` and ``--help``, which every command has)."""

    positionals: tuple[PositionalSpec, ...]
    flags: dict[str, FlagSpec] = field(default_factory=dict)


@dataclass
class Parsed:
    """Parsed arguments: positionals by name, flags by name (a string, or True for booleans)."""

    positionals: dict[str, str] = field(default_factory=dict)
    flags: dict[str, str | bool | list[str]] = field(default_factory=dict)

    def string(self, name: str) -> str | None:
        """A string flag's value, or None."""
        value = self.flags.get(name)
        return value if isinstance(value, str) else None

    def strings(self, name: str) -> list[str]:
        """A repeatable flag's values, in order (none: empty)."""
        value = self.flags.get(name)
        return list(value) if isinstance(value, list) else []


class UsageError(Exception):
    """A command line that cannot be run as written. Exit status 2, code ``USAGE``."""

    code = "USAGE"

    def __init__(self, message: str, command: str | None = None):
        super().__init__(message)
        self.message = message
        self.command = command


#: Flags every command accepts.
COMMON_FLAGS: dict[str, FlagSpec] = {
    "json": FlagSpec("boolean", "print one machine-readable JSON document on stdout"),
    "help": FlagSpec("boolean", "show this help", short="h"),
}


def closest(word: str, candidates: list[str]) -> str | None:
    """The candidate within edit distance 2 of ``word`` (case-insensitive), if any."""
    best, best_distance = None, 3
    for candidate in candidates:
        d = _distance(word.lower(), candidate.lower())
        if d < best_distance:
            best, best_distance = candidate, d
    return best


def _distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i]
        for j in range(1, len(b) + 1):
            row.append(min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])))
        prev = row
    return prev[len(b)]


def parse_args(command: str, spec: ArgSpec, argv: list[str]) -> Parsed:
    """Parses ``argv`` (the words after the command name) against ``spec`` plus :data:`COMMON_FLAGS`."""
    flags = {**spec.flags, **COMMON_FLAGS}
    shorts = {f.short: name for name, f in flags.items() if f.short}
    out = Parsed()
    words: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            words.extend(argv[i:])
            break
        if not arg.startswith("-") or arg == "-":
            words.append(arg)
            continue
        eq = arg.find("=")
        double = arg.startswith("--")
        key = arg[2 if double else 1 : None if eq < 0 else eq]
        name = key if double else shorts.get(key, "")
        flag = flags.get(name)
        if flag is None:
            guess = closest(key, list(flags))
            hint = f" (did you mean --{guess}?)" if guess else ""
            raise UsageError(f"unknown option {arg if eq < 0 else arg[:eq]}{hint}", command)
        if name in out.flags and not flag.repeat:
            raise UsageError(f"option --{name} was given twice", command)
        if flag.type == "boolean":
            if eq >= 0:
                raise UsageError(f"option --{name} takes no value", command)
            out.flags[name] = True
            continue
        value: str | None = None
        if eq >= 0:
            value = arg[eq + 1 :]
        elif i < len(argv):
            value = argv[i]
            i += 1
        if value is None:
            raise UsageError(f"option --{name} needs a value {flag.value or ''}".rstrip(), command)
        if flag.repeat:
            values = out.flags.setdefault(name, [])
            assert isinstance(values, list)
            values.append(value)
        else:
            out.flags[name] = value
    if out.flags.get("help"):
        return out
    required = sum(1 for p in spec.positionals if not p.optional)
    if len(words) < required:
        missing = spec.positionals[len(words)]
        raise UsageError(f"missing <{missing.name}> ({missing.help})", command)
    if len(words) > len(spec.positionals):
        raise UsageError(f"unexpected argument {js_json(words[len(spec.positionals)])}", command)
    for p, word in zip(spec.positionals, words, strict=False):
        out.positionals[p.name] = word
    return out


_INTEGER = re.compile(r"0|[1-9][0-9]*")


def int_flag(parsed: Parsed, name: str, command: str) -> int | None:
    """A non-negative integer flag (e.g. ``--limit 10``), or None; a :class:`UsageError` otherwise."""
    value = parsed.string(name)
    if value is None:
        return None
    if not _INTEGER.fullmatch(value) or int(value) > MAX_SAFE_INTEGER:
        raise UsageError(f"--{name} must be a non-negative integer, got {js_json(value)}", command)
    return int(value)


_DIGITS = re.compile(r"-?[0-9]+")
_DATE_PREFIX = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# ISO 8601 as ECMAScript's Date.parse reads it: a date, optionally a time (T, t or a space before it; seconds and
# a fraction optional), optionally Z or an offset. A date alone is UTC; a time without an offset is local time.
_ISO = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?)?"
    r"(?P<z>[Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)


def parse_time(text: str) -> int | None:
    """Milliseconds since the epoch of an ISO 8601 date or date-time, or None when it is not one."""
    m = _ISO.fullmatch(text)
    if not m:
        return None
    year, month, day = int(m["y"]), int(m["mo"]), int(m["d"])
    hour, minute, second = int(m["h"] or 0), int(m["mi"] or 0), int(m["s"] or 0)
    millis = int((m["f"] or "0")[:3].ljust(3, "0"))
    if year == 0 or not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None  # (year 0 would be before the epoch anyway)
    extra_days = 0
    if hour == 24 and (minute, second, millis) == (0, 0, 0):
        hour, extra_days = 0, 1
    elif hour > 23 or minute > 59 or second > 59:
        return None
    days = (datetime.date(year, month, day) - datetime.date(1970, 1, 1)).days + extra_days
    wall = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis
    zone = m["z"]
    if zone is None and m["h"] is not None:
        return wall - _local_offset_ms(wall)
    if zone is None or zone in "Zz":
        return wall
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return wall - sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60_000


def _local_offset_ms(wall_ms: int) -> int:
    """The local time zone's offset from UTC, in ms, at about the wall-clock time ``wall_ms``."""
    try:
        stamp = datetime.datetime.fromtimestamp(wall_ms / 1000, datetime.UTC)
        local = stamp.astimezone()
        offset = local.utcoffset()
    except (OverflowError, OSError, ValueError):
        return 0
    return 0 if offset is None else int(offset.total_seconds() * 1000)


def time_flag(parsed: Parsed, name: str, command: str) -> int | None:
    """A time flag: milliseconds since the epoch (``1700000000000``) or an ISO 8601 date/time (``2024-05-01``,
    ``2024-05-01T12:00:00Z``). None when absent; a :class:`UsageError` when unreadable."""
    value = parsed.string(name)
    if value is None:
        return None
    if _DIGITS.fullmatch(value):
        n = int(value)
        if 0 <= n <= MAX_SAFE_INTEGER:
            return n
    elif _DATE_PREFIX.match(value):
        ms = parse_time(value)
        if ms is not None and ms >= 0:
            return ms
    raise UsageError(
        f"--{name} must be milliseconds since the epoch or an ISO 8601 date like 2024-05-01T12:00:00Z, "
        f"got {js_json(value)}",
        command,
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str) -> Any:
    """JSON text as JSON.parse reads it (no NaN or Infinity); a ValueError naming the problem otherwise."""
    if text.count("[") + text.count("{") > MAX_PARSE_DEPTH and nesting_depth(text) > MAX_PARSE_DEPTH:
        raise ValueError(f"nested deeper than {MAX_PARSE_DEPTH} levels")
    return json.loads(text, parse_constant=_no_constant)


def json_flag(parsed: Parsed, name: str, command: str) -> Any:
    """A JSON flag (e.g. ``--payload '{"a":1}'``), parsed; None when absent; a :class:`UsageError` naming the flag
    otherwise."""
    value = parsed.string(name)
    if value is None:
        return None
    try:
        return parse_json(value)
    except (ValueError, RecursionError) as err:
        shown = f"{value[:60]}…" if len(value) > 60 else value
        raise UsageError(f"--{name} is not valid JSON ({err}): {shown}", command) from None
