"""Output of the ``nucleus`` command: results on stdout (human text, or one JSON document with ``--json``),
messages and progress on stderr, so that ``nucleus export db > file`` and ``--json | jq`` stay clean.

Text is spelt as the JavaScript runtime spells it (``JSON.stringify``, ``toISOString``, ``toFixed``), so that
the command prints the same bytes under CPython as under Node.js.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from .._canonical import format_number

if TYPE_CHECKING:
    from ._host import Host


def js_number(value: int | float) -> str:
    """A number as JavaScript spells it (``String(n)``); ``null`` for NaN and the infinities, as in JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return format_number(value) if math.isfinite(value) else "null"


def js_json(value: Any, indent: int | None = None) -> str:
    """``JSON.stringify(value, null, indent)``: keys in insertion order, numbers as JavaScript spells them."""
    out: list[str] = []
    _emit(value, out, "" if indent is None else " " * indent, 0)
    return "".join(out)


def _emit(value: Any, out: list[str], pad: str, depth: int) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, (bool, int, float)):
        out.append(js_number(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = "\n" + pad * (depth + 1) if pad else ""
        out.append("{")
        for n, (key, item) in enumerate(value.items()):
            out.append(("," if n else "") + inner + encode_basestring(key) + (": " if pad else ":"))
            _emit(item, out, pad, depth + 1)
        out.append(("\n" + pad * depth if pad else "") + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = "\n" + pad * (depth + 1) if pad else ""
        out.append("[")
        for n, item in enumerate(value):
            out.append(("," if n else "") + inner)
            _emit(item, out, pad, depth + 1)
        out.append(("\n" + pad * depth if pad else "") + "]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON")


_WIDE = Context(prec=400)


def to_fixed(value: float, digits: int) -> str:
    """``value.toFixed(digits)``: the exact binary value rounded half up."""
    exact = Decimal(value)  # a double's exact value: no rounding yet
    return str(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=_WIDE))


def count(n: int) -> str:
    """``12,345``."""
    return f"{n:,}"


def millis(ms: float) -> str:
    """``38 ms`` below a second, ``1.25 s`` above."""
    return f"{to_fixed(ms, 0)} ms" if ms < 1000 else seconds(ms)


def seconds(ms: float) -> str:
    """``1.25 s``."""
    return f"{to_fixed(ms / 1000, 2 if ms < 10_000 else 1)} s"


def size(n: int) -> str:
    """``4.0 KB``, ``12.3 MB``."""
    if n < 1024:
        return f"{n} B"
    units = ["KB", "MB", "GB", "TB"]
    value = n / 1024
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    return f"{to_fixed(value, 1)} {units[unit]}"


# Date's range: ±100,000,000 days around the epoch.
_MAX_TIME = 8.64e15


def iso_time(ms: Any) -> str:
    """An ISO 8601 UTC time for a millisecond timestamp (``Date.prototype.toISOString``), or ``—``."""
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not math.isfinite(ms) or abs(ms) > _MAX_TIME:
        return "—"
    total = math.floor(ms)
    days, rest = divmod(total, 86_400_000)
    year, month, day = _civil(days)
    hh, rest = divmod(rest, 3_600_000)
    mm, rest = divmod(rest, 60_000)
    ss, frac = divmod(rest, 1000)
    y = f"{year:04d}" if 0 <= year <= 9999 else f"{'-' if year < 0 else '+'}{abs(year):06d}"
    return f"{y}-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{frac:03d}Z"


def _civil(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def short_hash(h: str | None) -> str:
    """The first and last characters of a hash: ``4bdc3a95…4bd727``."""
    return f"{h[:8]}…{h[-6:]}" if h else "—"


class Output:
    """Prints a command's result and messages."""

    def __init__(self, json_mode: bool, host: Host):
        self.json = json_mode
        self.host = host

    def line(self, text: str = "") -> None:
        """A line of the human result on stdout (ignored in JSON mode)."""
        if not self.json:
            self.host.write_out(text + "\n")

    def raw(self, text: str) -> None:
        """Raw text on stdout, in every mode (e.g. an export)."""
        self.host.write_out(text)

    def result(self, value: Any) -> None:
        """The JSON result on stdout (JSON mode only)."""
        if self.json:
            self.raw(js_json(value, 2) + "\n")

    def note(self, text: str) -> None:
        """A message on stderr (both modes; stdout stays machine-readable)."""
        self.host.write_err(text + "\n")

    def caveats(self, caveats: list[str]) -> None:
        """What a read-only reading cannot promise: one ``note: …`` line each on stderr (both modes)."""
        for caveat in caveats:
            self.note(f"note: {caveat}")

    def progress(self, force: bool | None = None) -> Progress:
        """A progress bar on stderr, drawn only when stderr is a terminal (or ``force``)."""
        return Progress(self.host, self.host.stderr_is_tty if force is None else force)


class Progress:
    """One status line on stderr, redrawn in place: a bar once the amount of work is known. Silent when not live.
    (While the engine starts under Node.js, the npm runner draws a spinner on the same line.)"""

    def __init__(self, host: Host, live: bool):
        self._host = host
        self._live = live
        self._shown = False

    def bar(self, label: str, done: int, total: int) -> None:
        """Draws ``label [#####-----] 50% 5,000/10,000``."""
        if not self._live:
            return
        width = 24
        ratio = min(1.0, done / total) if total > 0 else 1.0
        full = int(to_fixed(ratio * width, 0))
        pct = f"{math.floor(ratio * 100)}%".rjust(4)
        self._draw(f"{label} [{'█' * full}{'░' * (width - full)}] {pct} {count(done)}/{count(total)}")

    def done(self) -> None:
        """Clears the line; the next output starts clean."""
        if self._shown:
            self._host.write_err("\r\x1b[2K")
        self._shown = False

    def _draw(self, text: str) -> None:
        columns = self._host.columns or 80  # 0 under some pseudo-terminals
        shown = text[: columns - 1] if columns > 20 and len(text) >= columns else text
        self._host.write_err(f"\r\x1b[2K{shown}")
        self._shown = True
