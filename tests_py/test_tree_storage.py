"""The Merkle tree kept in storage (docs/FORMAT.md §9): written with the entries, checked at open and by verify
(``CHAIN_INVALID`` kind ``tree`` at the first seq a wrong, missing or extra node covers), built for files written
before it (a writable open migrates them, a read-only open builds the tree in memory), checked against a kept
checkpoint's root, and taken in from other writers on PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nucleus
from nucleus import _merkle as merkle
from nucleus._checkpoint import encode_hash
from nucleus._verify import EMPTY_TIP, verify_file
from support import file_state, raises_code, rec

N = 700  # two complete level-8 subtrees and a right edge


def _root(hashes: list[str]) -> str:
    return encode_hash(merkle.mth([merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]))


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "t.db"
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path)) as lg:
        hashes = lg.append_batch([rec(i) for i in range(N - 1)])
        hashes.append(lg.append(rec(N)))
    return path, hashes


def _edit(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def test_the_file_holds_every_complete_level_8_subtree(db: tuple[Path, list[str]]):
    path, hashes = db
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT level, idx, hash FROM tree ORDER BY level, idx").fetchall()
    conn.close()
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]
    assert rows == [(8, i, merkle.mth(leaves[i * 256 : (i + 1) * 256])) for i in range(2)]
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path)) as lg:
        assert lg.checkpoint().root == _root(hashes)


TAMPERS: dict[str, tuple[list[str], int]] = {
    "node edited": (["UPDATE tree SET hash = zeroblob(32) WHERE level = 8 AND idx = 1"], 256),
    "node as text": (["UPDATE tree SET hash = hex(hash) WHERE level = 8 AND idx = 0"], 0),
    "node deleted": (["DELETE FROM tree WHERE level = 8 AND idx = 1"], 256),
    "node past the size": (["INSERT INTO tree VALUES (8, 2, zeroblob(32))"], 512),
    "node at a level never stored": (["INSERT INTO tree VALUES (3, 0, zeroblob(32))"], 0),
    "node at a negative index": (["INSERT INTO tree VALUES (8, -1, zeroblob(32))"], 0),
    "a level-16 node for 700 entries": (["INSERT INTO tree VALUES (16, 0, zeroblob(32))"], 0),
}


@pytest.mark.parametrize("name", TAMPERS)
def test_a_tampered_tree_fails_open_and_verify(db: tuple[Path, list[str]], name: str):
    path, _ = db
    statements, seq = TAMPERS[name]
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path)) as lg:
        _edit(path, *statements)
        err = raises_code("CHAIN_INVALID", lg.verify)
        assert (err.details["seq"], err.details["kind"]) == (seq, "tree"), err.message
    err = raises_code("CHAIN_INVALID", lambda: _verify_file_in_chunks(path, 100))
    assert (err.details["seq"], err.details["kind"]) == (seq, "tree"), err.message
    for read_only in (False, True):
        err = raises_code(
            "CHAIN_INVALID", lambda r=read_only: nucleus.Ledger.open("t", nucleus.SqliteStorage(path, read_only=r))
        )
        assert (err.details["seq"], err.details["kind"]) == (seq, "tree"), err.message


def _verify_file_in_chunks(path: Path, limit: int) -> None:
    """``nucleus verify``'s walk: the file read-only, ``limit`` entries at a time."""
    tip, done = EMPTY_TIP, False
    while not done:
        tip, done, _, _ = verify_file(str(path), tip, limit)


def test_verify_file_in_chunks_passes_a_good_tree(db: tuple[Path, list[str]]):
    path, _ = db
    _verify_file_in_chunks(path, 100)
    _verify_file_in_chunks(path, 256)


def test_a_chain_fault_is_named_before_the_tree(db: tuple[Path, list[str]]):
    path, _ = db
    _edit(path, "UPDATE entries SET record = replace(record, '\"n\":300', '\"n\":301') WHERE seq = 300")
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("t", nucleus.SqliteStorage(path)))
    assert (err.details["seq"], err.details["kind"]) == (300, "hash")


def _as_schema_2(path: Path) -> None:
    """The file as this Nucleus before the tree wrote it: no tree table, schema version 2."""
    _edit(path, "DROP TABLE tree", "PRAGMA user_version = 2")


def test_a_file_written_before_the_tree_gets_it_on_a_writable_open(db: tuple[Path, list[str]]):
    path, hashes = db
    _as_schema_2(path)
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path)) as lg:
        assert lg.checkpoint().root == _root(hashes)
        hashes += lg.append_batch([rec(i) for i in range(N + 1, 1100)])
        assert lg.checkpoint().root == _root(hashes)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert conn.execute("SELECT count(*) FROM tree").fetchone()[0] == 4
    conn.close()
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path)) as lg:  # and it verifies
        assert lg.checkpoint().root == _root(hashes)


def test_a_file_written_before_the_tree_gets_it_in_memory_on_a_read_only_open(db: tuple[Path, list[str]]):
    path, hashes = db
    _as_schema_2(path)
    before = file_state(path)
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path, read_only=True)) as lg:
        cp = lg.checkpoint()
        assert cp.root == _root(hashes)
        entry = lg.get_entry(hashes[300])
        assert nucleus.verify_inclusion(entry, lg.inclusion_proof(300), cp)
        old = nucleus.Checkpoint(512, hashes[511], cp.origin, _root(hashes[:512]))
        assert nucleus.verify_consistency(old, cp, lg.consistency_proof(512))
    with nucleus.Ledger.open(
        "t", nucleus.SqliteStorage(path, read_only=True), checkpoint=old, verify="from_checkpoint"
    ) as lg:
        assert lg.checkpoint() == cp
    assert file_state(path) == before


def test_upgrade_copies_a_file_written_before_the_tree_with_its_tree(db: tuple[Path, list[str]], tmp_path: Path):
    path, hashes = db
    _as_schema_2(path)
    before = file_state(path)
    cp = nucleus.upgrade_file(path, tmp_path / "new.db", "t")
    assert (cp.size, cp.hash, cp.root) == (N, hashes[-1], _root(hashes))
    assert file_state(path) == before
    conn = sqlite3.connect(tmp_path / "new.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert conn.execute("SELECT count(*) FROM tree").fetchone()[0] == 2
    conn.close()
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(tmp_path / "new.db"), checkpoint=cp) as lg:
        assert lg.checkpoint() == cp
    with pytest.raises(nucleus.ConfigError, match="nothing to upgrade"):
        nucleus.upgrade_file(tmp_path / "new.db", tmp_path / "again.db", "t")


def test_a_migration_over_a_broken_chain_still_names_the_entry(db: tuple[Path, list[str]]):
    path, _ = db
    _as_schema_2(path)
    _edit(path, "UPDATE entries SET hash = 'not hex' WHERE seq = 400")
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("t", nucleus.SqliteStorage(path)))
    assert err.details["seq"] == 400 and err.details["kind"] in ("hash", "link")


def test_a_kept_checkpoint_with_another_root_is_a_fork(db: tuple[Path, list[str]]):
    path, hashes = db
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path)) as lg:
        cp = lg.checkpoint()
    forged = nucleus.Checkpoint(cp.size, cp.hash, cp.origin, _root(hashes[:-1]))
    for mode in ("full", "from_checkpoint"):
        err = raises_code(
            "CHAIN_INVALID",
            lambda m=mode: nucleus.Ledger.open("t", nucleus.SqliteStorage(path), checkpoint=forged, verify=m),
        )
        assert (err.details["seq"], err.details["kind"]) == (N - 1, "checkpoint")
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path)) as lg:
        err = raises_code("CHAIN_INVALID", lambda: lg.verify(forged.to_text()))
        assert err.details["kind"] == "checkpoint"
        lg.verify({"size": cp.size, "hash": cp.hash})  # a legacy checkpoint: no root to check


def test_from_checkpoint_trusts_the_tree_before_it_only_through_its_root(db: tuple[Path, list[str]]):
    path, hashes = db
    old = nucleus.Checkpoint(300, hashes[299], "nucleus/t", _root(hashes[:300]))
    _edit(path, "UPDATE tree SET hash = zeroblob(32) WHERE level = 8 AND idx = 0")
    err = raises_code(
        "CHAIN_INVALID",
        lambda: nucleus.Ledger.open("t", nucleus.SqliteStorage(path), checkpoint=old, verify="from_checkpoint"),
    )
    assert err.details["kind"] == "checkpoint"  # the stored subtree no longer gives the kept root
    legacy = {"size": 300, "hash": hashes[299]}  # no root: the stored tree before it is trusted as it is
    with nucleus.Ledger.open("t", nucleus.SqliteStorage(path), checkpoint=legacy, verify="from_checkpoint") as lg:
        err = raises_code("CHAIN_INVALID", lg.verify)
        assert (err.details["seq"], err.details["kind"]) == (0, "tree")


def test_a_node_after_the_checkpoint_is_checked_from_checkpoint(db: tuple[Path, list[str]]):
    path, hashes = db
    old = nucleus.Checkpoint(300, hashes[299], "nucleus/t", _root(hashes[:300]))
    _edit(path, "UPDATE tree SET hash = zeroblob(32) WHERE level = 8 AND idx = 1")
    err = raises_code(
        "CHAIN_INVALID",
        lambda: nucleus.Ledger.open("t", nucleus.SqliteStorage(path), checkpoint=old, verify="from_checkpoint"),
    )
    assert (err.details["seq"], err.details["kind"]) == (256, "tree")


def test_memory_ledgers_keep_the_tree_across_batches():
    with nucleus.Ledger.open("m") as lg:
        hashes: list[str] = []
        for size in (1, 254, 1, 1, 300, 0, 1000):
            hashes += lg.append_batch([rec(i) for i in range(len(hashes), len(hashes) + size)]) if size else []
            assert lg.checkpoint().root == _root(hashes)


# -- PostgreSQL -----------------------------------------------------------------------------------------------


@pytest.fixture
def pg(postgres, pg_schema) -> tuple[Callable[[], nucleus.PostgresStorage], Callable[..., Any]]:
    def make() -> nucleus.PostgresStorage:
        return nucleus.PostgresStorage(postgres.dsn(), schema=pg_schema)

    def sql(statement: str, params: Any = None) -> Any:
        return postgres.execute(statement.replace("{s}", f'"{pg_schema}"'), params)

    return make, sql


@pytest.mark.host_only
def test_postgres_writers_take_each_others_tree(pg):
    make, sql = pg
    with nucleus.Ledger.open("t", make()) as a, nucleus.Ledger.open("t", make()) as b:
        hashes = a.append_batch([rec(i) for i in range(300)])
        hashes += b.append_batch([rec(i) for i in range(300, 600)])  # b takes a's 300 in (and node 8/0) first
        hashes.append(a.append(rec(600)))
        assert a.checkpoint() == b.checkpoint() and a.checkpoint().root == _root(hashes)
        assert nucleus.verify_inclusion(a.get_entry(hashes[5]), b.inclusion_proof(5), a.checkpoint())
    assert sql("SELECT level, idx FROM {s}.tree WHERE ledger_id = 't' ORDER BY idx") == [(8, 0), (8, 1)]
    with nucleus.Ledger.open("t", make()) as c:
        assert c.checkpoint().root == _root(hashes)


@pytest.mark.host_only
def test_postgres_a_writer_catching_up_checks_the_others_tree(pg):
    make, sql = pg
    with nucleus.Ledger.open("t", make()) as a, nucleus.Ledger.open("t", make()) as b:
        a.append_batch([rec(i) for i in range(100)])
        b.append(rec(100))  # b is at 101
        a.append_batch([rec(i) for i in range(101, 300)])  # completes node 8/0
        sql("UPDATE {s}.tree SET hash = %s WHERE ledger_id = 't' AND level = 8 AND idx = 0", (b"\0" * 32,))
        err = raises_code("CHAIN_INVALID", lambda: b.append(rec(300)))
        assert (err.details["seq"], err.details["kind"]) == (0, "tree")
        assert sql("SELECT count(*) FROM {s}.entries WHERE ledger_id = 't'") == [(300,)]
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("t", make()))
    assert (err.details["seq"], err.details["kind"]) == (0, "tree")
    sql("DELETE FROM {s}.tree WHERE ledger_id = 't'")
    err = raises_code("CHAIN_INVALID", lambda: nucleus.Ledger.open("t", make()))
    assert (err.details["seq"], err.details["kind"], "missing" in err.message) == (0, "tree", True)


@pytest.mark.host_only
def test_postgres_schema_written_before_the_tree_gets_it(pg):
    make, sql = pg
    with nucleus.Ledger.open("t", make()) as lg:
        hashes = lg.append_batch([rec(i) for i in range(600)])
    with nucleus.Ledger.open("u", make()) as lg:
        other = lg.append_batch([rec(i) for i in range(260)])
    sql("DROP TABLE {s}.tree")
    sql("UPDATE {s}.meta SET value = '1' WHERE key = 'schema_version'")
    with nucleus.Ledger.open("t", make()) as lg:
        assert lg.checkpoint().root == _root(hashes)
    assert sql("SELECT ledger_id, level, idx FROM {s}.tree ORDER BY ledger_id, idx") == [
        ("t", 8, 0),
        ("t", 8, 1),
        ("u", 8, 0),
    ]
    with nucleus.Ledger.open("u", make()) as lg:
        assert lg.checkpoint().root == _root(other)
