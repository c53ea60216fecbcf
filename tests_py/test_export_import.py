"""Export (JSON Lines) and import: round trips between backends, prefixes, and refusals that write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nucleus
from support import T0, file_state, raises_code, rec


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
    assert lines[0] == '{"format":"nucleus-export","ledger_id":"test","size":3,"version":1}'
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
    lines = exported.splitlines()
    item = json.loads(lines[seq + 1])
    change(item)
    lines[seq + 1] = json.dumps(item)
    return "\n".join(lines) + "\n"


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
        err = raises_code("INVALID_ARGUMENT", lambda: dst.import_entries("\n".join(lines[:-2])))
        assert "announces 6" in err.message and "holds 4" in err.message
        assert len(dst) == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("", "INVALID_ARGUMENT"),
        ("not json\n", "INVALID_ARGUMENT"),
        ('{"format":"something-else"}\n', "INVALID_ARGUMENT"),
        ('{"format":"nucleus-export","ledger_id":"test","size":0,"version":2}\n', "LEDGER_MISMATCH"),
        ('{"format":"nucleus-export","ledger_id":"test","size":1,"version":1}\n[1,2]\n', "INVALID_ARGUMENT"),
        (
            '{"format":"nucleus-export","ledger_id":"test","size":1,"version":1}\n'
            '{"seq":0,"hash":"' + "a" * 64 + '","prev_hash":null,"record":{"id":"","stream":"s","timestamp":1,'
            '"payload":{}}}\n',
            "INVALID_ARGUMENT",
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
    assert exported == '{"format":"nucleus-export","ledger_id":"test","size":0,"version":1}\n'
    with nucleus.Ledger.open("test") as dst:
        assert dst.import_entries(exported) == 0 and len(dst) == 0
