"""``Ledger.open(..., checkpoint=cp, verify="from_checkpoint")``: opening against a kept checkpoint walks only the
checkpoint's last entry and what follows it (docs/ENGINE.md, "Opening from a checkpoint").

Counts, not times: a storage wrapper counts the rows the verifier reads. The point of
``test_an_edit_before_the_checkpoint_that_keeps_the_hashes_needs_a_full_verify`` is the mode's documented limit:
bytes before the checkpoint are trusted, not re-hashed, so only a full verify finds such an edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nucleus
from support import build_sqlite_ledger, raises_code, rec, sql

N = 200
AT = 150  # the kept checkpoint: 150 entries, the last one seq 149
OWNER = "oid:onoal:human:owner"
ALICE = "oid:onoal:human:alice"
CTX = {"requesterOid": OWNER}
FROM_CP = "from_checkpoint"


class Counting:
    """A storage that counts the rows its verifier reads (``rows`` and a shared store's ``snapshot``)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.read = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _count(self, rows: Iterator[Any]) -> Iterator[Any]:
        for row in rows:
            self.read += 1
            yield row

    def rows(self, start_seq: int = 0) -> Iterator[Any]:
        return self._count(self.inner.rows(start_seq))

    def snapshot(self, start_seq: int) -> tuple[Any, Iterator[Any]]:
        head, rows = self.inner.snapshot(start_seq)
        return head, self._count(rows)


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, list[str]]:
    """A SQLite ledger of N entries, closed; its hashes."""
    path = tmp_path / "l.db"
    return path, build_sqlite_ledger(path, N)


def _cp(hashes: list[str], size: int = AT) -> dict[str, Any]:
    return {"size": size, "hash": hashes[size - 1]}


def _open(path: Path, checkpoint: Any, verify: str = FROM_CP, **kw: Any) -> tuple[nucleus.Ledger, Counting]:
    storage = Counting(nucleus.SqliteStorage(path))
    opts = {"enableMetrics": True}
    return nucleus.Ledger.open("test", storage, checkpoint=checkpoint, verify=verify, options=opts, **kw), storage


def _chain_error(fn: Any) -> nucleus.ChainIntegrityError:
    err = raises_code("CHAIN_INVALID", fn, nucleus.ChainIntegrityError)
    assert isinstance(err, nucleus.ChainIntegrityError)
    return err


def test_it_walks_only_the_checkpoints_last_entry_and_what_follows(db: tuple[Path, list[str]]) -> None:
    path, hashes = db
    full, counted = _open(path, _cp(hashes), verify="full")
    with full:
        assert counted.read == N + 1  # the walk, then entry AT - 1 again for the checkpoint
        assert full.metrics()["verifiedEntries"] == N
    short, counted = _open(path, _cp(hashes))
    with short:
        assert counted.read == N - AT + 1
        assert short.metrics()["verifiedEntries"] == N - AT + 1
        assert (len(short), short.latest_hash) == (N, hashes[-1])
        assert short.get_by_id("r3") == rec(3)  # reads reach the whole ledger
        short.append(rec(N))
        # verify() stays full whatever the open did.
        counted.read = 0
        short.verify()
        assert counted.read == N + 1
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(path)) as reopened:
        assert len(reopened) == N + 1


def test_a_checkpoint_at_the_tip_or_of_size_zero_or_one(db: tuple[Path, list[str]]) -> None:
    path, hashes = db
    for size, walked in ((N, 1), (0, N), (1, N)):
        cp = {"size": 0, "hash": None} if size == 0 else _cp(hashes, size)
        ledger, counted = _open(path, cp)
        with ledger:
            assert counted.read == walked
            assert len(ledger) == N


def test_memory_storage_too() -> None:
    storage = nucleus.MemoryStorage()
    with nucleus.Ledger.open("test", storage) as ledger:
        hashes = ledger.append_batch([rec(i) for i in range(20)])
    counted = Counting(storage)
    with nucleus.Ledger.open("test", counted, checkpoint=_cp(hashes, 15), verify=FROM_CP) as ledger:
        assert counted.read == 6
        assert ledger.latest_hash == hashes[-1]


def test_a_changed_hash_of_the_checkpoints_last_entry_is_caught(db: tuple[Path, list[str]]) -> None:
    path, hashes = db
    sql(path, f"UPDATE entries SET hash = '{'0' * 64}' WHERE seq = {AT - 1}")
    err = _chain_error(lambda: _open(path, _cp(hashes)))
    assert (err.seq, err.kind) == (AT - 1, "checkpoint")


def test_a_changed_record_of_the_checkpoints_last_entry_is_caught(db: tuple[Path, list[str]]) -> None:
    path, hashes = db
    sql(path, f"UPDATE entries SET record = replace(record, '\"n\":{AT - 1}', '\"n\":7') WHERE seq = {AT - 1}")
    err = _chain_error(lambda: _open(path, _cp(hashes)))
    assert (err.seq, err.kind) == (AT - 1, "hash")


def test_an_edit_before_the_checkpoint_that_keeps_the_hashes_needs_a_full_verify(db: tuple[Path, list[str]]) -> None:
    """The mode's limit, on purpose: entry 10's record is edited and its stored hash left alone. Opening from the
    checkpoint does not read entry 10, so it opens; a full verify (and a full open) names entry 10."""
    path, hashes = db
    sql(path, "UPDATE entries SET record = replace(record, '\"n\":10', '\"n\":11') WHERE seq = 10")
    ledger, _ = _open(path, _cp(hashes))
    with ledger:
        assert len(ledger) == N  # not caught: the prefix is trusted
        err = _chain_error(ledger.verify)
        assert (err.seq, err.kind) == (10, "hash")
    err = _chain_error(lambda: _open(path, _cp(hashes), verify="full"))
    assert (err.seq, err.kind) == (10, "hash")


@pytest.mark.parametrize(
    ("edit", "seq", "kind"),
    [
        ("UPDATE entries SET record = replace(record, '\"n\":170', '\"n\":171') WHERE seq = 170", 170, "hash"),
        ("DELETE FROM entries WHERE seq = 180", 180, "sequence"),
        (f"UPDATE entries SET prev_hash = '{'1' * 64}' WHERE seq = {AT}", AT, "link"),
        (f"UPDATE entries SET timestamp = 5, record = record WHERE seq = {N - 1}", N - 1, "derived"),
        (f"UPDATE entries SET stream = 'nucleus.x' WHERE seq = {AT + 5}", AT + 5, "derived"),
    ],
    ids=["record", "deleted", "link", "derived-timestamp", "derived-stream"],
)
def test_a_fault_after_the_checkpoint_is_caught_with_its_seq_and_kind(
    db: tuple[Path, list[str]], edit: str, seq: int, kind: str
) -> None:
    path, hashes = db
    sql(path, edit)
    err = _chain_error(lambda: _open(path, _cp(hashes)))
    assert (err.seq, err.kind) == (seq, kind)


def test_a_checkpoint_beyond_the_tip_is_refused(db: tuple[Path, list[str]]) -> None:
    path, hashes = db
    err = _chain_error(lambda: _open(path, {"size": N + 5, "hash": "a" * 64}))
    assert (err.seq, err.kind) == (N, "checkpoint")  # as a full open says: the first seq missing
    sql(path, f"DELETE FROM entries WHERE seq >= {AT - 1}")  # truncated below the checkpoint
    err = _chain_error(lambda: _open(path, _cp(hashes)))
    assert (err.seq, err.kind) == (AT - 1, "checkpoint")


def test_unknown_values_and_a_missing_checkpoint_are_refused(tmp_path: Path) -> None:
    for bad in ("fromCheckpoint", "partial", None, 1):
        err = raises_code("INVALID_CONFIG", lambda bad=bad: nucleus.Ledger.open("x", verify=bad))
        assert "verify must be one of" in err.message
    err = raises_code("INVALID_CONFIG", lambda: nucleus.Ledger.open("x", verify=FROM_CP))
    assert "checkpoint" in err.message
    assert list(tmp_path.iterdir()) == []


def test_access_control_before_the_checkpoint_is_replayed_from_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "acl.db"
    with nucleus.Ledger.open("test", nucleus.SqliteStorage(path), acl="inMemory", owner=OWNER) as ledger:
        ledger.acl.grant(
            {"subjectOid": ALICE, "resourceOid": "oid:onoal:ledger:test", "action": "write", "grantedBy": OWNER}, CTX
        )
        ledger.append_batch([rec(i) for i in range(50)], CTX)
        cp = ledger.checkpoint().to_json()
    counted = Counting(nucleus.SqliteStorage(path))
    with nucleus.Ledger.open("test", counted, acl="inMemory", owner=OWNER, checkpoint=cp, verify=FROM_CP) as ledger:
        assert counted.read == 1
        assert ledger.acl.owner == OWNER
        ledger.append(rec(50), {"requesterOid": ALICE})  # Alice's grant, made before the checkpoint, holds
        raises_code("ACCESS_DENIED", lambda: ledger.append(rec(51), {"requesterOid": "oid:onoal:human:eve"}))
    # An access-control entry before the checkpoint edited without fixing its hash: the replay re-hashes it.
    sql(path, "UPDATE entries SET record = replace(record, 'alice', 'mallory') WHERE seq = 1")
    err = _chain_error(
        lambda: nucleus.Ledger.open("test", nucleus.SqliteStorage(path), acl="inMemory", checkpoint=cp, verify=FROM_CP)
    )
    assert (err.seq, err.kind) == (1, "hash")


@pytest.mark.host_only
def test_postgres_through_the_storage_protocol(postgres: Any, pg_schema: str) -> None:
    def storage() -> Any:
        return nucleus.PostgresStorage(postgres.dsn(), schema=pg_schema)

    with nucleus.Ledger.open("test", storage()) as ledger:
        hashes = ledger.append_batch([rec(i) for i in range(40)])
    counted = Counting(storage())
    with nucleus.Ledger.open("test", counted, checkpoint=_cp(hashes, 30), verify=FROM_CP) as ledger:
        assert counted.read == 11
        assert ledger.latest_hash == hashes[-1]
        ledger.append(rec(40))
    postgres.execute(f'UPDATE "{pg_schema}".entries SET record = replace(record, \'"n":35\', \'"n":9\') WHERE seq = 35')
    err = _chain_error(lambda: nucleus.Ledger.open("test", storage(), checkpoint=_cp(hashes, 30), verify=FROM_CP))
    assert (err.seq, err.kind) == (35, "hash")
    err = _chain_error(
        lambda: nucleus.Ledger.open("test", storage(), checkpoint={"size": 60, "hash": "a" * 64}, verify=FROM_CP)
    )
    assert (err.seq, err.kind) == (41, "checkpoint")
