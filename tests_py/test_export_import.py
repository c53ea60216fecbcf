"""Export (JSON Lines) and import: round trips between backends, prefixes, and refusals that write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nucleus
from nucleus._bridge import handle_request
from support import T0, file_state, raises_code, rec

V = nucleus.FORMAT_VERSION  # the export header's version


def _sqlite(tmp_path: Path, name: str = "ledger.db") -> nucleus.SqliteStorage:
    return nucleus.SqliteStorage(tmp_path / name)


def _records(n: int) -> list[dict]:
    return [{**rec(i, stream="s" if i % 2 else "t", ts=T0 + i // 3), "meta": {"i": i}} for i in range(n)]


def test_export_format(tmp_path: Path):
    with nucleus.Ledger.open("test") as lg:
        hashes = lg.append_batch(_records(3))
        text = lg.export()
        assert list(lg.export_lines()) == text.splitlines()
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == 4
    assert lines[0] == f'{{"format":"nucleus-export","ledger_id":"test","size":3,"version":{V}}}'
    for seq, line in enumerate(lines[1:]):
        item = json.loads(line)
        assert set(item) == {"seq", "hash", "prev_hash", "record"}
        assert item["seq"] == seq and item["hash"] == hashes[seq]
        assert item["prev_hash"] == (hashes[seq - 1] if seq else None)
        assert item["record"] == _records(3)[seq]
        assert nucleus.canonicalize(item["record"]).decode() in line  # records are exported canonical


def test_round_trip_memory_to_sqlite_and_back(tmp_path: Path):
    records = _records(25)
    with nucleus.Ledger.open("test") as mem:
        hashes = mem.append_batch(records)
        exported = mem.export()
    with nucleus.Ledger.open("test", _sqlite(tmp_path)) as disk:
        assert disk.import_entries(exported) == 25
        assert len(disk) == 25 and disk.latest_hash == hashes[-1]
        assert disk.query(limit=100).records == records
        disk.append(rec(99, ts=T0 + 100))
        again = disk.export()
    with nucleus.Ledger.open("test", _sqlite(tmp_path)) as disk:  # it persisted
        assert len(disk) == 26 and disk.export() == again
    with nucleus.Ledger.open("test") as mem2:
        assert mem2.import_entries(again) == 26
        assert mem2.export() == again
        assert [mem2.get_entry(h).seq for h in hashes] == list(range(25))
        mem2.verify()


def test_import_accepts_lines(tmp_path: Path):
    with nucleus.Ledger.open("test") as a:
        a.append_batch(_records(4))
        lines = list(a.export_lines())
    with nucleus.Ledger.open("test") as b:
        assert b.import_entries(iter(line + "\n" for line in lines)) == 4
        assert b.export().splitlines() == lines


@pytest.mark.parametrize("backend_name", ["memory", "sqlite"])
def test_import_into_a_ledger_with_a_prefix(tmp_path: Path, backend_name: str):
    records = _records(10)
    with nucleus.Ledger.open("test") as full:
        full.append_batch(records)
        exported = full.export()
        tip = full.latest_hash
    storage = _sqlite(tmp_path) if backend_name == "sqlite" else nucleus.MemoryStorage()
    with nucleus.Ledger.open("test", storage) as part:
        part.append_batch(records[:4])  # the same records and timestamps: the same first four entries
        assert part.import_entries(exported) == 6
        assert len(part) == 10 and part.latest_hash == tip
        assert part.import_entries(exported) == 0  # importing again adds nothing
        assert part.export() == exported
        part.verify()


def test_import_refuses_a_ledger_that_has_forked(tmp_path: Path):
    with nucleus.Ledger.open("test") as a:
        a.append_batch(_records(5))
        exported = a.export()
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as b:
        b.append_batch([rec(0, ts=T0), rec(77, ts=T0)])  # differs at seq 1
        before, tip = file_state(db), b.latest_hash
        err = raises_code("LEDGER_MISMATCH", lambda: b.import_entries(exported))
        assert err.details["reason"] == "fork"
        assert (len(b), b.latest_hash) == (2, tip) and file_state(db) == before
    with nucleus.Ledger.open("test") as c:  # a longer ledger cannot take a shorter export
        c.append_batch(_records(6))
        raises_code("LEDGER_MISMATCH", lambda: c.import_entries(exported))


def _tamper_line(exported: str, seq: int, change) -> str:
    """The export with one entry edited and written back in canonical form, as a careful forger would."""
    lines = exported.split("\n")
    item = json.loads(lines[seq + 1])
    change(item)
    lines[seq + 1] = nucleus.canonicalize(item).decode()
    return "\n".join(lines)


TAMPERED = {
    "edited payload": (lambda e: _tamper_line(e, 3, lambda i: i["record"]["payload"].update(n=999)), 3, "hash"),
    "edited prev_hash": (lambda e: _tamper_line(e, 5, lambda i: i.update(prev_hash="c" * 64)), 5, "link"),
    "edited hash": (lambda e: _tamper_line(e, 7, lambda i: i.update(hash="d" * 64)), 7, "hash"),
    "dropped middle line": (lambda e: "\n".join(e.splitlines()[:3] + e.splitlines()[4:]) + "\n", 2, "sequence"),
    "swapped lines": (
        lambda e: "\n".join([*e.splitlines()[:2], e.splitlines()[3], e.splitlines()[2], *e.splitlines()[4:]]),
        1,
        "sequence",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_tampered_export_is_refused_and_nothing_is_written(tmp_path: Path, case: str):
    tamper, seq, kind = TAMPERED[case]
    with nucleus.Ledger.open("test") as src:
        src.append_batch(_records(10))
        exported = src.export()
    db = tmp_path / "ledger.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as dst:
        before = file_state(db)
        with pytest.raises(nucleus.ChainIntegrityError) as info:
            dst.import_entries(tamper(exported))
        assert info.value.code == "CHAIN_INVALID"
        assert (info.value.seq, info.value.kind) == (seq, kind)
        assert len(dst) == 0 and dst.latest_hash is None
        assert file_state(db) == before
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as dst:
        assert len(dst) == 0


def test_an_export_of_another_ledger_is_refused():
    with nucleus.Ledger.open("other") as src:
        src.append_batch(_records(3))
        exported = src.export()
    with nucleus.Ledger.open("test") as dst:
        err = raises_code("LEDGER_MISMATCH", lambda: dst.import_entries(exported))
        assert err.details["reason"] == "other_ledger" and err.details["found"] == "other"
        assert len(dst) == 0


def test_a_truncated_export_is_refused():
    with nucleus.Ledger.open("test") as src:
        src.append_batch(_records(6))
        lines = src.export().splitlines()
    with nucleus.Ledger.open("test") as dst:
        err = raises_code("CHAIN_INVALID", lambda: dst.import_entries("\n".join(lines[:-2]) + "\n"))
        assert (err.seq, err.kind, err.details["line"]) == (4, "size", 1)
        assert "export line 1" in err.message and "announces 6" in err.message and "holds 4" in err.message
        assert len(dst) == 0


def test_an_export_longer_than_its_header_announces_is_refused_at_the_announced_size():
    with nucleus.Ledger.open("test") as src:
        src.append_batch(_records(4))
        short = src.export().split("\n")[0]  # a header announcing 4 entries
        src.append_batch([rec(10 + i, ts=T0 + 10) for i in range(2)])
        lines = src.export().split("\n")
    forged = "\n".join([short, *lines[1:]])
    with nucleus.Ledger.open("test") as dst:
        err = raises_code("CHAIN_INVALID", lambda: dst.import_entries(forged), nucleus.ChainIntegrityError)
        assert (err.seq, err.kind, err.details["line"]) == (4, "size", 1)
        assert "announces 4" in err.message and "holds 6" in err.message
        # entries past the announced size are not walked: a fault there is not the first one
        broken = _tamper_line(forged, 5, lambda i: i["record"]["payload"].update(n=999))
        err = raises_code("CHAIN_INVALID", lambda: dst.import_entries(broken), nucleus.ChainIntegrityError)
        assert (err.seq, err.kind) == (4, "size")
        # a fault before it comes first
        broken = _tamper_line(forged, 2, lambda i: i["record"]["payload"].update(n=999))
        err = raises_code("CHAIN_INVALID", lambda: dst.import_entries(broken), nucleus.ChainIntegrityError)
        assert (err.seq, err.kind, err.details["line"]) == (2, "hash", 4)
        assert err.message.startswith("export line 4: ") and err.report["message"] == err.message
        assert len(dst) == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("", "INVALID_ARGUMENT"),
        ("not json\n", "INVALID_ARGUMENT"),
        ('{"format":"something-else"}\n', "INVALID_ARGUMENT"),
        (f'{{"format":"nucleus-export","ledger_id":"test","size":0,"version":{V + 1}}}\n', "LEDGER_MISMATCH"),
        (f'{{"format":"nucleus-export","ledger_id":"test","size":1,"version":{V}}}\n[1,2]\n', "INVALID_ARGUMENT"),
        (
            f'{{"format":"nucleus-export","ledger_id":"test","size":1,"version":{V}}}\n'
            '{"seq":0,"hash":"' + "a" * 64 + '","prev_hash":null,"record":{"id":"","stream":"s","timestamp":1,'
            '"payload":{}}}\n',
            "INVALID_RECORD",  # a well-formed line whose record append would refuse: the record's own code
        ),
        (None, "INVALID_ARGUMENT"),
        (42, "INVALID_ARGUMENT"),
        ([1, 2], "INVALID_ARGUMENT"),
    ],
)
def test_malformed_exports_are_refused(data, code: str):
    with nucleus.Ledger.open("test") as dst:
        raises_code(code, lambda: dst.import_entries(data))
        assert len(dst) == 0


def test_an_empty_export_imports_into_an_empty_ledger():
    with nucleus.Ledger.open("test") as src:
        exported = src.export()
    assert exported == f'{{"format":"nucleus-export","ledger_id":"test","size":0,"version":{V}}}\n'
    with nucleus.Ledger.open("test") as dst:
        assert dst.import_entries(exported) == 0 and len(dst) == 0


# -- line separators: "\n" only ------------------------------------------------------------------------

SEPARATORS = {"U+2028": "\u2028", "U+2029": "\u2029", "U+0085": "\x85"}


@pytest.mark.parametrize("name", list(SEPARATORS))
def test_strings_holding_other_line_separators_round_trip(tmp_path: Path, name: str):
    # JSON leaves these characters raw in strings and str.splitlines() splits at them: a browser ledger
    # holding one could be exported but never imported back.
    sep = SEPARATORS[name]
    records = [
        {"id": f"a{sep}b", "stream": "s", "timestamp": T0, "payload": {"text": f"one{sep}two", f"k{sep}": [sep]}},
        {"id": "plain", "stream": f"s{sep}", "timestamp": T0, "payload": [sep * 3], "meta": {"m": f"{sep}\n"}},
    ]
    with nucleus.Ledger.open("test") as src:
        hashes = src.append_batch(records)
        exported = src.export()
    assert sep in exported and exported.count("\n") == 3
    with nucleus.Ledger.open("test", _sqlite(tmp_path)) as dst:
        assert dst.import_entries(exported) == 2
        assert dst.latest_hash == hashes[-1] and dst.query().records == records
        assert dst.export() == exported
    with nucleus.Ledger.open("test") as again:
        assert again.import_entries(list(src_line + "\n" for src_line in exported.split("\n")[:-1])) == 2


# -- strict import --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported() -> str:
    with nucleus.Ledger.open("test") as src:
        src.append_batch(_records(4))
        return src.export()


def _refused(data, code: str, line: int) -> nucleus.NucleusError:
    with nucleus.Ledger.open("test") as dst:
        err = raises_code(code, lambda: dst.import_entries(data))
        assert len(dst) == 0
    assert err.details["line"] == line and f"export line {line}" in err.message, err.message
    return err


def test_the_final_newline_is_optional(exported: str):
    for text in (exported, exported[:-1]):
        with nucleus.Ledger.open("test") as dst:
            assert dst.import_entries(text) == 4


@pytest.mark.parametrize(
    ("edit", "line"),
    [
        (lambda e: e + "\n", 6),  # two final newlines: a blank last line
        (lambda e: e.replace("\n", "\n\n", 1), 2),  # a blank line after the header
        (lambda e: "\n".join([*e.split("\n")[:3], "", *e.split("\n")[3:]]), 4),
        (lambda e: "\n" + e, 1),  # a blank line before the header
    ],
    ids=["blank last line", "blank line after the header", "blank line inside", "blank first line"],
)
def test_blank_lines_are_refused(exported: str, edit, line: int):
    assert "blank line" in _refused(edit(exported), "INVALID_ARGUMENT", line).message


def test_crlf_is_refused(exported: str):
    err = _refused(exported.replace("\n", "\r\n"), "INVALID_ARGUMENT", 1)
    assert "CRLF" in err.message
    lines = exported.split("\n")
    lines[3] += "\r"
    _refused("\n".join(lines), "INVALID_ARGUMENT", 4)


def test_a_list_item_holding_two_lines_is_refused(exported: str):
    lines = exported.split("\n")
    _refused([lines[0], lines[1] + "\n" + lines[2], *lines[3:-1]], "INVALID_ARGUMENT", 2)
    _refused([lines[0], lines[1], "", *lines[2:-1]], "INVALID_ARGUMENT", 3)


def _edit_line(exported: str, number: int, old: str, new: str) -> str:
    lines = exported.split("\n")
    assert old in lines[number - 1], (old, lines[number - 1])
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "\n".join(lines)


NOT_CANONICAL = {
    # duplicate keys: json.loads keeps the last one, so each of these would otherwise import "fine"
    "duplicate header key": (1, '"ledger_id":"test"', '"ledger_id":"other","ledger_id":"test"'),
    "duplicate size": (1, '"size":4', '"size":3,"size":4'),
    "duplicate entry key": (3, '"seq":1', '"seq":7,"seq":1'),
    "duplicate hash": (3, '"hash":"', '"hash":"' + "e" * 64 + '","hash":"'),
    "duplicate record member": (4, '"stream":', '"stream":"forged","stream":'),
    "duplicate key deep in the record": (5, '"i":3', '"i":2,"i":3'),
    "whitespace": (2, '"seq":0', '"seq": 0'),
    "whitespace in the header": (1, '"size":4', '"size" :4'),
    "another key order": (2, '{"hash":', '{"seq":0,"hash":'),
    "number spelling": (2, '"i":0', '"i":0.0'),
    "exponent spelling": (3, '"i":1', '"i":1e0'),
    "string escape": (2, '"stream":"t"', '"stream":"\\u0074"'),
    "escaped slash": (2, '"stream":"t"', '"stream":"\\/t"'),
    "meta null": (2, '"payload":', '"meta":null,"payload":'),
}


@pytest.mark.parametrize("case", list(NOT_CANONICAL))
def test_lines_must_be_exactly_what_the_exporter_writes(exported: str, case: str):
    number, old, new = NOT_CANONICAL[case]
    edited = _edit_line(exported, number, old, new)
    if case == "another key order":
        edited = _edit_line(edited, number, ',"seq":0}', "}")
    err = _refused(edited, "INVALID_ARGUMENT", number)
    assert "canonical" in err.message and err.details["column"] >= 1


HEADERS = {
    "extra member": f'{{"comment":"hi","format":"nucleus-export","ledger_id":"test","size":4,"version":{V}}}',
    "missing member": '{"format":"nucleus-export","ledger_id":"test","size":4}',
    "size as a string": f'{{"format":"nucleus-export","ledger_id":"test","size":"4","version":{V}}}',
    "size as a float": f'{{"format":"nucleus-export","ledger_id":"test","size":4.0,"version":{V}}}',
    "negative size": f'{{"format":"nucleus-export","ledger_id":"test","size":-1,"version":{V}}}',
    "version as a bool": '{"format":"nucleus-export","ledger_id":"test","size":4,"version":true}',
    "version as a string": f'{{"format":"nucleus-export","ledger_id":"test","size":4,"version":"{V}"}}',
    "ledger id as a number": f'{{"format":"nucleus-export","ledger_id":7,"size":4,"version":{V}}}',
    "not an object": '["nucleus-export"]',
}


@pytest.mark.parametrize("case", list(HEADERS))
def test_the_header_must_be_exact(exported: str, case: str):
    assert exported.startswith(f'{{"format":"nucleus-export","ledger_id":"test","size":4,"version":{V}}}\n')
    _refused(HEADERS[case] + exported[exported.index("\n") :], "INVALID_ARGUMENT", 1)


def test_header_refusals_of_another_ledger_or_version_name_line_1(exported: str):
    err = _refused(exported.replace('"ledger_id":"test"', '"ledger_id":"other"', 1), "LEDGER_MISMATCH", 1)
    assert err.details["reason"] == "other_ledger"
    err = _refused(exported.replace(f'"version":{V}}}', f'"version":{V + 1}}}', 1), "LEDGER_MISMATCH", 1)
    assert err.details["reason"] == "newer_schema"


@pytest.mark.parametrize("case", list(TAMPERED))
def test_chain_refusals_name_the_line(case: str):
    tamper, seq, kind = TAMPERED[case]
    with nucleus.Ledger.open("test") as src:
        src.append_batch(_records(10))
        text = tamper(src.export())
    err = _refused(text, "CHAIN_INVALID", seq + 2)
    assert (err.details["seq"], err.details["kind"]) == (seq, kind)


def test_malformed_lines_name_their_line(exported: str):
    lines = exported.split("\n")
    for number, bad in [(3, "not json"), (4, "[1,2]"), (2, '{"hash":"x","prev_hash":null,"record":{},"seq":"0"}')]:
        edited = lines.copy()
        edited[number - 1] = bad
        _refused("\n".join(edited), "INVALID_ARGUMENT", number)
    _refused("", "INVALID_ARGUMENT", 1)


# -- the streamed export (the bridge's exportStream, the npm package's ledger.exportStream()) ----------------


def _part(handle: int, **args: object) -> dict:
    """One ``exportStream`` request through the bridge: its result, or ``{"error": ...}``."""
    response = json.loads(handle_request(json.dumps({"op": "exportStream", "ledger": handle, "args": args})))
    return response["result"] if response["ok"] else {"error": response["error"]}


def _stream(handle: int) -> list[dict]:
    parts = [_part(handle, **{"from": 0})]
    while parts[-1]["next"] < parts[-1]["size"]:
        parts.append(_part(handle, **{"from": parts[-1]["next"], "size": parts[-1]["size"]}))
    return parts


@pytest.fixture(params=["memory", "sqlite"])
def bridged(tmp_path: Path, request: pytest.FixtureRequest):
    """``call(op, handle, **args)`` on a ledger opened through the bridge (in memory, SQLite), and its handle."""

    def call(op: str, ledger: int | None = None, **args: object) -> object:
        response = json.loads(handle_request(json.dumps({"op": op, "ledger": ledger, "args": args})))
        assert response["ok"], response
        return response["result"]

    storage = {"type": "sqlite", "path": str(tmp_path / "l.db")} if request.param == "sqlite" else {"type": "none"}
    handle = call("open", id="test", storage=storage)["handle"]
    yield call, handle
    call("close", handle)


def test_export_parts_join_to_the_export_of_the_length_the_first_part_saw(bridged, monkeypatch: pytest.MonkeyPatch):
    call, handle = bridged
    monkeypatch.setattr(nucleus._export, "EXPORT_CHUNK", 3)
    call("appendBatch", handle, records=_records(10))
    before = call("export", handle)
    first = _part(handle, **{"from": 0})
    assert first["size"] == 10 and first["next"] == 3
    assert first["text"].startswith('{"format":"nucleus-export"') and first["text"].count("\n") == 4
    call("appendBatch", handle, records=_records(12)[10:])  # after the first part: not in this export
    parts = [first]
    while parts[-1]["next"] < parts[-1]["size"]:
        parts.append(_part(handle, **{"from": parts[-1]["next"], "size": 10}))
    assert [p["next"] for p in parts] == [3, 6, 9, 10]
    assert all(p["text"].endswith("\n") and p["size"] == 10 for p in parts)
    assert "".join(p["text"] for p in parts) == before
    assert "".join(p["text"] for p in _stream(handle)) == call("export", handle)  # now 12 entries


def test_an_empty_ledger_streams_its_header_alone(bridged):
    call, handle = bridged
    assert _stream(handle) == [{"text": call("export", handle), "size": 0, "next": 0}]


@pytest.mark.parametrize(
    "args",
    [
        {"from": 5, "size": 4},  # past the size
        {"from": 0, "size": 6},  # past the length
        {"from": -1},
        {"from": True},
        {"from": 1.0},
        {},
        {"from": 0, "size": "5"},
        {"from": 0, "size": -1},
    ],
)
def test_export_parts_out_of_range_are_argument_errors(bridged, args: dict):
    call, handle = bridged
    call("appendBatch", handle, records=_records(5))
    assert _part(handle, **args)["error"]["code"] == "INVALID_ARGUMENT"


def test_a_streamed_export_imports_whole(tmp_path: Path, bridged, monkeypatch: pytest.MonkeyPatch):
    call, handle = bridged
    monkeypatch.setattr(nucleus._export, "EXPORT_CHUNK", 4)
    call("appendBatch", handle, records=_records(9))
    text = "".join(p["text"] for p in _stream(handle))
    with nucleus.Ledger.open("test", _sqlite(tmp_path, "copy.db")) as copy:
        assert copy.import_entries(text) == 9
        assert copy.export() == text
