"""Export and import: a ledger as JSON Lines, verified whole before any entry is accepted. Not public.

The first line is ``{"format":"nucleus-export","ledger_id":...,"size":N,"version":1}``; each further line
is ``{"hash":...,"prev_hash":...,"record":{...},"seq":n}`` in seq order (docs/FORMAT.md, Export).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from . import _json
from ._entry import Entry
from ._errors import ArgumentError, LedgerMismatch, NucleusError
from ._hashing import FORMAT_VERSION
from ._records import prepare_record
from ._verify import verify_rows

EXPORT_FORMAT = "nucleus-export"


def export_lines(ledger_id: str, size: int, entries: Iterable[Entry]) -> Iterator[str]:
    """The export, one line (without newline) at a time."""
    yield json.dumps(
        {"format": EXPORT_FORMAT, "ledger_id": ledger_id, "size": size, "version": FORMAT_VERSION},
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    )
    for e in entries:
        prev = "null" if e.prev_hash is None else f'"{e.prev_hash}"'
        yield f'{{"hash":"{e.hash}","prev_hash":{prev},"record":{e.record_json},"seq":{e.seq}}}'


def _parse_line(line: str, number: int) -> Any:
    try:
        return _json.loads(line)
    except ValueError as err:
        raise ArgumentError(f"export line {number}: not JSON ({err})", details={"line": number}) from None


def _lines(data: Any) -> list[str]:
    if isinstance(data, str):
        return data.splitlines()
    if isinstance(data, Iterable) and not isinstance(data, (bytes, bytearray, dict)):
        lines = list(data)
        if all(isinstance(line, str) for line in lines):
            return [line.rstrip("\n") for line in lines]
    raise ArgumentError(f"an export is JSON Lines text or a list of lines, got {type(data).__name__}")


def parse_export(data: str | Iterable[str], ledger_id: str) -> list[Entry]:
    """Every entry of an export, after verifying the whole chain; nothing is accepted on any fault."""
    lines = [line for line in _lines(data) if line.strip()]
    if not lines:
        raise ArgumentError("the export is empty (no header line)")
    header = _parse_line(lines[0], 1)
    if type(header) is not dict or header.get("format") != EXPORT_FORMAT:
        raise ArgumentError("line 1 is not a Nucleus export header")
    if header.get("version") != FORMAT_VERSION:
        raise LedgerMismatch(
            f"export format version {header.get('version')!r} is not {FORMAT_VERSION}",
            details={"reason": "newer_schema"},
        )
    if header.get("ledger_id") != ledger_id:
        raise LedgerMismatch(
            f"the export is of ledger {header.get('ledger_id')!r}, not {ledger_id!r}",
            details={"reason": "other_ledger", "found": header.get("ledger_id")},
        )
    entries: list[Entry] = []
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        item = _parse_line(line, number)
        if type(item) is not dict or set(item) != {"hash", "prev_hash", "record", "seq"}:
            raise ArgumentError(f"export line {number}: expected {{hash, prev_hash, record, seq}}")
        seq, h, prev = item["seq"], item["hash"], item["prev_hash"]
        if type(seq) is not int or type(h) is not str or (prev is not None and type(prev) is not str):
            raise ArgumentError(f"export line {number}: seq, hash or prev_hash has the wrong type")
        try:
            prepared = prepare_record(item["record"], default_timestamp=0, require_timestamp=True, json_decoded=True)
        except NucleusError as err:
            raise ArgumentError(f"export line {number}: {err.message}", details={"line": number}) from None
        rows.append((seq, h, prev, prepared.timestamp, prepared.canonical))
        entries.append(Entry(seq, h, prev, prepared.id, prepared.stream, prepared.timestamp, prepared.text))
    tip = verify_rows(rows)
    if header.get("size") != tip.size:
        raise ArgumentError(
            f"the export header announces {header.get('size')!r} entries but holds {tip.size} (truncated?)"
        )
    return entries
