"""A SQLite ledger's schema, forged: no entry hash covers an index, a table's definition or a trigger, so an attacker
with the file can change them while every entry, and so the chain, stays intact.

Indexes: reads that went through a forged index hid entries from a query by stream, served an old version for
``get_by_id`` and another record's entry for an id it never had. Each read now goes through one named index,
checked against the entries before its first use in a session (rebuilt in a writable open, left unused in a
read-only one); these tests forge each index of the schema the ways SQLite allows and compare every answer with
the honest file's. Tables and triggers: an edited column definition (``COLLATE NOCASE``) made a query by stream
match another stream's entries, and a trigger would make the next append rewrite history; opening refuses both."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import nucleus
from support import T0, raises_code

OWNER = "oid:onoal:human:owner"
ALICE = "oid:onoal:human:alice"
LEDGER = "oid:onoal:ledger:test"


def _records() -> list[dict[str, Any]]:
    # Five ids with six versions each, three streams, one timestamp per entry.
    return [{"id": f"r{i % 5}", "stream": f"s{i % 3}", "timestamp": T0 + i, "payload": {"i": i}} for i in range(30)]


def _build(db: Path) -> list[str]:
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        return lg.append_batch(_records())


def _answers(lg: nucleus.Ledger, hashes: list[str]) -> dict[str, Any]:
    """Every read an index serves: by stream, id, timestamps, hash, and the latest version of each id."""

    def ids(**filters: Any) -> tuple[list[Any], int]:
        result = lg.query(limit=1000, **filters)
        return [r["payload"]["i"] for r in result.records], result.total

    return {
        "streams": [ids(stream=f"s{k}") for k in range(4)],
        "ids": [ids(id=f"r{k}") for k in range(6)],
        "stream_and_id": ids(stream="s1", id="r1"),
        "times": [ids(timestampFrom=T0 + 7), ids(timestampTo=T0 + 21), ids(timestampFrom=T0 + 3, timestampTo=T0 + 4)],
        "desc": ids(stream="s2", order="desc", offset=2),
        "latest": [lg.get_by_id(f"r{k}") for k in range(6)] + [lg.get_by_id("zz")],
        "by_hash": [lg.get(h) for h in hashes] + [lg.get("0" * 64)],
    }


def _honest(tmp_path: Path) -> tuple[Path, list[str], dict[str, Any]]:
    """A new ledger file, its entries' hashes and its answers before anyone edits it."""
    db = tmp_path / "l.db"
    hashes = _build(db)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as lg:
        return db, hashes, _answers(lg, hashes)


def _forge(db: Path, name: str, definition: str) -> None:
    """Give index ``name`` the content of an index built from ``definition`` (``{name}`` stands for the new
    index's name): build that index, point ``name``'s root page at its b-tree, and drop its row from the schema.
    ``sqlite_master`` then reads exactly as before except for one root page number."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(definition.format(name="forged"))
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'forged'").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (root, name))
    conn.execute("DELETE FROM sqlite_master WHERE name = 'forged'")
    conn.close()


def _integrity(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


FORGERIES = [
    # hides every third entry from queries by stream
    pytest.param(
        "entries_by_stream", "CREATE INDEX {name} ON entries(stream, seq) WHERE seq % 3 <> 1", id="stream-hides"
    ),
    # lists entry 4 under stream s2 instead of s1
    pytest.param(
        "entries_by_stream",
        "CREATE INDEX {name} ON entries(CASE WHEN seq = 4 THEN 's2' ELSE stream END, seq)",
        id="stream-relabels",
    ),
    # hides the latest version of each id: get_by_id serves the one before
    pytest.param(
        "entries_by_record_id", "CREATE INDEX {name} ON entries(record_id, seq) WHERE seq < 25", id="id-hides-latest"
    ),
    # files entry 29 (id r4) under an id nobody used, and entry 28 under r4's latest seq
    pytest.param(
        "entries_by_record_id",
        "CREATE INDEX {name} ON entries(CASE WHEN seq = 29 THEN 'zz' ELSE record_id END, seq)",
        id="id-relabels",
    ),
    # lists entry 6 under entry 5's seq: two listings of r0/r1 at seq 5, none at 6
    pytest.param(
        "entries_by_record_id",
        "CREATE INDEX {name} ON entries(record_id, CASE WHEN seq = 6 THEN 5 ELSE seq END)",
        id="id-shifts-seq",
    ),
    pytest.param(
        "entries_by_timestamp", "CREATE INDEX {name} ON entries(timestamp, seq) WHERE seq % 4 <> 0", id="time-hides"
    ),
    pytest.param(
        "entries_by_timestamp",
        "CREATE INDEX {name} ON entries(timestamp - 10, seq)",
        id="time-shifts",
    ),
    # SQLite's own index of the UNIQUE hash column: get(hash) misses every other entry
    pytest.param(
        "sqlite_autoindex_entries_1",
        "CREATE UNIQUE INDEX {name} ON entries(hash) WHERE seq % 2 = 0",
        id="hash-hides",
    ),
    pytest.param(
        "sqlite_autoindex_entries_1",
        "CREATE INDEX {name} ON entries(CASE WHEN seq = 3 THEN '" + "f" * 64 + "' ELSE hash END)",
        id="hash-relabels",
    ),
]


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize(("index", "definition"), FORGERIES)
def test_a_forged_schema_index_changes_no_answer(tmp_path: Path, index: str, definition: str, read_only: bool):
    db, hashes, honest = _honest(tmp_path)
    _forge(db, index, definition)
    assert any(index in problem for problem in _integrity(db)), "the forgery must be one SQLite itself can see"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=read_only)) as lg:
        lg.verify()  # the entries are intact: the chain verifies
        assert _answers(lg, hashes) == honest
    if read_only:  # nothing written: the forgery is still there for the next writable open to repair
        assert any(index in problem for problem in _integrity(db))
    else:
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
            lg.append({"id": "r0", "stream": "s0", "timestamp": T0 + 30, "payload": {"i": 30}})
            assert lg.get_by_id("r0")["payload"] == {"i": 30}
        assert not any(index in problem for problem in _integrity(db)), "the writable open rebuilt the index"


def test_the_forgery_fooled_sqlite_reads(tmp_path: Path):
    """The premise: the same forgery read the way SQLite's planner would answers wrongly."""
    db = tmp_path / "l.db"
    _build(db)
    _forge(db, "entries_by_stream", "CREATE INDEX {name} ON entries(stream, seq) WHERE seq % 3 <> 1")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM entries WHERE stream = 's1'").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM entries NOT INDEXED WHERE stream = 's1'").fetchone() == (10,)
    conn.close()


def test_an_index_an_attacker_added_is_never_used(tmp_path: Path):
    """An extra index that SQLite's planner would prefer for a query by stream, with forged content."""
    db, hashes, honest = _honest(tmp_path)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE INDEX aaa_by_stream ON entries(stream, seq, record_id, timestamp, hash)")
    conn.close()
    _forge(db, "aaa_by_stream", "CREATE INDEX {name} ON entries(stream, seq, record_id, timestamp, hash) WHERE seq > 9")
    for read_only in (True, False):
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=read_only)) as lg:
            assert _answers(lg, hashes) == honest


@pytest.mark.parametrize("read_only", [False, True])
def test_a_redefined_schema_index_is_left_unused(tmp_path: Path, read_only: bool):
    """An index of the schema's name with another definition: SQLite keeps it honestly, but it is not the index
    the reads expect, so they walk the entries instead."""
    db, hashes, honest = _honest(tmp_path)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP INDEX entries_by_stream")
    conn.execute("CREATE INDEX entries_by_stream ON entries(stream) WHERE seq % 2 = 0")
    conn.execute("DROP INDEX entries_by_record_id")
    conn.close()
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=read_only)) as lg:
        assert _answers(lg, hashes) == honest


def _acl_ledger(db: Path) -> tuple[int, int]:
    """Alice made admin, five records, her admin revoked, five records: the revocation's seq and the length."""
    ctx = {"requesterOid": OWNER}
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory", owner=OWNER) as lg:
        lg.acl.grant({"subjectOid": ALICE, "resourceOid": LEDGER, "action": "admin", "grantedBy": OWNER}, ctx)
        lg.append_batch([{"id": f"a{i}", "stream": "s", "timestamp": T0 + i, "payload": {}} for i in range(5)], ctx)
        assert lg.acl.revoke(ALICE, LEDGER, "admin", ctx)
        revoked = len(lg) - 1
        lg.append_batch([{"id": f"b{i}", "stream": "s", "timestamp": T0 + 9, "payload": {}} for i in range(5)], ctx)
        return revoked, len(lg)


def test_opening_from_a_checkpoint_trusts_the_stream_index_until_a_full_verify(tmp_path: Path):
    """Opening from a checkpoint replays access control from the ``nucleus.acl`` entries before it, found by stream,
    and trusts what precedes the checkpoint (docs/ENGINE.md): a stream index that hides Alice's revocation gives her
    admin back until ``verify()``, which replays every entry, as it finds an edited column there."""
    db = tmp_path / "acl.db"
    revoked, size = _acl_ledger(db)
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as lg:
        cp = lg.checkpoint().to_json()
    _forge(db, "entries_by_stream", f"CREATE INDEX {{name}} ON entries(stream, seq) WHERE seq <> {revoked}")
    for read_only in (True, False):  # read-only first: it leaves the forgery in place
        storage = nucleus.SqliteStorage(db, read_only=read_only)
        with nucleus.Ledger.open("test", storage, acl="inMemory", checkpoint=cp, verify="from_checkpoint") as lg:
            assert lg.acl.check(ALICE, LEDGER, "admin")  # the documented trust of this mode
            lg.verify()
            assert not lg.acl.check(ALICE, LEDGER, "admin")
            if not read_only:
                raises_code(
                    "ACCESS_DENIED",
                    lambda lg=lg: lg.append(
                        {"id": "c", "stream": "s", "timestamp": T0 + 20, "payload": {}}, {"requesterOid": ALICE}
                    ),
                )
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), acl="inMemory") as lg:  # a full open: never
        assert not lg.acl.check(ALICE, LEDGER, "admin") and len(lg) == size


def test_a_hidden_revocation_does_not_pass_a_verification_in_chunks(tmp_path: Path):
    """``nucleus verify`` walks a file in chunks, each replaying the access-control entries before it by stream.
    The attacker hides Alice's revocation from the stream index and appends a grant she makes afterwards, hashed as
    the engine would: the whole walk and the walk in chunks both refuse that grant."""
    from nucleus._hashing import entry_hash
    from nucleus._verify import EMPTY_TIP, verify_file

    db = tmp_path / "acl.db"
    revoked, size = _acl_ledger(db)
    conn = sqlite3.connect(db, isolation_level=None)
    prev = conn.execute("SELECT hash FROM entries WHERE seq = ?", (size - 1,)).fetchone()[0]
    grant = {
        "subjectOid": "oid:onoal:human:mallory",
        "resourceOid": LEDGER,
        "action": "admin",
        "grantedBy": ALICE,
        "grantedAt": (T0 + 9) // 1000,
    }
    record = {"id": "grant", "stream": "nucleus.acl", "timestamp": T0 + 9, "payload": {"grant": grant}}
    text = nucleus.canonicalize(record)
    conn.execute(
        "INSERT INTO entries (seq, hash, prev_hash, record_id, stream, timestamp, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (size, entry_hash("test", size, prev, text), prev, "grant", "nucleus.acl", T0 + 9, text.decode()),
    )
    conn.close()

    def walk(limit: int | None) -> nucleus.ChainIntegrityError:
        at = EMPTY_TIP
        with pytest.raises(nucleus.ChainIntegrityError) as info:
            while True:
                at, done, *_ = verify_file(str(db), at, limit)
                assert not done, "the forged grant was accepted"
        return info.value

    # First with the honest index: the chunks after the first share one check of it (the file's state is the same).
    assert walk(4).seq == size
    _forge(db, "entries_by_stream", f"CREATE INDEX {{name}} ON entries(stream, seq) WHERE seq <> {revoked}")
    # The forgery changed the file, so what was found of the index before does not count for it now.
    for limit in (4, None, revoked + 1):  # a chunk boundary right after the revocation, too
        err = walk(limit)
        assert (err.seq, err.kind) == (size, "acl") and "neither owner nor admin" in err.message


# -- the tables' definitions and triggers ---------------------------------------------------------------------


def _edit_table(db: Path, name: str, edit: Any) -> None:
    """Rewrite table ``name``'s definition in ``sqlite_master`` (its rows stay as they are)."""
    conn = sqlite3.connect(db, isolation_level=None)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (edit(sql), name))
    conn.close()


TABLE_EDITS = [
    # a query by stream "s1" would also match "S1", getById("r1") the entries of "R1"
    pytest.param(
        "entries",
        lambda sql: sql.replace("stream    TEXT NOT NULL", "stream TEXT NOT NULL COLLATE NOCASE"),
        id="stream-nocase",
    ),
    pytest.param(
        "entries",
        lambda sql: sql.replace("record_id TEXT NOT NULL", "record_id TEXT NOT NULL COLLATE NOCASE"),
        id="id-nocase",
    ),
    pytest.param(
        "entries",
        lambda sql: sql.replace("timestamp INTEGER NOT NULL", "timestamp TEXT NOT NULL"),
        id="timestamp-affinity",
    ),
    pytest.param("tree", lambda sql: sql.replace("hash  BLOB NOT NULL", "hash  BLOB"), id="tree-nullable"),
    pytest.param(
        "meta", lambda sql: sql.replace("value TEXT NOT NULL", "value TEXT NOT NULL COLLATE NOCASE"), id="meta-nocase"
    ),
]


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize(("table", "edit"), TABLE_EDITS)
def test_a_table_defined_otherwise_is_refused_at_open(tmp_path: Path, table: str, edit: Any, read_only: bool):
    db = tmp_path / "l.db"
    _build(db)
    _edit_table(db, table, edit)
    before = db.read_bytes()
    err = raises_code(
        "CHAIN_INVALID", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=read_only))
    )
    assert (err.seq, err.kind) == (0, "format") and f"table {table!r} defined otherwise" in err.message
    assert db.read_bytes() == before


def test_the_edit_would_have_mixed_streams(tmp_path: Path):
    """The premise of the collation case: SQLite then matches another stream's entries."""
    db = tmp_path / "l.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        lg.append_batch([{"id": i, "stream": s, "timestamp": T0, "payload": {}} for i, s in (("a", "s1"), ("b", "S1"))])
    _edit_table(db, "entries", TABLE_EDITS[0].values[1])
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM entries NOT INDEXED WHERE stream = 's1'").fetchone() == (2,)
    conn.close()


def test_a_file_written_with_other_spelling_of_the_same_schema_opens(tmp_path: Path):
    """Spacing, comments and letter case of a definition do not matter (another tool may write the file)."""
    db = tmp_path / "l.db"
    hashes = _build(db)
    _edit_table(db, "meta", lambda sql: "create table META(key text primary key,value text not null)without rowid")
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        assert lg.get(hashes[-1]) is not None


@pytest.mark.parametrize("read_only", [False, True])
def test_a_trigger_is_refused_at_open(tmp_path: Path, read_only: bool):
    """A trigger that rewrites entry 0 on every insert: the next append would break the history it verified."""
    db = tmp_path / "l.db"
    _build(db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(
        "CREATE TRIGGER rewrite AFTER INSERT ON entries BEGIN "
        "UPDATE entries SET record = replace(record, '\"i\":0', '\"i\":9') WHERE seq = 0; END"
    )
    conn.close()
    before = db.read_bytes()
    err = raises_code(
        "CHAIN_INVALID", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=read_only))
    )
    assert (err.seq, err.kind) == (0, "format") and "trigger 'rewrite'" in err.message
    assert db.read_bytes() == before


def _leaf_page_of(db: Path, table: str) -> int:
    """A page of ``table``'s b-tree other than its root: the right-most child of its root, read from the file (the
    root must be an interior page: the table spans more than one page)."""
    conn = sqlite3.connect(db)
    root, size = conn.execute(
        f"SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master WHERE name = '{table}'"
    ).fetchone()
    conn.close()
    page = db.read_bytes()[(root - 1) * size : root * size]
    assert page[0] == 0x05, "the root is an interior table page"
    return int.from_bytes(page[8:12], "big")


@pytest.mark.parametrize("target", ["meta", "entries", "tree"])
def test_an_index_sharing_a_root_page_is_refused_by_a_writable_open(tmp_path: Path, target: str):
    """``entries_by_stream``'s root page set to another table's: an append would insert into that table, and
    rebuilding the index would clear it (meta's two rows replaced by index entries: the ledger would no longer open).
    A writable open refuses before writing anything; a read-only one answers correctly through the entries."""
    db, hashes, honest = _honest(tmp_path)
    _point_root(db, "entries_by_stream", _root_of(db, target))
    rows = {t: _table(db, t) for t in ("meta", "entries", "tree")}
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as lg:
        assert _answers(lg, hashes) == honest
    err = raises_code("STORAGE_ERROR", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db)))
    assert err.details["reason"] == "corrupt" and f"root page {_root_of(db, target)}" in err.message
    assert {t: _table(db, t) for t in ("meta", "entries", "tree")} == rows  # nothing was written


def test_an_index_rooted_inside_the_entries_is_never_rebuilt_over_them(tmp_path: Path):
    """``entries_by_stream``'s root set to a leaf page of ``entries``: opening cannot see it without walking every
    page, but the index's check fails, and before rebuilding it the writable open runs ``quick_check``, finds the page
    referenced twice, leaves the index unused and refuses every write (a rebuild would have cleared those entries)."""
    db = tmp_path / "l.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db)) as lg:
        hashes = lg.append_batch([{**r, "payload": {"i": r["payload"]["i"], "pad": "x" * 300}} for r in _records()])
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True)) as lg:
        honest = _answers(lg, hashes)
    _point_root(db, "entries_by_stream", _leaf_page_of(db, "entries"))
    rows = {t: _table(db, t) for t in ("meta", "entries", "tree")}
    for read_only in (True, False):
        with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=read_only)) as lg:
            assert _answers(lg, hashes) == honest
            if not read_only:
                err = raises_code(
                    "STORAGE_ERROR",
                    lambda lg=lg: lg.append({"id": "x", "stream": "s0", "timestamp": T0 + 99, "payload": {}}),
                )
                assert err.details["reason"] == "corrupt" and "2nd reference" in err.message
    assert {t: _table(db, t) for t in ("meta", "entries", "tree")} == rows  # nothing was written


def _root_of(db: Path, name: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0])
    finally:
        conn.close()


def _point_root(db: Path, name: str, page: int) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (page, name))
    conn.close()


def _table(db: Path, name: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT * FROM {name} NOT INDEXED").fetchall()
    finally:
        conn.close()


class _Tagged(nucleus.Module):
    """Filters by payload field ``i``: the writable open keeps an index on it."""

    id = "tagged"
    filter_fields = ("i",)

    def query_conditions(self, filter: dict[str, Any]) -> list[tuple[str, Any]]:
        return list(filter.items())


def test_a_redefined_payload_index_rooted_inside_the_entries_is_not_dropped_over_them(tmp_path: Path):
    """A module's payload index redefined (so the writable open would replace it) with its root inside ``entries``:
    dropping it would free the entries' page. The open checks the structure first and refuses, writing nothing."""
    db = tmp_path / "l.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db), modules=[_Tagged()]) as lg:
        lg.append_batch([{**r, "payload": {"i": r["payload"]["i"], "pad": "x" * 300}} for r in _records()])
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute('DROP INDEX "entries_by_payload_i"')
    conn.execute("CREATE INDEX \"entries_by_payload_i\" ON entries(json_extract(record, '$.payload.i'))")
    conn.close()
    _point_root(db, "entries_by_payload_i", _leaf_page_of(db, "entries"))
    rows = {t: _table(db, t) for t in ("meta", "entries", "tree")}
    err = raises_code(
        "STORAGE_ERROR", lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(db), modules=[_Tagged()])
    )
    assert err.details["reason"] == "corrupt" and "2nd reference" in err.message
    assert {t: _table(db, t) for t in ("meta", "entries", "tree")} == rows
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(db, read_only=True), modules=[_Tagged()]) as lg:
        assert [r["payload"]["i"] for r in lg.query(moduleFilters={"tagged": {"i": 7}}).records] == [7]
