"""Export and import: a ledger as JSON Lines, verified whole before any entry is accepted. Not public.

The first line is ``{"format":"nucleus-export","ledger_id":...,"size":N,"version":FORMAT_VERSION}``; each
further line is ``{"hash":...,"prev_hash":...,"record":{...},"seq":n}`` in seq order. The exporter ends every
line with "\\n"; import also takes the text without its final "\\n" (docs/FORMAT.md, Export).

Import is strict: each line must be exactly the text the exporter writes for what it holds. One string
comparison per line then refuses, at C speed, what a lenient parser would let through silently: duplicate
keys anywhere (``json.loads`` keeps the last one, so the re-serialized line differs), whitespace, other key
orders, non-canonical numbers and escapes, and extra header members. Lines are split at "\\n" only: U+2028,
U+2029 and U+0085 are ordinary characters inside JSON strings, and the exporter writes them raw.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from . import _json
from ._entry import Entry
from ._errors import ArgumentError, ChainIntegrityError, LedgerMismatch, NucleusError, ValidationError
from ._hashing import FORMAT_VERSION
from ._records import prepare_record
from ._verify import ChainWalk

EXPORT_FORMAT = "nucleus-export"
_HEADER_MEMBERS = frozenset({"format", "ledger_id", "size", "version"})
_ENTRY_MEMBERS = frozenset({"hash", "prev_hash", "record", "seq"})


def _header_line(ledger_id: str, size: int) -> str:
    return json.dumps(
        {"format": EXPORT_FORMAT, "ledger_id": ledger_id, "size": size, "version": FORMAT_VERSION},
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    )


def _entry_line(seq: int, entry_hash: str, prev_hash: str | None, record_text: str) -> str:
    prev = "null" if prev_hash is None else f'"{prev_hash}"'
    return f'{{"hash":"{entry_hash}","prev_hash":{prev},"record":{record_text},"seq":{seq}}}'


def export_lines(ledger_id: str, size: int, entries: Iterable[Entry]) -> Iterator[str]:
    """The export, one line (without newline) at a time."""
    yield _header_line(ledger_id, size)
    for e in entries:
        yield _entry_line(e.seq, e.hash, e.prev_hash, e.record_json)


EXPORT_CHUNK = 2_000
"""Entries per part of a streamed export (``exportStream``, ``nucleus export``): ~700 KB of text for 200-byte records,
so that neither the engine nor the bridge holds more than one part of a large export (10,000 grew the engine's
heap by 16 MB, 2,000 not at all)."""


def export_part(ledger_id: str, size: int, start: int, entries: Iterator[Entry]) -> tuple[str, int]:
    """Part of the export of the first ``size`` entries, from ``entries`` (the stored entries from seq ``start``): the
    header line first when ``start`` is 0, then up to ``EXPORT_CHUNK`` entry lines, each ending with "\\n"; and the
    seq the next part starts at (``size`` when this was the last). The parts joined are ``Ledger.export()``."""
    stop = min(size, start + EXPORT_CHUNK)
    lines = [_header_line(ledger_id, size)] if start == 0 else []
    for e in itertools.islice(entries, stop - start):
        lines.append(_entry_line(e.seq, e.hash, e.prev_hash, e.record_json))
    lines.append("")
    return "\n".join(lines), stop


def in_parts(lines: Iterator[str]) -> Iterator[str]:
    """``lines`` joined ``EXPORT_CHUNK`` at a time, each line ending with "\\n": a large export written or joined from
    these is never also held as one string per line."""
    while chunk := list(itertools.islice(lines, EXPORT_CHUNK)):
        chunk.append("")
        yield "\n".join(chunk)


def _malformed(number: int, problem: str, **details: Any) -> ArgumentError:
    return ArgumentError(f"export line {number}: {problem}", details={"line": number, **details})


def _at_line(err: NucleusError, number: int) -> NucleusError:
    """``err`` (keeping its code) with the line it was found on in its message and details."""
    err.message = f"export line {number}: {err.message}"
    err.args = (err.message,)
    if "message" in err.details:  # ChainIntegrityError repeats its message in its report
        err.details["message"] = err.message
    err.details["line"] = number
    return err


def _parse_line(line: str, number: int) -> Any:
    if not line:
        raise _malformed(number, "blank line (an export has none; only one final newline may follow the last)")
    if line.endswith("\r"):
        raise _malformed(number, 'ends with "\\r": CRLF line endings are not an export\'s (lines end with "\\n")')
    try:
        return _json.loads(line)
    except ValueError as err:
        raise _malformed(number, f"not JSON ({err})") from None


def _require_exact(line: str, expected: str, number: int) -> None:
    if line != expected:
        same = next((i for i, (a, b) in enumerate(zip(line, expected, strict=False)) if a != b), None)
        column = (min(len(line), len(expected)) if same is None else same) + 1
        raise _malformed(
            number,
            f"not in the exporter's canonical spelling (from column {column}: a duplicate key, whitespace, "
            "another key order or another spelling of a number or string)",
            column=column,
        )


def _lines(data: Any) -> list[str]:
    """The lines of an export: text split at "\\n" (one final "\\n" is optional), or a list of lines that
    may each end with one "\\n"."""
    if isinstance(data, str):
        lines = data.split("\n")
        if lines[-1] == "":
            lines.pop()
        return lines
    if isinstance(data, Iterable) and not isinstance(data, (bytes, bytearray, dict)):
        lines = list(data)
        if all(isinstance(line, str) for line in lines):
            out = [line[:-1] if line.endswith("\n") else line for line in lines]
            for number, line in enumerate(out, start=1):
                if "\n" in line:
                    raise _malformed(number, "a list item holds more than one line")
            return out
    raise ArgumentError(f"an export is JSON Lines text or a list of lines, got {type(data).__name__}")


def _check_header(line: str, ledger_id: str) -> int:
    """The size the header announces, after checking that it is exactly this ledger's export header."""
    header = _parse_line(line, 1)
    if type(header) is not dict or header.get("format") != EXPORT_FORMAT:
        raise _malformed(1, "not a Nucleus export header")
    version = header.get("version")
    if type(version) is int and type(version) is not bool and version != FORMAT_VERSION:
        old = version < FORMAT_VERSION
        raise LedgerMismatch(
            f"export line 1: export format version {version} is not {FORMAT_VERSION}"
            + (
                ": format-1 entries bind neither the ledger id nor access control; import it into a format-1 "
                "file and copy that with `nucleus upgrade`"
                if old
                else ""
            ),
            details={"reason": "old_format" if old else "newer_schema", "line": 1},
        )
    size, found = header.get("size"), header.get("ledger_id")
    if header.keys() != _HEADER_MEMBERS:
        raise _malformed(1, "the header must have exactly the members format, ledger_id, size and version")
    if type(found) is not str or type(size) is not int or size < 0 or type(version) is not int:
        raise _malformed(1, "the header's ledger_id must be a string, its size and version non-negative integers")
    _require_exact(line, _header_line(found, size), 1)
    if found != ledger_id:
        raise LedgerMismatch(
            f"export line 1: the export is of ledger {found!r}, not {ledger_id!r}",
            details={"reason": "other_ledger", "found": found, "line": 1},
        )
    return size


def parse_export(data: str | Iterable[str], ledger_id: str, walk: ChainWalk) -> list[Entry]:
    """Every entry of an export, after verifying the whole chain with ``walk`` (this ledger's chain rules, from
    an empty chain); nothing is accepted on any fault."""
    lines = _lines(data)
    if not lines:
        raise _malformed(1, "missing: the export is empty (no header line)")
    announced = _check_header(lines[0], ledger_id)
    entries: list[Entry] = []
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        item = _parse_line(line, number)
        if type(item) is not dict or item.keys() != _ENTRY_MEMBERS:
            raise _malformed(number, "expected an object of exactly {hash, prev_hash, record, seq}")
        seq, h, prev = item["seq"], item["hash"], item["prev_hash"]
        if type(seq) is not int or type(h) is not str or (prev is not None and type(prev) is not str):
            raise _malformed(number, "seq, hash or prev_hash has the wrong type")
        try:
            prepared = prepare_record(item["record"], default_timestamp=0, require_timestamp=True, json_decoded=True)
        except ValidationError as err:  # the record's own fault keeps its code (INVALID_RECORD), as in append
            raise _at_line(err, number) from None
        _require_exact(line, _entry_line(seq, h, prev, prepared.text), number)
        rows.append((seq, h, prev, prepared.id, prepared.stream, prepared.timestamp, prepared.canonical))
        entries.append(Entry(seq, h, prev, prepared.id, prepared.stream, prepared.timestamp, prepared.text))
    # Only the announced entries are walked: past them the first fault is the size itself.
    held = len(rows)
    try:
        walk.walk(rows[:announced] if held > announced else rows, stored=False)
    except ChainIntegrityError as err:
        raise _at_line(err, err.seq + 2) from None  # entry seq n is on line n + 2, after the header
    if held != announced:
        raise _at_line(
            ChainIntegrityError(
                f"the header announces {announced} entries but the export holds {held} "
                + ("(truncated?)" if held < announced else "(entries were added after them)"),
                seq=min(announced, held),
                kind="size",
            ),
            1,
        )
    return entries
