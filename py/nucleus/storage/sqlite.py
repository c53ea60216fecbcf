"""SQLite storage: one ledger per file, WAL mode, one transaction per append or batch.

On CPython SQLite's own ``synchronous=FULL`` makes each commit durable. Under Emscripten (Pyodide)
SQLite's syncs never reach the host (DESIGN.md, Node specifics), so this backend syncs itself: after
each commit it calls ``os.fsync`` on the WAL (the TypeScript host routes that to the real disk). On both,
SQLite does not checkpoint on its own (that would happen inside an append's COMMIT); the backend
checkpoints after a commit once the WAL passes 4 MiB, in a crash-safe order: PASSIVE, sync the database
file, then TRUNCATE the WAL.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from .._entry import Entry
from .._errors import ConfigError, LedgerMismatch, StorageError
from .._query import QuerySpec
from ._lock import FileLock
from ._protocol import LedgerMeta, RawRow
from ._schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

IN_EMSCRIPTEN = sys.platform == "emscripten"
DURABILITY_MODES = ("full", "fast")
_CHECKPOINT_BYTES = 4 * 1024 * 1024
_COLUMNS = "seq, hash, prev_hash, record_id, stream, timestamp, record"
_INSERT = f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"


def _storage_error(err: BaseException, action: str, path: str) -> StorageError:
    text = str(err)
    lowered = text.lower()
    if "full" in lowered:
        reason = "disk_full"
    elif "readonly" in lowered or "read-only" in lowered or "permission" in lowered:
        reason = "read_only"
    elif not os.access(os.path.dirname(path), os.W_OK):
        reason = "read_only"  # SQLite says only "unable to open database file"
    else:
        reason = "io"
    return StorageError(f"{action} {path} failed: {text}", details={"path": path, "reason": reason})


class SqliteStorage:
    """A ledger in the SQLite file at ``path``.

    ``durability="full"`` (default) makes every commit durable before ``append`` returns;
    ``"fast"`` may lose the last commits on power loss (never on a crash of the process), in exchange
    for speed. ``lock`` (default: True on CPython) takes the ``<path>.lock`` file lock.
    """

    persistent = True

    def __init__(self, path: str | os.PathLike[str], *, durability: str = "full", lock: bool | None = None):
        if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
            raise ConfigError(f"SqliteStorage needs a non-empty file path, got {path!r}")
        if durability not in DURABILITY_MODES:
            raise ConfigError(f"durability must be 'full' or 'fast', got {durability!r}")
        self.path = os.path.abspath(os.fspath(path))
        self.durability = durability
        self._lock = FileLock(self.path) if (not IN_EMSCRIPTEN if lock is None else lock) else None
        self._conn: sqlite3.Connection | None = None
        self._wal_fd: int | None = None

    # -- opening -------------------------------------------------------------------------------------

    def open(self, ledger_id: str, owner: str | None) -> LedgerMeta:
        directory = os.path.dirname(self.path)
        if os.path.isdir(self.path):
            raise ConfigError(f"{self.path} is a directory; give the path of a database file")
        if not os.path.isdir(directory):
            raise StorageError(f"directory {directory} does not exist", details={"reason": "missing_dir"})
        if self._lock:
            self._lock.acquire()
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            return self._initialize(ledger_id, owner)
        except sqlite3.Error as err:
            self.close()
            raise _storage_error(err, "opening", self.path) from None
        except BaseException:
            self.close()
            raise

    def _initialize(self, ledger_id: str, owner: str | None) -> LedgerMeta:
        conn = self._require()
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        except sqlite3.OperationalError as err:  # cannot read it (I/O, permissions), as opposed to not SQLite
            raise _storage_error(err, "opening", self.path) from None
        except sqlite3.DatabaseError as err:
            raise LedgerMismatch(
                f"{self.path} is not a Nucleus ledger ({err})", details={"reason": "not_a_ledger"}
            ) from None
        fresh = app_id == 0 and version == 0 and not has_tables
        if not fresh and app_id != APPLICATION_ID:
            raise LedgerMismatch(
                f"{self.path} is a SQLite database but not a Nucleus ledger", details={"reason": "not_a_ledger"}
            )
        if version > SCHEMA_VERSION:
            raise LedgerMismatch(
                f"{self.path} has schema version {version}; this Nucleus reads up to {SCHEMA_VERSION}. "
                "Upgrade Nucleus to open it.",
                details={"reason": "newer_schema", "found": version, "supported": SCHEMA_VERSION},
            )
        if not fresh:
            self._check_ledger_id(ledger_id)
        self._configure()
        if not fresh and version == SCHEMA_VERSION:
            stored_owner = self._meta_value("owner")
            if stored_owner is not None or owner is None:
                return LedgerMeta(ledger_id, stored_owner)  # nothing to migrate or record: write nothing
        try:
            conn.execute("BEGIN IMMEDIATE")
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        conn.execute(statement)
            if fresh:
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("ledger_id", ledger_id), ("format_version", "1"), ("created_at", str(int(time.time() * 1000)))],
                )
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            stored_owner = self._meta_value("owner")
            if stored_owner is None and owner is not None:
                conn.execute("INSERT INTO meta (key, value) VALUES ('owner', ?)", (owner,))
                stored_owner = owner
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "initializing", self.path) from None
        self._after_commit()
        return LedgerMeta(ledger_id, stored_owner)

    def _check_ledger_id(self, ledger_id: str) -> None:
        try:
            stored = self._meta_value("ledger_id")
        except sqlite3.Error as err:
            raise LedgerMismatch(
                f"{self.path} is not a Nucleus ledger ({err})", details={"reason": "not_a_ledger"}
            ) from None
        if stored != ledger_id:
            raise LedgerMismatch(
                f"{self.path} holds ledger {stored!r}, not {ledger_id!r}",
                details={"reason": "other_ledger", "found": stored, "expected": ledger_id},
            )

    def _configure(self) -> None:
        conn = self._require()
        try:
            if IN_EMSCRIPTEN:
                # No shared-memory WAL index on NODEFS; the host lock already makes us the only user.
                conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            # The engine checkpoints after commits (_after_commit): SQLite's automatic checkpoint would run inside
            # an append's COMMIT (-14% on a 10K batch here), and under Emscripten its syncs would not be real.
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StorageError(f"{self.path}: could not enable WAL mode (got {mode})")
            sync = "FULL" if self.durability == "full" else "NORMAL"
            conn.execute(f"PRAGMA synchronous = {sync}")
        except sqlite3.Error as err:
            raise _storage_error(err, "opening", self.path) from None

    def _meta_value(self, key: str) -> str | None:
        row = self._require().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError(f"{self.path} is not open")
        return self._conn

    # -- writing -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed and made durable, or rolled back leaving no trace."""
        conn = self._require()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            raise _storage_error(err, "writing to", self.path) from None
        self._after_commit()

    def append(self, entries: Sequence[Entry]) -> None:
        rows = [(e.seq, e.hash, e.prev_hash, e.record_id, e.stream, e.timestamp, e.record_json) for e in entries]
        with self._transaction() as conn:
            if len(rows) == 1:
                conn.execute(_INSERT, rows[0])
            else:
                conn.executemany(_INSERT, rows)

    def _after_commit(self) -> None:
        """Checkpoint when the WAL is large, outside any append's commit; under Emscripten also make the commit
        durable on the host first (SQLite's own syncs never leave Pyodide)."""
        try:
            if self._wal_fd is None:
                self._wal_fd = os.open(self.path + "-wal", os.O_RDWR)
            if IN_EMSCRIPTEN and self.durability == "full":
                os.fsync(self._wal_fd)
            if os.fstat(self._wal_fd).st_size > _CHECKPOINT_BYTES:
                self._checkpoint()
        except OSError as err:
            raise StorageError(
                f"syncing {self.path} failed after commit: {err}; the last write may not survive power loss",
                details={"path": self.path, "reason": "sync_failed", "committed": True},
            ) from None

    def _checkpoint(self) -> None:
        conn = self._require()
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        db_fd = os.open(self.path, os.O_RDWR)
        try:
            os.fsync(db_fd)
        finally:
            os.close(db_fd)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if self._wal_fd is not None:
            os.fsync(self._wal_fd)

    # -- reading -------------------------------------------------------------------------------------

    def _entry(self, row: tuple[Any, ...] | None) -> Entry | None:
        return None if row is None else Entry(*row)

    def tip(self) -> Entry | None:
        return self._entry(
            self._require().execute(f"SELECT {_COLUMNS} FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        )

    def count(self) -> int:
        return self._require().execute("SELECT count(*) FROM entries").fetchone()[0]

    def get(self, entry_hash: str) -> Entry | None:
        return self._entry(
            self._require().execute(f"SELECT {_COLUMNS} FROM entries WHERE hash = ?", (entry_hash,)).fetchone()
        )

    def latest_by_id(self, record_id: str) -> Entry | None:
        sql = f"SELECT {_COLUMNS} FROM entries WHERE record_id = ? ORDER BY seq DESC LIMIT 1"
        return self._entry(self._require().execute(sql, (record_id,)).fetchone())

    def query(self, spec: QuerySpec) -> tuple[list[Entry], int]:
        where: list[str] = []
        params: list[Any] = []
        for column, value, op in (
            ("stream", spec.stream, "="),
            ("record_id", spec.record_id, "="),
            ("timestamp", spec.timestamp_from, ">="),
            ("timestamp", spec.timestamp_to, "<="),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        for field, value in spec.conditions:
            path = f"$.payload.{field}"
            json_type = {str: "text", int: "integer"}.get(type(value)) or ("true" if value else "false")
            where.append("json_type(record, ?) = ?")
            params += [path, json_type]
            if type(value) is not bool:
                where.append("json_extract(record, ?) = ?")
                params += [path, value]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        conn = self._require()
        total = conn.execute(f"SELECT count(*) FROM entries{clause}", params).fetchone()[0]
        order = "DESC" if spec.descending else "ASC"
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM entries{clause} ORDER BY seq {order} LIMIT ? OFFSET ?",
            [*params, spec.limit, spec.offset],
        ).fetchall()
        return [Entry(*row) for row in rows], total

    def rows(self, start_seq: int = 0) -> Iterator[RawRow]:
        cursor = self._require().execute(
            "SELECT seq, hash, prev_hash, timestamp, CAST(record AS BLOB) FROM entries WHERE seq >= ? ORDER BY seq",
            (start_seq,),
        )
        while batch := cursor.fetchmany(4096):
            yield from batch

    def entries(self, start_seq: int = 0) -> Iterator[Entry]:
        cursor = self._require().execute(f"SELECT {_COLUMNS} FROM entries WHERE seq >= ? ORDER BY seq", (start_seq,))
        while batch := cursor.fetchmany(1024):
            for row in batch:
                yield Entry(*row)

    def first_inconsistent_index(self) -> int | None:
        differs = (
            "record_id IS NOT json_extract(record, '$.id')"
            " OR stream IS NOT json_extract(record, '$.stream')"
            " OR timestamp IS NOT json_extract(record, '$.timestamp')"
        )
        conn = self._require()
        try:
            return conn.execute(f"SELECT min(seq) FROM entries WHERE {differs}").fetchone()[0]
        except sqlite3.OperationalError:  # a record that is not JSON: it is inconsistent too (slower query)
            sql = f"SELECT min(seq) FROM entries WHERE CASE WHEN json_valid(record) THEN {differs} ELSE 1 END"
            return conn.execute(sql).fetchone()[0]

    # -- grants --------------------------------------------------------------------------------------

    def put_grant(self, grant: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO grants (subject_oid, resource_oid, action, grant_json) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (subject_oid, resource_oid, action) DO UPDATE SET grant_json = excluded.grant_json",
            (grant["subjectOid"], grant["resourceOid"], grant["action"], json.dumps(grant, sort_keys=True)),
        )

    def remove_grant(self, subject: str, resource: str, action: str) -> bool:
        return (
            self._write(
                "DELETE FROM grants WHERE subject_oid = ? AND resource_oid = ? AND action = ?",
                (subject, resource, action),
            )
            > 0
        )

    def grants_for(self, subject: str) -> list[dict[str, Any]]:
        rows = (
            self._require()
            .execute("SELECT grant_json FROM grants WHERE subject_oid = ? ORDER BY resource_oid, action", (subject,))
            .fetchall()
        )
        return [json.loads(r[0]) for r in rows]

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        with self._transaction() as conn:
            return conn.execute(sql, params).rowcount

    # -- closing -------------------------------------------------------------------------------------

    def close(self) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                if IN_EMSCRIPTEN:
                    self._conn = conn
                    with contextlib.suppress(sqlite3.Error, OSError):
                        self._checkpoint()
                    self._conn = None
                conn.close()
        finally:
            if self._wal_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._wal_fd)
                self._wal_fd = None
            if self._lock:
                self._lock.release()
