"""Writes vectors/chain/<name>.json: chain vectors, each an export (JSON Lines) or a stored copy (the rows of a
SQLite file) of a small ledger, often with one forged change, optionally a checkpoint to check it against, and the
verdict the engine must reach (docs/FORMAT.md §8 describes the files).

Run from the repo root: ``python3 vectors/generate_chain.py``. The files are committed and deterministic; the
Python tests (tests_py/test_chain_vectors.py) and the Node tests (js/test/chain-vectors.test.mjs) both run every
one, so every runtime reaches the same verdict, and a verifier in another language can check itself against them.

The verdicts below are written by hand from docs/FORMAT.md, never read back from the engine: the tests compare the
two. Valid chains come from the engine itself (``Ledger.export``); forged ones are built here, with every hash
recomputed over the forged bytes unless the forgery is the hash itself.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "py"))

import nucleus  # noqa: E402

LEDGER = "vectors"
T0 = 1_700_000_000_000
ALICE, BOB, CAROL, MALLORY = (f"oid:onoal:human:{n}" for n in ("alice", "bob", "carol", "mallory"))
RESOURCE = nucleus.ledger_resource(LEDGER)
FAR = 4_102_444_800  # 2100-01-01 in seconds: a grant that has not expired
NO_CHECKPOINT = object()  # no checkpoint

VECTORS: dict[str, dict[str, Any]] = {}


# -- building chains ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One entry: its seq, hash, prev_hash and record text (any bytes a forger likes, as text)."""

    seq: int
    hash: str
    prev_hash: str | None
    record: str


def canon(record: dict[str, Any]) -> str:
    return nucleus.canonicalize(record).decode("utf-8")


def app(i: int, ts: int | None = None) -> dict[str, Any]:
    """Application record ``r<i>``, one second after the previous by default."""
    return {"id": f"r{i}", "stream": "events", "timestamp": T0 + i * 1000 if ts is None else ts, "payload": {"n": i}}


def chain(texts: list[str], ledger: str = LEDGER) -> list[Row]:
    """Rows for these record texts from seq 0, every hash computed over the exact bytes of the text."""
    rows, prev = [], None
    for seq, text in enumerate(texts):
        h = nucleus.entry_hash(ledger, seq, prev, text.encode("utf-8"))
        rows.append(Row(seq, h, prev, text))
        prev = h
    return rows


def rechain(rows: list[Row]) -> list[Row]:
    """The same records renumbered from 0 and hashed again: what a forger who recomputes everything writes."""
    return chain([r.record for r in rows])


def parse_export(text: str) -> list[Row]:
    return [
        Row(e["seq"], e["hash"], e["prev_hash"], canon(e["record"])) for e in map(json.loads, text.splitlines()[1:])
    ]


def header(size: int, ledger: str = LEDGER, version: int = 2) -> str:
    return f'{{"format":"nucleus-export","ledger_id":"{ledger}","size":{size},"version":{version}}}'


def line(row: Row) -> str:
    prev = "null" if row.prev_hash is None else f'"{row.prev_hash}"'
    return f'{{"hash":"{row.hash}","prev_hash":{prev},"record":{row.record},"seq":{row.seq}}}'


def export(rows: list[Row], size: int | None = None, *, head: str | None = None) -> str:
    lines = [header(len(rows) if size is None else size) if head is None else head, *map(line, rows)]
    return "".join(x + "\n" for x in lines)


def engine_export(records: list[dict[str, Any]]) -> str:
    ledger = nucleus.Ledger.open(LEDGER)
    for r in records:
        ledger.append(r)
    return ledger.export()


def stored(rows: list[Row], meta: dict[str, str] | None = None, **columns: dict[int, Any]) -> dict[str, Any]:
    """A stored copy: meta rows and entries rows. The index columns are the record's members unless ``columns``
    (column name → {seq: value}) says otherwise."""
    entries = []
    for r in rows:
        value = json.loads(r.record)
        ts = value.get("timestamp", T0 + 1000)
        row = {
            "seq": r.seq,
            "hash": r.hash,
            "prev_hash": r.prev_hash,
            "record_id": value["id"],
            "stream": value["stream"],
            "timestamp": int(ts) if isinstance(ts, (int, float)) else T0 + 1000,
            "record": r.record,
        }
        for column, edits in columns.items():
            if r.seq in edits:
                row[column] = edits[r.seq]
        entries.append(row)
    return {"meta": {"ledger_id": LEDGER, "format_version": "2"} if meta is None else meta, "entries": entries}


# -- verdicts -------------------------------------------------------------------------------------------------


def fault(seq: int, kind: str, *, line: int | None = None) -> dict[str, Any]:
    """CHAIN_INVALID at ``seq``; ``line`` when found by an import (entry seq n is on line n + 2, the size on 1)."""
    out: dict[str, Any] = {"code": "CHAIN_INVALID", "seq": seq, "kind": kind}
    if line is not None:
        out["line"] = line
    return out


def walk_fault(seq: int, kind: str) -> dict[str, Any]:
    """CHAIN_INVALID found by an import's walk: on the line of entry ``seq``."""
    return fault(seq, kind, line=seq + 2)


def error(code: str, *, line: int | None = None, reason: str | None = None) -> dict[str, Any]:
    """Any other error: no seq or kind; the export line an import names, and a LEDGER_MISMATCH's reason."""
    out: dict[str, Any] = {"code": code, "seq": None, "kind": None}
    if line is not None:
        out["line"] = line
    if reason is not None:
        out["reason"] = reason
    return out


def add(
    name: str,
    desc: str,
    rule: str,
    want: dict[str, Any] | None,
    *,
    export: str | None = None,
    stored: dict[str, Any] | None = None,
    checkpoint: Any = NO_CHECKPOINT,
    ledger_id: str = LEDGER,
) -> None:
    assert name not in VECTORS, name
    assert (export is None) != (stored is None), name
    vector: dict[str, Any] = {"desc": desc, "rule": rule, "ledger_id": ledger_id}
    if export is not None:
        vector["export"] = export
    else:
        vector["stored"] = stored
    if checkpoint is not NO_CHECKPOINT:
        vector["checkpoint"] = checkpoint
    vector["want_error"] = want
    VECTORS[name] = vector


# -- the base ledger: five application entries ----------------------------------------------------------------

BASE_RECORDS = [
    {"id": f"r{i}", "stream": "events", "timestamp": T0 + i * 1000, "payload": {"n": i, "note": "entry"}}
    for i in range(5)
]
BASE_TEXT = engine_export(BASE_RECORDS)
BASE = parse_export(BASE_TEXT)
assert export(BASE) == BASE_TEXT  # the exporter's spelling, reproduced here


def edited(rows: list[Row], at: int, **changes: Any) -> list[Row]:
    """``rows`` with the entry at seq ``at`` changed as given (hashes not recomputed)."""
    return [replace(r, **changes) if r.seq == at else r for r in rows]


def with_record(rows: list[Row], seq: int, record: dict[str, Any] | str) -> list[Row]:
    """``rows`` with entry ``seq``'s record replaced and every hash recomputed."""
    text = record if isinstance(record, str) else canon(record)
    return rechain([replace(r, record=text) if r.seq == seq else r for r in rows])


def base_exports() -> None:
    """§4 and §6: the chain checks on an export, and what each names."""
    add("valid", "an untouched export imports; re-exporting it gives the same text", "§4, §6", None, export=BASE_TEXT)

    rows = [*BASE[:2], replace(BASE[2], record=BASE[2].record.replace('"n":2', '"n":99')), *BASE[3:]]
    add(
        "flipped-payload",
        "a payload value of seq 2 edited",
        "§4 step 3 (hash)",
        walk_fault(2, "hash"),
        export=export(rows),
    )

    add(
        "dropped-entry",
        "seq 2 removed: line 4 holds seq 3 where seq 2 is expected, and the fault names the expected seq",
        "§4 step 1 (sequence)",
        walk_fault(2, "sequence"),
        export=export([*BASE[:2], *BASE[3:]], size=5),
    )
    add(
        "swapped-entries",
        "seq 1 and 2 swapped: the walk goes in line order",
        "§4 (what is walked), step 1 (sequence)",
        walk_fault(1, "sequence"),
        export=export([BASE[0], BASE[2], BASE[1], *BASE[3:]]),
    )
    add(
        "duplicated-entry",
        "the line of seq 2 repeated after it: line 5 holds seq 2 where seq 3 is expected",
        "§4 step 1 (sequence)",
        walk_fault(3, "sequence"),
        export=export([*BASE[:3], BASE[2], *BASE[3:]], size=6),
    )
    add(
        "negative-seq",
        "an extra entry numbered -1 before seq 0 (hashes recomputed for its position)",
        "§4 step 1 (sequence)",
        walk_fault(0, "sequence"),
        export=export(
            [Row(-1, nucleus.entry_hash(LEDGER, -1, None, BASE[0].record.encode()), None, BASE[0].record), *BASE],
            size=6,
        ),
    )
    add(
        "edited-prev-hash",
        "prev_hash of seq 3 replaced (its hash no longer matches either: link is checked first)",
        "§4 step 2 (link), §4 (precedence)",
        walk_fault(3, "link"),
        export=export(edited(BASE, 3, prev_hash="0" * 64)),
    )
    add(
        "wrong-index",
        "seq 3 renumbered 7",
        "§4 step 1 (sequence)",
        walk_fault(3, "sequence"),
        export=export(edited(BASE, 3, seq=7)),
    )
    add(
        "edited-tip-hash",
        "the last entry's hash replaced",
        "§4 step 3 (hash)",
        walk_fault(4, "hash"),
        export=export(edited(BASE, 4, hash="f" * 64)),
    )
    add(
        "uppercase-hash",
        "seq 3's hash and seq 4's prev_hash spelled in uppercase hex: hashes are compared as lowercase text",
        "§3, §4 step 3 (hash)",
        walk_fault(3, "hash"),
        export=export(edited(edited(BASE, 3, hash=BASE[3].hash.upper()), 4, prev_hash=BASE[3].hash.upper())),
    )
    back = {**BASE_RECORDS[1], "timestamp": 1_600_000_000_000}
    add(
        "timestamp-back",
        "seq 1's timestamp moved before seq 0's, hashes recomputed so only the order betrays it",
        "§4 step 6 (timestamp)",
        walk_fault(1, "timestamp"),
        export=export(with_record(BASE, 1, back)),
    )
    equal = {**BASE_RECORDS[2], "timestamp": BASE_RECORDS[1]["timestamp"]}
    add(
        "timestamp-equal",
        "seq 2 has the same timestamp as seq 1 (hashes recomputed): equal is not earlier",
        "§4 step 6 (timestamp)",
        None,
        export=export(with_record(BASE, 2, equal)),
    )
    add("valid-empty", "the export of an empty ledger: the header alone", "§6", None, export=engine_export([]))
    add(
        "valid-no-final-newline",
        "an export without the newline after its last line imports (re-exporting adds it)",
        "§6 (lines)",
        None,
        export=BASE_TEXT[:-1],
    )


def precedence_exports() -> None:
    """§4 and §6: which of two faults an import names."""
    two = with_record(BASE, 1, {**BASE_RECORDS[1], "timestamp": 1_600_000_000_000})
    add(
        "two-faults-walk-order",
        "seq 1's timestamp goes back (hashes recomputed) and seq 3's hash is replaced: the first in line order wins",
        "§4 (what is walked)",
        walk_fault(1, "timestamp"),
        export=export(edited(two, 3, hash="e" * 64)),
    )
    bad_record = BASE[4].record.replace('"id":"r4"', '"extra":1,"id":"r4"')
    rows = edited(with_record(BASE, 4, bad_record), 0, hash="e" * 64)
    add(
        "two-faults-line-before-walk",
        "seq 0's hash is replaced and seq 4's record has an unknown member: every line is checked before the walk",
        "§6 (import checks, in order)",
        error("INVALID_RECORD", line=6),
        export=export(rows),
    )
    forged = [
        canon({"id": "owner", "stream": "nucleus.acl", "timestamp": 0, "payload": {"owner": ALICE}}),
        canon(app(0)),
        canon(_grant(CAROL, "write", MALLORY, T0 - 1)),
    ]
    add(
        "same-seq-timestamp-and-acl",
        "seq 2 is a grant by a non-owner and goes back in time: timestamp is checked before acl",
        "§4 (precedence)",
        walk_fault(2, "timestamp"),
        export=export(chain(forged)),
    )


def header_and_line_exports() -> None:
    """§6: the header and the exact spelling of every line."""
    body = BASE_TEXT.split("\n", 1)[1]
    add(
        "header-version-1",
        "a format-1 header: refused before anything else",
        "§6 (header), §7",
        error("LEDGER_MISMATCH", line=1, reason="old_format"),
        export=header(5, version=1) + "\n" + body,
    )
    add(
        "header-version-3",
        "a header of a format this engine does not know",
        "§6 (header), §7",
        error("LEDGER_MISMATCH", line=1, reason="newer_schema"),
        export=header(5, version=3) + "\n" + body,
    )
    add(
        "header-other-ledger",
        "the export of ledger 'other' imported as 'vectors' (its hashes are valid for 'other')",
        "§3, §6 (header)",
        error("LEDGER_MISMATCH", line=1, reason="other_ledger"),
        export=export(chain([r.record for r in BASE], ledger="other")).replace(header(5), header(5, ledger="other")),
    )
    add(
        "header-extra-member",
        "a header with a fifth member",
        "§6 (header)",
        error("INVALID_ARGUMENT", line=1),
        export=header(5)[:-1] + ',"x":1}\n' + body,
    )
    add(
        "header-member-order",
        "a header with its members in another order",
        "§6 (header)",
        error("INVALID_ARGUMENT", line=1),
        export='{"ledger_id":"vectors","format":"nucleus-export","size":5,"version":2}\n' + body,
    )
    add("empty-text", "an empty string: no header", "§6 (header)", error("INVALID_ARGUMENT", line=1), export="")
    lines = BASE_TEXT.split("\n")
    add(
        "line-crlf",
        "line 3 ends with CRLF",
        "§6 (lines)",
        error("INVALID_ARGUMENT", line=3),
        export="\n".join([*lines[:2], lines[2] + "\r", *lines[3:]]),
    )
    add(
        "line-blank-at-end",
        "two newlines after the last line: line 7 is blank",
        "§6 (lines)",
        error("INVALID_ARGUMENT", line=7),
        export=BASE_TEXT + "\n",
    )
    add(
        "line-whitespace",
        "a space after a colon on line 4",
        "§6 (lines)",
        error("INVALID_ARGUMENT", line=4),
        export=BASE_TEXT.replace('"seq":2}', '"seq": 2}'),
    )
    add(
        "line-member-order",
        "line 4 with seq first",
        "§6 (lines)",
        error("INVALID_ARGUMENT", line=4),
        export=BASE_TEXT.replace(line(BASE[2]), '{"seq":2,' + line(BASE[2])[1:].replace(',"seq":2}', "}")),
    )
    add(
        "line-duplicate-member",
        "line 4 holds its hash member twice (the same value)",
        "§6 (lines)",
        error("INVALID_ARGUMENT", line=4),
        export=BASE_TEXT.replace(line(BASE[2]), f'{{"hash":"{BASE[2].hash}",' + line(BASE[2])[1:]),
    )
    add(
        "line-extra-member",
        "line 4 with a member beyond hash, prev_hash, record and seq",
        "§6 (lines)",
        error("INVALID_ARGUMENT", line=4),
        export=BASE_TEXT.replace(line(BASE[2]), line(BASE[2])[:-1] + ',"z":0}'),
    )


def size_exports() -> None:
    """§6: the header's size against the entries held."""
    add(
        "size-announced-fewer",
        "the header announces 3 entries, the export holds 5",
        "§6 (size)",
        fault(3, "size", line=1),
        export=export(BASE, size=3),
    )
    add(
        "size-announced-more",
        "the header announces 7 entries, the export holds 5 (truncated)",
        "§6 (size)",
        fault(5, "size", line=1),
        export=export(BASE, size=7),
    )
    add(
        "size-and-walk-fault",
        "the header announces 7 of 5 entries and seq 2's hash is replaced: the walk comes before the size",
        "§6 (import checks, in order)",
        walk_fault(2, "hash"),
        export=export(edited(BASE, 2, hash="d" * 64), size=7),
    )
    add(
        "size-fault-past-announced",
        "the header announces 3 of 5 entries and seq 4's hash is replaced: only announced entries are walked",
        "§6 (import checks, in order)",
        fault(3, "size", line=1),
        export=export(edited(BASE, 4, hash="d" * 64), size=3),
    )


# -- records (§1, §2): each case is entry 1 of a three-entry chain, as an export and as a stored copy -------------


def _r1(payload: str = '{"n":1}', *, id_: str = '"r1"', stream: str = '"events"', ts: str = str(T0 + 1000)) -> str:
    return f'{{"id":{id_},"payload":{payload},"stream":{stream},"timestamp":{ts}}}'


ASTRAL = "\U0001f600"  # 😀: one code point, two UTF-16 code units
RECORD_CASES: list[tuple[str, str, str, str | None]] = [
    # name, record text (entry 1), rule, the import's code (None: valid; a stored copy's kind is then "record")
    ("unknown-member", '{"extra":1,' + _r1()[1:], "§1 (members)", "INVALID_RECORD"),
    ("meta-null", _r1().replace('"payload"', '"meta":null,"payload"'), "§1 (members: meta null)", "INVALID_ARGUMENT"),
    ("meta-array", _r1().replace('"payload"', '"meta":[],"payload"'), "§1 (members)", "INVALID_RECORD"),
    ("payload-string", _r1('"x"'), "§1 (members)", "INVALID_RECORD"),
    ("missing-timestamp", '{"id":"r1","payload":{"n":1},"stream":"events"}', "§1 (members)", "INVALID_RECORD"),
    ("timestamp-float", _r1(ts=f"{T0 + 1000}.0"), "§1 (members: timestamp)", "INVALID_RECORD"),
    ("timestamp-negative", _r1(ts="-1"), "§1 (members: timestamp)", "INVALID_RECORD"),
    ("timestamp-2pow53", _r1(ts=str(2**53)), "§1 (members: timestamp)", "INVALID_RECORD"),
    ("number-5.0", _r1('{"n":5.0}'), "§1 (number rule), §2", "INVALID_ARGUMENT"),
    ("number-minus-zero", _r1('{"n":-0}'), "§1 (number rule), §2", "INVALID_ARGUMENT"),
    ("number-exponent-spelling", _r1('{"n":1E+21}'), "§1 (number rule), §2", "INVALID_ARGUMENT"),
    ("number-2pow53", _r1('{"n":9007199254740992}'), "§1 (number rule)", "INVALID_RECORD"),
    ("number-1e20-digits", _r1('{"n":100000000000000000000}'), "§1 (number rule)", "INVALID_RECORD"),
    ("number-1e16-exponent", _r1('{"n":1e16}'), "§1 (number rule)", "INVALID_RECORD"),
    (
        "numbers",
        _r1('{"a":1.5,"b":1e+21,"c":5e-324,"d":1e-7,"e":9007199254740991,"f":-9007199254740991}'),
        "§1 (number rule), §2",
        None,
    ),
    ("lone-surrogate-escape", _r1('{"s":"\\ud800"}'), "§1 (strings)", "INVALID_RECORD"),
    ("escape-not-canonical", _r1('{"s":"\\u0041"}'), "§2", "INVALID_ARGUMENT"),
    ("escape-u2028", _r1('{"s":"\\u2028"}'), "§2", "INVALID_ARGUMENT"),
    ("escape-uppercase-hex", _r1('{"s":"\\u001F"}'), "§2", "INVALID_ARGUMENT"),
    (
        "separators-raw",
        _r1('{"s":"a\u2028b\u2029c\u0085d\u007fe\\u001f"}', id_='"r\u0085\u2028"'),
        "§1 (strings), §2, §6 (lines)",
        None,
    ),
    ("key-order-utf16", _r1(f'{{"{ASTRAL}":1,"\ue000":2}}'), "§2 (member order)", None),
    ("key-order-code-points", _r1(f'{{"\ue000":2,"{ASTRAL}":1}}'), "§2 (member order)", "INVALID_ARGUMENT"),
    ("whitespace", _r1('{"n": 1}'), "§2", "INVALID_ARGUMENT"),
    ("duplicate-member", '{"id":"r1",' + _r1()[1:], "§2", "INVALID_ARGUMENT"),
    ("depth-64", _r1("[" * 63 + "]" * 63), "§1 (nesting)", None),
    ("depth-65", _r1("[" * 64 + "]" * 64), "§1 (nesting)", "INVALID_RECORD"),
    ("depth-64-objects", _r1('{"a":' * 62 + "{}" + "}" * 62), "§1 (nesting)", None),
    ("depth-65-objects", _r1('{"a":' * 63 + "{}" + "}" * 63), "§1 (nesting)", "INVALID_RECORD"),
    ("depth-255", _r1("[" * 254 + "]" * 254), "§1 (nesting)", "INVALID_RECORD"),
    ("depth-256", _r1("[" * 255 + "]" * 255), "§1 (nesting)", "INVALID_ARGUMENT"),
    ("depth-64-scalar-inside", _r1("[" * 63 + "1" + "]" * 63), "§1 (nesting)", None),
    ("blank-id-u3000", _r1(id_='"\u3000"'), "§1 (blank)", "INVALID_RECORD"),
    ("blank-id-u0085", _r1(id_='"\u0085"'), "§1 (blank)", "INVALID_RECORD"),
    ("blank-stream-u001f", _r1(stream='"\\u001f"'), "§1 (blank)", "INVALID_RECORD"),
    ("empty-id", _r1(id_='""'), "§1 (blank)", "INVALID_RECORD"),
    ("id-not-blank", _r1(id_='"\u200b\u180e\ufeff"'), "§1 (blank)", None),
    ("id-256-astral", _r1(id_=f'"{ASTRAL * 256}"'), "§1 (characters)", None),
    ("id-257-astral", _r1(id_=f'"{ASTRAL * 257}"'), "§1 (characters)", "INVALID_RECORD"),
    ("stream-128-astral", _r1(stream=f'"{ASTRAL * 128}"'), "§1 (characters)", None),
    ("stream-129", _r1(stream=f'"{"s" * 129}"'), "§1 (characters)", "INVALID_RECORD"),
    ("meta-present", _r1().replace('"payload"', '"meta":{"by":"me"},"payload"'), "§1 (members)", None),
    ("meta-empty", _r1().replace('"payload"', '"meta":{},"payload"'), "§1 (members)", None),
    ("payload-array", _r1("[]"), "§1 (members)", None),
]


def record_vectors() -> None:
    for name, text, rule, code in RECORD_CASES:
        rows = chain([canon(app(0)), text, canon(app(2))])
        what = "valid" if code is None else "refused"
        add(
            f"record-{name}",
            f"entry 1's record ({name}), in an export: {what}",
            rule + ("" if code is None else ", §6 (import checks, in order)"),
            None if code is None else error(code, line=3),
            export=export(rows),
        )
        add(
            f"stored-record-{name}",
            f"entry 1's record ({name}), stored with a recomputed hash: {what}",
            rule + ("" if code is None else ", §4 step 4 (record)"),
            None if code is None else fault(1, "record"),
            stored=stored(rows),
        )
    # "meta": null on append is dropped before hashing: the entry is the one without meta.
    add(
        "record-meta-null-appended",
        'records appended with "meta": null are stored, hashed and exported without meta',
        "§1 (members: meta null)",
        None,
        export=engine_export([app(0), {**app(1), "meta": None}]),
    )
    assert VECTORS["record-meta-null-appended"]["export"] == export(chain([canon(app(0)), canon(app(1))]))


# -- stored copies (§4, §5) -----------------------------------------------------------------------------------


def stored_vectors() -> None:
    add("stored-valid", "the five base entries, untouched", "§4, §5", None, stored=stored(BASE))
    add("stored-empty", "a ledger file without entries", "§4, §5", None, stored=stored([]))
    neg = Row(-1, nucleus.entry_hash(LEDGER, -1, None, BASE[0].record.encode()), None, BASE[0].record)
    add(
        "stored-negative-seq",
        "an extra row at seq -1: rows are walked in ascending seq from the lowest, so seq 0 is missing first",
        "§4 (what is walked), step 1 (sequence)",
        fault(0, "sequence"),
        stored=stored([neg, *BASE]),
    )
    add(
        "stored-gap",
        "the row of seq 2 deleted",
        "§4 step 1 (sequence)",
        fault(2, "sequence"),
        stored=stored([*BASE[:2], *BASE[3:]]),
    )
    add(
        "stored-link",
        "seq 3's prev_hash replaced",
        "§4 step 2 (link)",
        fault(3, "link"),
        stored=stored(edited(BASE, 3, prev_hash="0" * 64)),
    )
    add(
        "stored-uppercase-hash",
        "seq 3's hash and seq 4's prev_hash in uppercase hex",
        "§3, §4 step 3 (hash)",
        fault(3, "hash"),
        stored=stored(edited(edited(BASE, 3, hash=BASE[3].hash.upper()), 4, prev_hash=BASE[3].hash.upper())),
    )
    bad = BASE[1].record.replace('"payload"', '"meta":null,"payload"')
    add(
        "stored-record-and-hash",
        "seq 1's record edited to hold meta null, hash not recomputed: hash is checked before record",
        "§4 (precedence)",
        fault(1, "hash"),
        stored=stored(edited(BASE, 1, record=bad)),
    )
    add(
        "stored-derived-record-id",
        "seq 1's record_id column says r9",
        "§4 step 5 (derived)",
        fault(1, "derived"),
        stored=stored(BASE, record_id={1: "r9"}),
    )
    add(
        "stored-derived-stream",
        "seq 2's stream column says other",
        "§4 step 5 (derived)",
        fault(2, "derived"),
        stored=stored(BASE, stream={2: "other"}),
    )
    add(
        "stored-derived-timestamp",
        "seq 3's timestamp column moved back before seq 2's: the column disagrees with the record first",
        "§4 step 5 (derived), §4 (precedence)",
        fault(3, "derived"),
        stored=stored(BASE, timestamp={3: T0 - 5000}),
    )
    unknown = '{"extra":1,' + BASE[2].record[1:]
    add(
        "stored-record-before-derived",
        "seq 2's record has an unknown member (hash recomputed) and its record_id column is wrong",
        "§4 (precedence)",
        fault(2, "record"),
        stored=stored(with_record(BASE, 2, unknown), record_id={2: "zz"}),
    )
    add(
        "stored-timestamp-back",
        "seq 1's timestamp before seq 0's, record and column alike, hashes recomputed",
        "§4 step 6 (timestamp)",
        fault(1, "timestamp"),
        stored=stored(with_record(BASE, 1, {**BASE_RECORDS[1], "timestamp": 1_600_000_000_000})),
    )
    meta = {"ledger_id": LEDGER, "format_version": "2"}
    for name, desc, rows_meta in [
        ("owner", "a third meta row, owner (schema 1 had one; schema 2 never does)", {**meta, "owner": ALICE}),
        ("format-1", "format_version '1' in a schema-2 file", {**meta, "format_version": "1"}),
        ("format-02", "format_version '02': the text must be exactly '2'", {**meta, "format_version": "02"}),
        ("no-format", "no format_version row", {"ledger_id": LEDGER}),
    ]:
        add(
            f"stored-meta-{name}",
            desc,
            "§4 (before the walk), §5",
            fault(0, "format"),
            stored=stored(BASE, rows_meta),
        )
    add(
        "stored-meta-and-chain-fault",
        "an owner meta row and seq 1's hash replaced: the meta table is checked before the walk",
        "§4 (before the walk)",
        fault(0, "format"),
        stored=stored(edited(BASE, 1, hash="c" * 64), {**meta, "owner": ALICE}),
    )
    add(
        "stored-meta-other-ledger",
        "the file says it holds ledger 'other' (and has an owner row): the ledger id is checked first",
        "§4 (before the walk), §5",
        error("LEDGER_MISMATCH", reason="other_ledger"),
        stored=stored(BASE, {**meta, "ledger_id": "other", "owner": ALICE}),
    )


# -- access control (§4a) -------------------------------------------------------------------------------------


def _owner(owner: str = ALICE, **extra: Any) -> dict[str, Any]:
    return {"id": "owner", "stream": "nucleus.acl", "timestamp": 0, "payload": {"owner": owner, **extra}}


def _grant(subject: str, action: str, by: str, ts: int, granted_at: int = 1_700_000_000, **extra: Any) -> dict:
    grant = {
        "subjectOid": subject,
        "resourceOid": RESOURCE,
        "action": action,
        "grantedBy": by,
        "grantedAt": granted_at,
        **extra,
    }
    return {"id": "grant", "stream": "nucleus.acl", "timestamp": ts, "payload": {"grant": grant}}


def _revoke(subject: str, action: str, by: str, ts: int) -> dict[str, Any]:
    payload = {"subjectOid": subject, "resourceOid": RESOURCE, "action": action, "revokedBy": by}
    return {"id": "revoke", "stream": "nucleus.acl", "timestamp": ts, "payload": payload}


def acl_export() -> str:
    """An owned ledger made by the engine: owner, an admin grant to bob, bob's grant to carol, its revocation."""
    ledger = nucleus.Ledger.open(LEDGER, acl="inMemory", owner=ALICE)
    as_ = {"requesterOid": ALICE}
    ledger.append(app(0), as_)
    ledger.acl.grant(
        {"subjectOid": BOB, "resourceOid": RESOURCE, "action": "admin", "grantedAt": 1_700_000_000, "expiresAt": FAR},
        as_,
    )
    ledger.append(app(1), {"requesterOid": BOB})
    ledger.acl.grant(
        {"subjectOid": CAROL, "resourceOid": RESOURCE, "action": "write", "grantedAt": 1_700_000_001},
        {"requesterOid": BOB},
    )
    ledger.append(app(2), {"requesterOid": CAROL})
    assert ledger.acl.revoke(CAROL, RESOURCE, "write", as_)
    ledger.append(app(3), as_)
    return ledger.export()


ACL_RECORDS = [
    _owner(),
    app(0),
    _grant(BOB, "admin", ALICE, T0, expiresAt=FAR),
    app(1),
    _grant(CAROL, "write", BOB, T0 + 1000, granted_at=1_700_000_001),
    app(2),
    _revoke(CAROL, "write", ALICE, T0 + 2000),
    app(3),
]


def acl_vectors() -> None:
    text = acl_export()
    assert text == export(chain([canon(r) for r in ACL_RECORDS])), "the hand-built ACL chain is not the engine's"
    add("acl-valid", "owner, admin grant, a grant by the admin, a revocation by the owner", "§4a", None, export=text)
    add("stored-acl-valid", "the same ledger as a stored copy", "§4a, §5", None, stored=stored(parse_export(text)))

    def forged(records: list[dict[str, Any]]) -> list[Row]:
        return chain([canon(r) for r in records])

    r = ACL_RECORDS
    cases: list[tuple[str, str, list[dict[str, Any]], int]] = [
        (
            "forged-grant",
            "seq 4's grant re-signed by mallory, who is neither owner nor admin (hashes recomputed)",
            [*r[:4], _grant(CAROL, "write", MALLORY, T0 + 1000, granted_at=1_700_000_001), *r[5:]],
            4,
        ),
        (
            "deleted-grant",
            "bob's admin grant (seq 2) deleted and the rest renumbered: bob's grant, now seq 3, has no authority",
            [*r[:2], *r[3:]],
            3,
        ),
        (
            "edited-owner",
            "the owner entry names mallory: alice's grant at seq 2 has no authority",
            [_owner(MALLORY), *r[1:]],
            2,
        ),
        ("second-owner", "a second owner entry at the end", [*r, _owner(BOB) | {"timestamp": T0 + 3000}], 8),
        ("owner-extra-member", "the owner payload holds a member besides owner", [_owner(since=0), *r[1:]], 0),
        (
            "revoke-missing",
            "carol's grant (seq 4) deleted: the revocation, now seq 5, revokes a grant that does not exist",
            [*r[:4], *r[5:]],
            5,
        ),
        (
            "grant-null-member",
            'seq 2\'s grant holds "metadata": null: not the form the engine writes (it leaves the member out)',
            [*r[:2], _grant(BOB, "admin", ALICE, T0, expiresAt=FAR, metadata=None), *r[3:]],
            2,
        ),
        (
            "unknown-id",
            "seq 6 is an access-control entry with id unrevoke",
            [*r[:6], {**r[6], "id": "unrevoke"}, *r[7:]],
            6,
        ),
        (
            "revoke-action-array",
            "seq 6's revocation names its action as an array (a revocation is checked like the grant it removes)",
            [*r[:6], {**r[6], "payload": {**r[6]["payload"], "action": ["write"]}}, *r[7:]],
            6,
        ),
        (
            "other-reserved-stream",
            "seq 3 is in the reserved stream nucleus.other, which no Nucleus writes (appends refuse nucleus.*)",
            [*r[:3], {**r[3], "stream": "nucleus.other"}, *r[4:]],
            3,
        ),
        (
            "admin-expired",
            "bob's admin grant expires at 1700000001 s; his grant is stamped 1700000001000 ms: expiresAt is exclusive",
            [*r[:2], _grant(BOB, "admin", ALICE, T0, expiresAt=1_700_000_001), *r[3:]],
            4,
        ),
    ]
    for name, desc, records, seq in cases:
        add(f"acl-{name}", desc, "§4a, §4 step 7 (acl)", walk_fault(seq, "acl"), export=export(forged(records)))
    live = [
        *r[:2],
        _grant(BOB, "admin", ALICE, T0, expiresAt=1_700_000_001),
        app(1, T0 + 999),
        _grant(CAROL, "write", BOB, T0 + 999, granted_at=1_700_000_001),
        *r[5:],
    ]
    add(
        "acl-admin-live-1ms-before",
        "bob's admin grant expires at 1700000001 s; his grant is stamped 1700000000999 ms, so it is still live",
        "§4a",
        None,
        export=export(forged(live)),
    )
    add(
        "stored-acl-revoke-action-array",
        "the revocation of acl-revoke-action-array in a stored copy",
        "§4a, §4 step 7 (acl)",
        fault(6, "acl"),
        stored=stored(forged(next(c[2] for c in cases if c[0] == "revoke-action-array"))),
    )
    add(
        "stored-acl-forged-grant",
        "the forged grant of acl-forged-grant in a stored copy",
        "§4a, §4 step 7 (acl)",
        fault(4, "acl"),
        stored=stored(forged(cases[0][2])),
    )


# -- checkpoints (§4b) ----------------------------------------------------------------------------------------


def cp_text(size: int, h: str | None) -> str:
    return f"nucleus checkpoint v1\n{size}\n{h or ''}\n"


def checkpoint_vectors() -> None:
    h = [r.hash for r in BASE]
    ok = "§4b"
    cases: list[tuple[str, str, Any, dict[str, Any] | None]] = [
        ("size-0", 'size 0 with "hash": null always holds', {"size": 0, "hash": None}, None),
        ("size-0-text", "size 0 in text form: an empty third line", cp_text(0, None), None),
        ("prefix", "entry 2's hash at size 3: the chain extends it", {"size": 3, "hash": h[2]}, None),
        ("tip-text", "the tip in text form, final newline included", cp_text(5, h[4]), None),
        (
            "beyond-tip",
            "size 7 against 5 entries: truncation names the ledger's size",
            {"size": 7, "hash": h[4]},
            fault(5, "checkpoint"),
        ),
        (
            "hash-mismatch",
            "size 3 with another hash: a fork names entry size - 1",
            {"size": 3, "hash": h[1]},
            fault(2, "checkpoint"),
        ),
        (
            "text-no-final-newline",
            "the text form without its final newline",
            cp_text(5, h[4])[:-1],
            error("INVALID_ARGUMENT"),
        ),
        (
            "text-leading-zero",
            "size 05 in the text form",
            cp_text(5, h[4]).replace("\n5\n", "\n05\n"),
            error("INVALID_ARGUMENT"),
        ),
        ("size-0-with-hash", "size 0 with a hash", {"size": 0, "hash": h[0]}, error("INVALID_ARGUMENT")),
        ("uppercase-hash", "a hash in uppercase hex", {"size": 5, "hash": h[4].upper()}, error("INVALID_ARGUMENT")),
    ]
    for name, desc, cp, want in cases:
        add(f"checkpoint-{name}", desc, ok, want, export=BASE_TEXT, checkpoint=cp)
    add(
        "checkpoint-empty-ledger",
        "size 1 against an empty ledger: seq 0 is named",
        ok,
        fault(0, "checkpoint"),
        export=engine_export([]),
        checkpoint={"size": 1, "hash": h[0]},
    )
    add(
        "checkpoint-after-chain-fault",
        "a broken export with a checkpoint it does not extend: the import refuses it before the checkpoint is checked",
        "§4 (after the walk)",
        walk_fault(1, "hash"),
        export=export(edited(BASE, 1, hash="b" * 64)),
        checkpoint={"size": 7, "hash": h[4]},
    )
    add(
        "stored-checkpoint-truncated",
        "three of five entries left; the kept checkpoint saw five",
        ok,
        fault(3, "checkpoint"),
        stored=stored(BASE[:3]),
        checkpoint={"size": 5, "hash": h[4]},
    )
    other = with_record(BASE, 2, {**BASE_RECORDS[2], "payload": {"n": 2, "note": "rewritten"}})
    add(
        "stored-checkpoint-fork",
        "the ledger was rebuilt from seq 2 (hashes recomputed): the kept checkpoint at size 4 no longer holds",
        ok,
        fault(3, "checkpoint"),
        stored=stored(other),
        checkpoint={"size": 4, "hash": h[3]},
    )
    add(
        "stored-checkpoint-after-chain-fault",
        "seq 1's hash replaced and a checkpoint of size 7: the walk comes first",
        "§4 (after the walk)",
        fault(1, "hash"),
        stored=stored(edited(BASE, 1, hash="b" * 64)),
        checkpoint=cp_text(7, h[4]),
    )


def main() -> None:
    base_exports()
    precedence_exports()
    header_and_line_exports()
    size_exports()
    record_vectors()
    stored_vectors()
    acl_vectors()
    checkpoint_vectors()
    out_dir = ROOT / "vectors" / "chain"
    out_dir.mkdir(exist_ok=True)
    for stale in set(out_dir.glob("*.json")) - {out_dir / f"{name}.json" for name in VECTORS}:
        stale.unlink()
    for name, vector in VECTORS.items():
        # ASCII JSON (every other non-ASCII character escaped), but the rule's "§" as it is, for people to read.
        text = json.dumps(vector, indent=2).replace(
            json.dumps(vector["rule"]), json.dumps(vector["rule"], ensure_ascii=False), 1
        )
        (out_dir / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(VECTORS)} chain vectors to {out_dir}")


if __name__ == "__main__":
    main()
