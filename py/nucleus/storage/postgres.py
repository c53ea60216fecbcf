"""PostgreSQL storage: any number of ledgers per database, any number of writers per ledger (psycopg 3).

psycopg is an optional extra (``pip install "nucleus-ledger[postgres]"``), imported when a ``PostgresStorage`` is
made, never at import time: the engine stays importable without it, and inside Pyodide, which has no sockets.

Protocol (docs/FORMAT.md §5b). Every ledger has a row in ``ledgers`` holding its head (size and last hash), which is
also its write lock: an append runs one READ COMMITTED transaction that takes that row with ``SELECT … FOR
UPDATE``, hands the caller the rows other writers committed after the caller's tip (``append_after``: the ledger
verifies them and chains its own entries after them), inserts the new entries, moves the head and commits, with
``synchronous_commit = on``. So appends to one ledger are serialized, gap-free and fork-free, while other ledgers'
rows are never locked; a writer that dies mid-transaction leaves nothing, because the server rolls back. This is
the shape of Tessera's transactional (MySQL) storage, whose ``sequenceBatch`` reads its tree-state row ``FOR
UPDATE`` and sequences a whole batch from that size inside one transaction.

Reads are single statements on the main connection; streamed reads (``rows``, ``entries``, ``snapshot``) run on a
connection of their own, in a read-only REPEATABLE READ transaction through a server-side cursor, so memory stays
bounded and a stream sees one state of the ledger even while others append.

Failures are ``STORAGE_ERROR`` with ``details.reason`` and a remedy in the message. A connection that broke is
dropped, and the next call connects again; nothing is retried behind the caller's back, except that a COMMIT whose
answer was lost is looked up after reconnecting, so that an append is never reported failed when it committed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import sys
import urllib.parse
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .._canonical import canonicalize
from .._entry import Entry
from .._errors import ChainIntegrityError, ConfigError, LedgerMismatch, StorageError
from .._query import FIELD_NAME, RESERVED_PREFIX, QuerySpec
from .._tree import TreeNode, nodes_of_stored_hashes
from ._pg_schema import (
    APPLICATION,
    FORMAT_OF_SCHEMA,
    HOOKS_SQL,
    MIGRATIONS,
    SCHEMA_VERSION,
    TABLE_COLUMNS,
    TABLE_SHAPE_SQL,
    TREE_SCHEMA,
)
from ._protocol import BuildEntries, Head, LedgerMeta, StoredRow

if TYPE_CHECKING:
    import psycopg

INSTALL = 'pip install "nucleus-ledger[postgres]"'
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
DEFAULT_TIMEOUT = 10.0
_COLUMNS = "seq, hash, prev_hash, record_id, stream, timestamp, record"
# The verifier hashes the stored bytes: the UTF-8 bytes of the text, as SQLite's CAST(record AS BLOB).
_ROW_COLUMNS = "seq, hash, prev_hash, record_id, stream, timestamp, convert_to(record, 'UTF8')"
_IN_CHAIN = "seq >= 0 AND seq < %s"
_NOT_RESERVED = f"NOT starts_with(stream, '{RESERVED_PREFIX}')"
# A record whose text holds this escape (of U+0000) cannot be read as JSON by PostgreSQL (query conditions).
_NUL_ESCAPE = "'\\u0000'"
_NO_NUL = f"strpos(record, {_NUL_ESCAPE}) = 0"
_FETCH = 4096  # rows per round trip of a streamed read: a few MiB at most
# Other writers' rows read by one plain statement (a ledger catching up, before reads or under its lock); more are
# streamed through a cursor.
_SMALL_CATCH_UP = 1024
_T = TypeVar("_T")

# What a failure means and what to do about it, by SQLSTATE (or, before a session exists, by libpq's message).
_REASON_OF_SQLSTATE = {
    "28P01": "auth",
    "28000": "auth",
    "3D000": "no_database",
    "42501": "permission",
    "57014": "timeout",  # statement_timeout
    "55P03": "timeout",  # lock_timeout
    "25P03": "timeout",  # idle_in_transaction_session_timeout
    "57P01": "connection_lost",  # the server shut down or terminated this session
    "57P02": "connection_lost",
    "57P03": "server_unavailable",  # starting up, shutting down, in recovery
    "53300": "server_unavailable",  # too many connections
    "23505": "conflict",
    "40001": "conflict",
    "40P01": "conflict",
}
_REMEDY = {
    "unreachable": "check that the server is running and that the host and port of the connection string are right",
    "auth": "check the user name and password of the connection string (and the server's pg_hba.conf)",
    "no_database": "create the database, or name an existing one in the connection string",
    "permission": (
        "grant the user CREATE on the database (the first open creates the schema) and rights on its tables, "
        "or have an administrator open it once"
    ),
    "timeout": (
        "the server did not finish within {timeout:g} s (or another writer held the ledger's lock that long); "
        "retry, or give PostgresStorage a larger timeout"
    ),
    "connection_lost": "the connection broke (server restart or network): nothing of this call was written; retry, "
    "the next call connects again",
    "server_unavailable": "the server is starting, stopping or out of connections: retry shortly",
    "conflict": "an entry with this seq or hash is stored already: nothing was written",
    "server": "see the server's log",
}


def _driver() -> Any:
    if sys.platform == "emscripten":
        # Pyodide has no sockets: the host's channel stands in for psycopg (under Node.js; refused elsewhere).
        from . import _pg_host

        return _pg_host.driver()
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            f"PostgresStorage needs the psycopg 3 driver, which is not installed: {INSTALL}",
            details={"reason": "missing_driver", "package": "psycopg", "install": INSTALL},
        ) from None
    return psycopg


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:500]


def _reason(err: BaseException) -> str:
    known = getattr(err, "nucleus_reason", None)  # set by the host's channel (_pg_host), never by psycopg
    if known:
        return str(known)
    sqlstate = getattr(err, "sqlstate", None)
    if sqlstate in _REASON_OF_SQLSTATE:
        return _REASON_OF_SQLSTATE[sqlstate]
    if sqlstate and sqlstate.startswith("08"):
        return "connection_lost"
    text = str(err).lower()
    # Failures of connecting have no SQLSTATE: libpq's message is all there is.
    if "password authentication failed" in text or "no password supplied" in text or "authentication" in text:
        return "auth"
    if "does not exist" in text and "database" in text:
        return "no_database"
    if "timeout expired" in text or "timed out" in text:
        return "timeout"
    if "the database system is" in text:
        return "server_unavailable"
    if "connection refused" in text or "no such file or directory" in text or "could not translate host" in text:
        return "unreachable"
    if "connection" in text or "server closed" in text or "terminat" in text or "ssl" in text:
        return "connection_lost"
    return "server"


class _Tables:
    """The quoted names of one schema's tables."""

    def __init__(self, schema: str):
        self.schema = f'"{schema}"'
        self.meta = f"{self.schema}.meta"
        self.ledgers = f"{self.schema}.ledgers"
        self.entries = f"{self.schema}.entries"
        self.tree = f"{self.schema}.tree"


class PostgresStorage:
    """Ledgers in the PostgreSQL database that ``dsn`` (a libpq connection string or ``postgresql://`` URL) names,
    in the schema ``schema`` (created, with its tables, on the first open). Any number of ledgers share a schema,
    and any number of processes may append to one ledger at once: the chain stays gap-free and verifiable.

    ``timeout`` (seconds, default 10) bounds connecting, every statement and the wait for a ledger's write lock; a
    call that runs out fails with ``STORAGE_ERROR`` (reason ``timeout``). ``application_name`` is what the server
    shows in ``pg_stat_activity``. Needs psycopg 3: ``pip install "nucleus-ledger[postgres]"``.
    """

    persistent = True
    read_only = False
    tree_kept = True
    shared = True
    """Other processes may append to the same ledger: the ledger catches up with them (``SharedStorage``)."""
    many_ledgers = True
    """Each ledger id names a ledger of its own in the same place (``nucleus.testing.check_storage``)."""

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "nucleus",
        timeout: float = DEFAULT_TIMEOUT,
        application_name: str = "nucleus",
    ):
        if type(dsn) is not str or not dsn.strip():
            raise ConfigError(f"PostgresStorage needs a connection string (postgresql://…), got {dsn!r}")
        if type(schema) is not str or not SCHEMA_NAME.fullmatch(schema):
            raise ConfigError(
                f"schema must be 1–63 characters of lowercase letters, digits and _ (not starting with a digit), "
                f"got {schema!r}"
            )
        if type(timeout) not in (int, float) or not 0 < timeout <= 86_400 or math.isnan(timeout):
            raise ConfigError(f"timeout must be a number of seconds in (0, 86400], got {timeout!r}")
        if type(application_name) is not str or len(application_name) > 63:
            raise ConfigError(f"application_name must be a string of at most 63 characters, got {application_name!r}")
        self._pg = _driver()
        try:
            params = self._pg.conninfo.conninfo_to_dict(dsn)
        except self._pg.ProgrammingError as err:
            raise ConfigError(f"the PostgreSQL connection string is not valid: {_first_line(err)}") from None
        self.dsn = dsn
        self.schema = schema
        self.timeout = float(timeout)
        self.application_name = application_name
        self.where = _describe(params)
        """The server and database, for messages: never the password."""
        self.ledger_id: str | None = None
        self.format_version = 0
        self._t = _Tables(schema)
        self._head_and_rows = (
            f"SELECT l.size, l.head, e.* FROM {self._t.ledgers} l LEFT JOIN LATERAL ("
            f"SELECT {_ROW_COLUMNS} FROM {self._t.entries} WHERE ledger_id = l.ledger_id AND seq >= %s "
            "ORDER BY seq LIMIT %s) e ON true WHERE l.ledger_id = %s"
        )
        self._conn: psycopg.Connection[Any] | None = None
        self._indexed_fields: set[str] = set()
        # Open streams, weakly: one dropped unfinished is closed by its own __del__, ending its transaction.
        self._streams: weakref.WeakSet[_Stream] = weakref.WeakSet()
        self._opened = False
        self._closed = False

    def __repr__(self) -> str:
        return f"<PostgresStorage {self.where} schema={self.schema} ledger={self.ledger_id!r}>"

    # -- connections ---------------------------------------------------------------------------------------

    def _error(self, err: BaseException, action: str, **details: Any) -> StorageError:
        reason = _reason(err)
        remedy = _REMEDY.get(reason, _REMEDY["server"]).format(timeout=self.timeout)
        cause = _first_line(err)
        return StorageError(
            f"PostgreSQL {self.where}: {action} failed: {cause}. {remedy}",
            details={
                "reason": reason,
                "server": self.where,
                "sqlstate": getattr(err, "sqlstate", None),
                "cause": cause,
                **details,
            },
        )

    def _connect(self, *, stream: bool = False) -> psycopg.Connection[Any]:
        """A new session. Its statements and lock waits are bounded by ``timeout``; so is the time a transaction may
        sit idle, so that a writer frozen inside its append cannot hold the ledger's lock for longer, except on a
        ``stream``'s connection, whose reader sets the pace (and whose transaction only reads)."""
        pg = self._pg
        try:
            conn = pg.connect(
                self.dsn,
                autocommit=True,  # transactions are explicit: BEGIN … COMMIT
                # libpq counts whole seconds, and less than 2 means 2.
                connect_timeout=max(2, math.ceil(self.timeout)),
                application_name=self.application_name,
                # A server that stops answering over TCP (no reset: a dead host, a cut cable) fails the call within
                # about twice the timeout instead of hanging: keepalive probes, and unacknowledged data bounded.
                keepalives=1,
                keepalives_idle=max(1, math.ceil(self.timeout)),
                keepalives_interval=max(1, math.ceil(self.timeout / 3)),
                keepalives_count=3,
                tcp_user_timeout=max(1000, round(self.timeout * 1000)),
            )
        except pg.Error as err:
            raise self._error(err, "connecting") from None
        try:
            millis = max(1, round(self.timeout * 1000))
            # One round trip: bounded waits, and a COMMIT that returns only once it is durable (on the primary).
            conn.execute(
                f"SET statement_timeout = {millis}; SET lock_timeout = {millis}; "
                f"SET idle_in_transaction_session_timeout = {0 if stream else millis}; SET synchronous_commit = on"
            )
            encoding = conn.info.parameter_status("server_encoding")
        except pg.Error as err:
            conn.close()
            raise self._error(err, "setting up the session") from None
        if encoding not in ("UTF8", b"UTF8"):
            conn.close()
            raise StorageError(
                f"PostgreSQL {self.where}: the database's encoding is {encoding!r}; Nucleus stores canonical JSON "
                "text and needs a UTF8 database (CREATE DATABASE … ENCODING 'UTF8')",
                details={"reason": "encoding", "server": self.where},
            )
        return conn

    def _require_open(self) -> None:
        if self._closed or not self._opened:
            raise StorageError(
                f"PostgresStorage {self.where} is not open", details={"reason": "closed", "server": self.where}
            )

    def _main(self) -> psycopg.Connection[Any]:
        """The connection for statements and appends; a new one when the last one broke."""
        conn = self._conn
        if conn is None or conn.closed:
            conn = self._conn = self._connect()
        return conn

    def _drop_if_broken(self, conn: psycopg.Connection[Any]) -> None:
        if conn.broken or conn.closed:
            self._discard(conn)
            self._conn = None

    def _rollback(self, conn: psycopg.Connection[Any]) -> None:
        """End whatever transaction is open, leaving the connection usable or dropped."""
        if not (conn.broken or conn.closed):
            with contextlib.suppress(self._pg.Error):
                if conn.info.transaction_status != self._pg.pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
        self._drop_if_broken(conn)

    def _statement(self, action: str, work: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """``work`` on the main connection (autocommit: a statement is its own transaction), errors coded."""
        self._require_open()
        conn = self._main()
        try:
            return work(conn)
        except self._pg.Error as err:
            self._rollback(conn)
            raise self._error(err, action) from None

    def _fetch_one(self, action: str, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._statement(action, lambda c: c.execute(sql, params).fetchone())
        return row

    # -- opening -------------------------------------------------------------------------------------------

    def open(self, ledger_id: str, *, create: bool = True) -> LedgerMeta:
        """See ``Storage.open``. A new schema is created with its tables; a new ledger gets its row in
        ``ledgers`` (and nothing else) when ``create``. One object serves one ledger."""
        if self._closed:
            raise StorageError(f"PostgresStorage {self.where} was closed; make a new one", details={"reason": "closed"})
        if self.ledger_id is not None and ledger_id != self.ledger_id:
            raise LedgerMismatch(
                f"this PostgresStorage serves ledger {self.ledger_id!r}, not {ledger_id!r}: make one per ledger",
                details={"reason": "other_ledger", "found": self.ledger_id, "expected": ledger_id},
            )
        self._opened = True
        try:
            return self._open(ledger_id, create)
        except BaseException:
            self.close()
            raise

    def _open(self, ledger_id: str, create: bool) -> LedgerMeta:
        conn = self._main()
        pg = self._pg
        try:
            version = self._schema_version(conn)
            if version is None and not create:
                raise StorageError(
                    f"PostgreSQL {self.where} has no ledger {ledger_id!r} (schema {self.schema} does not exist)",
                    details={"reason": "missing", "server": self.where},
                )
            if version is None or version < SCHEMA_VERSION:
                self._migrate(conn)
            self._check_tables(conn)
            row = conn.execute(
                f"SELECT format_version FROM {self._t.ledgers} WHERE ledger_id = %s", (ledger_id,)
            ).fetchone()
            if row is None:
                if not create:
                    raise StorageError(
                        f"PostgreSQL {self.where} has no ledger {ledger_id!r} in schema {self.schema}",
                        details={"reason": "missing", "server": self.where},
                    )
                # Durable once this returns (synchronous_commit); a concurrent creator's row is as good as ours.
                conn.execute(
                    f"INSERT INTO {self._t.ledgers} (ledger_id, format_version, size, head) VALUES (%s, %s, 0, NULL) "
                    "ON CONFLICT (ledger_id) DO NOTHING",
                    (ledger_id, FORMAT_OF_SCHEMA[SCHEMA_VERSION]),
                )
                row = (FORMAT_OF_SCHEMA[SCHEMA_VERSION],)
        except pg.Error as err:
            self._rollback(conn)
            raise self._error(err, f"opening ledger {ledger_id!r} in schema {self.schema}") from None
        self._check_format(ledger_id, row[0])
        self.ledger_id = ledger_id
        self.format_version = row[0]
        return LedgerMeta(ledger_id, self.format_version)

    def _schema_version(self, conn: psycopg.Connection[Any]) -> int | None:
        """The schema's version; None when the schema or its tables do not exist yet. ``LEDGER_MISMATCH`` when it
        holds tables that are not a Nucleus store, or a newer version than this Nucleus reads."""
        found = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL, (SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = %s)",
            (f"{self._t.meta}", self.schema),
        ).fetchone()
        assert found is not None
        has_meta, tables = found
        if not has_meta:
            if tables:
                raise LedgerMismatch(
                    f"PostgreSQL {self.where}: schema {self.schema} holds tables that are not a Nucleus store; "
                    "choose another schema (PostgresStorage(…, schema=…))",
                    details={"reason": "not_a_ledger", "server": self.where},
                )
            return None
        meta = dict(conn.execute(f"SELECT key, value FROM {self._t.meta}").fetchall())
        version = meta.get("schema_version", "")
        if meta.get("application") != APPLICATION or not version.isdigit():
            raise LedgerMismatch(
                f"PostgreSQL {self.where}: schema {self.schema} has a meta table that is not a Nucleus store's",
                details={"reason": "not_a_ledger", "server": self.where},
            )
        if int(version) > SCHEMA_VERSION:
            raise LedgerMismatch(
                f"PostgreSQL {self.where}: schema {self.schema} has schema version {version}; this Nucleus reads up "
                f"to {SCHEMA_VERSION}. Upgrade Nucleus to open it.",
                details={"reason": "newer_schema", "found": int(version), "supported": SCHEMA_VERSION},
            )
        return int(version)

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        """Create the schema or bring it to ``SCHEMA_VERSION``, in one transaction under an advisory lock named after
        the schema, so that processes opening a new database together create it once."""
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"nucleus schema {self.schema}",))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._t.schema}")
            version = self._schema_version(conn) or 0  # again, under the lock: another process may have done it
            for migration in MIGRATIONS[version:]:
                conn.execute(migration.format(s=self._t.schema))
            if 0 < version < TREE_SCHEMA:
                self._add_trees(conn)
            if version == 0:
                conn.execute(
                    f"INSERT INTO {self._t.meta} (key, value) VALUES ('application', %s), ('schema_version', %s)",
                    (APPLICATION, str(SCHEMA_VERSION)),
                )
            else:
                conn.execute(
                    f"UPDATE {self._t.meta} SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
                )
            conn.execute("COMMIT")
        except BaseException:
            self._rollback(conn)
            raise

    def _add_trees(self, conn: psycopg.Connection[Any]) -> None:
        """Every ledger's tree, built from its entries' stored hashes in seq order up to the first gap or malformed
        hash (verification names that entry, and checks the tree against the entries)."""
        ledgers = [r[0] for r in conn.execute(f"SELECT ledger_id FROM {self._t.ledgers} ORDER BY ledger_id")]
        for ledger_id in ledgers:
            cursor = conn.cursor(name="nucleus_tree_migration")
            cursor.itersize = _FETCH
            cursor.execute(
                f"SELECT seq, hash FROM {self._t.entries} WHERE ledger_id = %s AND seq >= 0 ORDER BY seq", (ledger_id,)
            )
            try:
                for nodes in nodes_of_stored_hashes(iter(lambda c=cursor: c.fetchmany(_FETCH), [])):
                    self._insert_nodes(conn, ledger_id, nodes)
            finally:
                cursor.close()

    def _insert_nodes(self, conn: psycopg.Connection[Any], ledger_id: str, nodes: Sequence[TreeNode]) -> None:
        if nodes:
            levels, idxs, hashes = zip(*nodes, strict=True)
            conn.execute(
                f"INSERT INTO {self._t.tree} (ledger_id, level, idx, hash) "
                "SELECT %s, * FROM unnest(%s::integer[], %s::bigint[], %s::bytea[])",
                (ledger_id, list(levels), list(idxs), list(hashes)),
            )

    def _check_tables(self, conn: psycopg.Connection[Any]) -> None:
        """The schema's tables must be defined as the migrations define them (``TABLE_COLUMNS``), with no trigger
        or rule on them: ``CHAIN_INVALID`` kind ``format`` at seq 0 otherwise (docs/FORMAT.md §5b)."""
        shapes = dict(conn.execute(TABLE_SHAPE_SQL, (self.schema,)).fetchall())
        faults = [row[0] for row in conn.execute(HOOKS_SQL, (self.schema, self.schema)).fetchall()]
        faults += [f"table {t} defined otherwise" for t, columns in TABLE_COLUMNS.items() if shapes.get(t) != columns]
        if faults:
            raise ChainIntegrityError(
                f"PostgreSQL {self.where}: schema {self.schema} is not what a schema-{SCHEMA_VERSION} store holds "
                f"({', '.join(faults)}; checked before entry 0)",
                seq=0,
                kind="format",
            )

    def _check_format(self, ledger_id: str, format_version: Any) -> None:
        """The ledger's row must say format 2, the only one a PostgreSQL store holds; anything else is a forgery."""
        if format_version != FORMAT_OF_SCHEMA[SCHEMA_VERSION]:
            raise ChainIntegrityError(
                f"PostgreSQL {self.where}: ledger {ledger_id!r} has format_version {format_version!r} in "
                f"{self.schema}.ledgers, which a PostgreSQL store never holds (checked before entry 0)",
                seq=0,
                kind="format",
            )

    def recheck(self) -> None:
        self._require_open()
        ledger_id = self._ledger()

        def read(conn: psycopg.Connection[Any]) -> tuple[Any, ...] | None:
            self._schema_version(conn)
            return conn.execute(
                f"SELECT format_version FROM {self._t.ledgers} WHERE ledger_id = %s", (ledger_id,)
            ).fetchone()

        row = self._statement(f"reading ledger {ledger_id!r}", read)
        if row is None:
            raise StorageError(
                f"PostgreSQL {self.where}: ledger {ledger_id!r} is gone from {self.schema}.ledgers",
                details={"reason": "missing", "server": self.where},
            )
        self._check_format(ledger_id, row[0])

    def _ledger(self) -> str:
        self._require_open()
        if self.ledger_id is None:
            raise StorageError(f"PostgresStorage {self.where} is not open", details={"reason": "closed"})
        return self.ledger_id

    # -- writing -------------------------------------------------------------------------------------------

    def append(self, entries: Sequence[Entry], nodes: Sequence[TreeNode] = ()) -> None:
        """Write ``entries`` (and the tree ``nodes`` they complete), which must follow the ledger's head exactly
        (else ``STORAGE_ERROR``, reason ``conflict``: another writer got there first)."""
        if not entries:
            return

        def build(head: Head, _rows: Iterator[StoredRow]) -> tuple[Sequence[Entry], Sequence[TreeNode]]:
            return entries, nodes

        self.append_after(entries[0].seq, build)

    def append_after(self, size: int, build: BuildEntries) -> Sequence[Entry]:
        """See ``SharedStorage.append_after``."""
        ledger_id = self._ledger()
        conn = self._main()
        pg = self._pg
        entries: Sequence[Entry] = ()
        nodes: Sequence[TreeNode] = ()
        try:
            # One round trip. READ COMMITTED: once the lock is granted, each later statement of the transaction sees
            # what the previous holder committed (the locking statement itself re-reads only the locked row).
            with conn.pipeline():
                conn.execute("BEGIN")
                locked = conn.execute(
                    f"SELECT size, head FROM {self._t.ledgers} WHERE ledger_id = %s FOR UPDATE", (ledger_id,)
                )
            row = locked.fetchone()
            if row is None:
                raise StorageError(
                    f"PostgreSQL {self.where}: ledger {ledger_id!r} is gone from {self.schema}.ledgers",
                    details={"reason": "missing", "server": self.where},
                )
            head = Head(row[0], row[1])
            newer = self._newer(conn, ledger_id, size, head)
            entries, nodes = build(head, newer)
            newer.close()
            if entries:
                if entries[0].seq != head.size or entries[0].prev_hash != head.hash:
                    raise StorageError(
                        f"PostgreSQL {self.where}: entry {entries[0].seq} does not follow ledger {ledger_id!r}'s "
                        f"head ({head.size} entries): another writer appended first; nothing was written",
                        details={"reason": "conflict", "server": self.where, "size": head.size},
                    )
            else:
                conn.execute("ROLLBACK")
                return entries
        except pg.Error as err:
            self._rollback(conn)
            raise self._error(err, f"appending to ledger {ledger_id!r}", committed=False) from None
        except BaseException:
            self._rollback(conn)
            raise
        try:
            self._write_and_commit(conn, ledger_id, entries, nodes)
        except pg.Error as err:
            return self._commit_failed(conn, err, ledger_id, entries)
        return entries

    def _write_and_commit(
        self, conn: psycopg.Connection[Any], ledger_id: str, entries: Sequence[Entry], nodes: Sequence[TreeNode]
    ) -> None:
        """The entries, the new head, the tree nodes and COMMIT, in one round trip; COMMIT returns once the commit
        is durable."""
        with conn.pipeline():
            self._insert(conn, ledger_id, entries)
            self._insert_nodes(conn, ledger_id, nodes)
            conn.execute("COMMIT")

    def _newer(self, conn: psycopg.Connection[Any], ledger_id: str, size: int, head: Head) -> _Rows:
        """The rows from ``size`` on, read inside the append transaction (after the lock: all that was committed)."""
        if head.size <= size:
            return _Rows(iter(()))
        sql = f"SELECT {_ROW_COLUMNS} FROM {self._t.entries} WHERE ledger_id = %s AND seq >= %s ORDER BY seq"
        count = head.size - size
        if count <= _SMALL_CATCH_UP:
            # One more than the head allows: a row written past the head must reach the check too.
            cur = conn.cursor(binary=True)
            rows = cur.execute(f"{sql} LIMIT %s", (ledger_id, size, count + 1)).fetchall()
            return _Rows(iter(rows))
        cursor = conn.cursor(name="nucleus_catch_up", binary=True)
        cursor.itersize = _FETCH
        cursor.execute(sql, (ledger_id, size))
        return _Rows(iter(cursor), cursor.close)

    def _insert(self, conn: psycopg.Connection[Any], ledger_id: str, entries: Sequence[Entry]) -> None:
        """The entries and the new head, in one statement."""
        last = entries[-1]
        move_head = f"UPDATE {self._t.ledgers} SET size = %s, head = %s WHERE ledger_id = %s"
        columns = f"INSERT INTO {self._t.entries} (ledger_id, {_COLUMNS})"
        if len(entries) == 1:
            e = entries[0]
            conn.execute(
                f"WITH new AS ({columns} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)) {move_head}",
                (ledger_id, *e, last.seq + 1, last.hash, ledger_id),
            )
            return
        seqs, hashes, prevs, ids, streams, stamps, records = zip(*entries, strict=True)
        conn.execute(
            f"WITH new AS ({columns} SELECT %s, * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], "
            f"%s::text[], %s::bigint[], %s::text[])) {move_head}",
            (
                ledger_id,
                list(seqs),
                list(hashes),
                list(prevs),
                list(ids),
                list(streams),
                list(stamps),
                list(records),
                last.seq + 1,
                last.hash,
                ledger_id,
            ),
        )

    def _commit_failed(
        self, conn: psycopg.Connection[Any], err: Exception, ledger_id: str, entries: Sequence[Entry]
    ) -> Sequence[Entry]:
        """Writing or committing failed. With the connection alive the server refused it: nothing was written. With
        the connection gone the answer was lost, and the COMMIT may have happened: connect again and look for the
        last entry (its hash binds its seq and the whole chain before it), so that the caller hears the truth; if
        that fails too, say that it is unknown."""
        action = f"committing to ledger {ledger_id!r}"
        if not (conn.broken or conn.closed):
            self._rollback(conn)
            raise self._error(err, action, committed=False) from None
        self._drop_if_broken(conn)
        try:
            found = self._fetch_one(
                "checking the last commit",
                f"SELECT 1 FROM {self._t.entries} WHERE ledger_id = %s AND hash = %s",
                (ledger_id, entries[-1].hash),
            )
        except StorageError:
            lost = self._error(err, action, committed=None)
            lost.details["reason"] = "commit_unknown"
            lost.message = lost.args[0].split(". ")[0] + (
                ". The connection broke during COMMIT and the server could not be asked whether the entries were "
                "written: reopen the ledger (or call verify()) to see them, should they be there"
            )
            lost.args = (lost.message,)
            raise lost from None
        if found is not None:
            return entries
        raise self._error(err, action, committed=False) from None

    # -- reading -------------------------------------------------------------------------------------------

    def _entry(self, action: str, sql: str, params: Sequence[Any]) -> Entry | None:
        row = self._fetch_one(action, sql, params)
        return None if row is None else Entry(*row)

    def tip(self) -> Entry | None:
        ledger_id = self._ledger()
        sql = f"SELECT {_COLUMNS} FROM {self._t.entries} WHERE ledger_id = %s ORDER BY seq DESC LIMIT 1"
        return self._entry(f"reading ledger {ledger_id!r}", sql, (ledger_id,))

    def count(self) -> int:
        ledger_id = self._ledger()
        row = self._fetch_one(
            f"counting ledger {ledger_id!r}",
            f"SELECT count(*) FROM {self._t.entries} WHERE ledger_id = %s",
            (ledger_id,),
        )
        assert row is not None
        return int(row[0])

    def get(self, entry_hash: str, end: int) -> Entry | None:
        ledger_id = self._ledger()
        sql = f"SELECT {_COLUMNS} FROM {self._t.entries} WHERE ledger_id = %s AND hash = %s AND {_IN_CHAIN}"
        return self._entry(f"reading ledger {ledger_id!r}", sql, (ledger_id, entry_hash, end))

    def latest_by_id(self, record_id: str, end: int) -> Entry | None:
        ledger_id = self._ledger()
        sql = (
            f"SELECT {_COLUMNS} FROM {self._t.entries} WHERE ledger_id = %s AND record_id = %s AND {_IN_CHAIN} "
            f"AND {_NOT_RESERVED} ORDER BY seq DESC LIMIT 1"
        )
        return self._entry(f"reading ledger {ledger_id!r}", sql, (ledger_id, record_id, end))

    def query(self, spec: QuerySpec) -> tuple[list[Entry], int]:
        ledger_id = self._ledger()
        where = ["ledger_id = %s"]
        params: list[Any] = [ledger_id]
        if spec.end is not None:
            where.append(_IN_CHAIN)
            params.append(spec.end)
        if not spec.includes_reserved:
            where.append(_NOT_RESERVED)
        for column, op, value in spec.column_filters():
            where.append(f"{column} {op} %s")
            params.append(value)
        order = "DESC" if spec.descending else "ASC"

        def read(conn: psycopg.Connection[Any]) -> tuple[list[Entry], int]:
            clause, all_params = self._conditions(conn, where, params, spec.conditions)
            count = conn.execute(f"SELECT count(*) FROM {self._t.entries} WHERE {clause}", all_params).fetchone()
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM {self._t.entries} WHERE {clause} ORDER BY seq {order} LIMIT %s OFFSET %s",
                [*all_params, spec.limit, spec.offset],
            ).fetchall()
            assert count is not None
            return [Entry(*row) for row in rows], int(count[0])

        return self._statement(f"querying ledger {ledger_id!r}", read)

    def _conditions(
        self,
        conn: psycopg.Connection[Any],
        where: list[str],
        params: list[Any],
        conditions: tuple[tuple[str, Any], ...],
    ) -> tuple[str, list[Any]]:
        """The WHERE clause with payload conditions (``payload.<field>`` equals a value, type included).

        The json type keeps a record's text, so a member's text is its canonical form, and comparing it with the
        value's canonical form tests type and value at once (1 is not "1", true is not 1). But PostgreSQL cannot
        look into a JSON text that holds the escape \u0000 (json and jsonb alike refuse to turn it into text), so
        the few records that hold that escape are judged here, in Python, and named by seq."""
        clause = " AND ".join(where)
        if not conditions:
            return clause, params
        exact = [_NO_NUL]
        exact_params: list[Any] = []
        for field, value in conditions:
            # The member named in the SQL text, as the index names it, so that the planner can use the index.
            exact.append(f"({_member_text(field)}) = %s")
            exact_params.append(canonicalize(value).decode("utf-8"))
        odd = conn.execute(
            f"SELECT seq, record FROM {self._t.entries} WHERE {clause} AND strpos(record, {_NUL_ESCAPE}) > 0", params
        ).fetchall()
        seqs = [seq for seq, record in odd if _payload_has(record, conditions)]
        return (
            f"{clause} AND (({' AND '.join(exact)}) OR seq = ANY(%s))",
            [*params, *exact_params, seqs],
        )

    def index_payload_fields(self, fields: Sequence[str]) -> None:
        """See ``IndexingStorage``: a partial expression index per field, over the member's JSON text, shared by the
        ledgers of the schema (the ledger id leads it). Created once under the schema's advisory lock, so writers
        opening together do not race. PostgreSQL keeps its indexes itself, inside the server's own files, out of reach
        of anyone who can only change rows; and a query re-tests each condition on the row (``_conditions``)."""
        todo = [f for f in fields if f not in self._indexed_fields]
        if not todo:
            return

        def work(conn: psycopg.Connection[Any]) -> None:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"nucleus schema {self.schema}",))
                for field in todo:
                    conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {_payload_index_name(field)} ON {self._t.entries} "
                        f"(ledger_id, ({_member_text(field)})) WHERE {_NO_NUL}"
                    )
                conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise

        self._statement(f"indexing payload fields of ledger {self._ledger()!r}", work)
        self._indexed_fields.update(todo)

    def entry_hashes(self, start: int, end: int) -> list[str]:
        ledger_id = self._ledger()
        sql = f"SELECT hash FROM {self._t.entries} WHERE ledger_id = %s AND seq >= %s AND seq < %s ORDER BY seq"
        rows = self._statement(
            f"reading ledger {ledger_id!r}", lambda c: c.execute(sql, (ledger_id, start, end)).fetchall()
        )
        return [r[0] for r in rows]

    def tree_nodes(self, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        ledger_id = self._ledger()
        sql = (
            f"SELECT idx, hash FROM {self._t.tree} WHERE ledger_id = %s AND level = %s AND idx >= %s AND idx < %s "
            "ORDER BY idx"
        )
        params = (ledger_id, level, start, min(end, 2**63 - 1))
        rows = self._statement(f"reading ledger {ledger_id!r}'s tree", lambda c: c.execute(sql, params).fetchall())
        return [(idx, bytes(h)) for idx, h in rows]

    def tree_extra(self, size: int) -> tuple[int, int] | None:
        ledger_id = self._ledger()
        # Nodes others committed since the caller's snapshot come with their entries: count up to the head as well.
        sql = (
            f"SELECT t.level, t.idx FROM {self._t.tree} t, {self._t.ledgers} l WHERE t.ledger_id = %s "
            "AND l.ledger_id = t.ledger_id AND NOT (t.level > 0 AND t.level %% 8 = 0 AND t.level < 63 AND t.idx >= 0 "
            "AND t.idx < (GREATEST(%s, l.size) >> t.level)) ORDER BY t.level, t.idx LIMIT 1"
        )
        row = self._fetch_one(f"reading ledger {ledger_id!r}'s tree", sql, (ledger_id, size))
        return None if row is None else (row[0], row[1])

    # -- streaming -----------------------------------------------------------------------------------------

    def rows(self, start_seq: int = 0) -> Iterator[StoredRow]:
        return self._open_stream(start_seq, _ROW_COLUMNS, with_head=False)[1]

    def entries(self, start_seq: int = 0) -> Iterator[Entry]:
        stream = self._open_stream(max(start_seq, 0), _COLUMNS, with_head=False)[1]
        return (Entry(*row) for row in stream)

    def snapshot(self, start_seq: int) -> tuple[Head, Iterator[StoredRow]]:
        """See ``SharedStorage.snapshot``. One statement, which sees one snapshot, reads the head and up to
        ``_SMALL_CATCH_UP`` rows (the common case: a ledger checking what others appended since its tip); when
        there are more, they are streamed."""
        ledger_id = self._ledger()
        low = start_seq if start_seq > 0 else -(2**63)  # from 0: every row, a negative seq included
        found = self._statement(
            f"reading ledger {ledger_id!r}",
            lambda c: c.cursor(binary=True).execute(self._head_and_rows, (low, _SMALL_CATCH_UP, ledger_id)).fetchall(),
        )
        if not found:
            raise StorageError(
                f"PostgreSQL {self.where}: ledger {ledger_id!r} is gone from {self.schema}.ledgers",
                details={"reason": "missing", "server": self.where},
            )
        rows = [tuple(row[2:]) for row in found if row[2] is not None]
        if len(rows) < _SMALL_CATCH_UP:
            return Head(found[0][0], found[0][1]), cast("Iterator[StoredRow]", iter(rows))
        head_now, stream = self._open_stream(start_seq, _ROW_COLUMNS, with_head=True)
        assert head_now is not None
        return head_now, stream

    def _open_stream(self, start_seq: int, columns: str, *, with_head: bool) -> tuple[Head | None, _Stream]:
        """A stream of the ledger's rows from ``start_seq`` (from 0: every row, a negative seq included, so that the
        verifier sees every row there is) in seq order, with the head read in the same snapshot."""
        ledger_id = self._ledger()
        action = f"reading ledger {ledger_id!r}"
        self._require_open()
        conn = None
        pg = self._pg
        try:
            # A connection of its own, for as long as the stream: the caller may append while it reads an export.
            conn = self._connect(stream=True)
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            head = None
            if with_head:
                row = conn.execute(
                    f"SELECT size, head FROM {self._t.ledgers} WHERE ledger_id = %s", (ledger_id,)
                ).fetchone()
                if row is None:
                    raise StorageError(
                        f"PostgreSQL {self.where}: ledger {ledger_id!r} is gone from {self.schema}.ledgers",
                        details={"reason": "missing", "server": self.where},
                    )
                head = Head(row[0], row[1])
            sql = f"SELECT {columns} FROM {self._t.entries} WHERE ledger_id = %s"
            params: tuple[Any, ...] = (ledger_id,)
            if start_seq > 0:
                sql += " AND seq >= %s"
                params += (start_seq,)
            cursor = conn.cursor(name="nucleus_stream", binary=True)
            cursor.execute(f"{sql} ORDER BY seq", params)
        except pg.Error as err:
            if conn is not None:
                self._discard(conn)
            raise self._error(err, action) from None
        except BaseException:
            if conn is not None:
                self._discard(conn)
            raise
        stream = _Stream(self, conn, cursor, action)
        self._streams.add(stream)
        return head, stream

    def _discard(self, conn: psycopg.Connection[Any]) -> None:
        with contextlib.suppress(Exception):
            conn.close()

    def legacy_acl(self) -> tuple[str | None, list[dict[str, Any]]]:
        return None, []

    # -- closing -------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every connection (an open stream ends). Idempotent."""
        self._closed = True
        for stream in list(self._streams):
            stream.close()
        if self._conn is not None:
            self._discard(self._conn)
        self._conn = None


class _Rows:
    """Rows read inside the append transaction, and how to let go of their cursor."""

    def __init__(self, rows: Iterator[StoredRow], close: Callable[[], None] | None = None):
        self._rows = rows
        self._close = close

    def __iter__(self) -> Iterator[StoredRow]:
        return self._rows

    def __next__(self) -> StoredRow:
        return next(self._rows)

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


class _Stream:
    """Rows of one server-side cursor, fetched ``_FETCH`` at a time, on a connection of their own. Ends its
    read-only transaction when exhausted, closed, or dropped unfinished (``__del__``), so an abandoned stream
    never leaves a transaction open."""

    def __init__(self, storage: PostgresStorage, conn: psycopg.Connection[Any], cursor: Any, action: str):
        self._storage = storage
        self._conn: psycopg.Connection[Any] | None = conn
        self._cursor = cursor
        self._action = action
        self._buffer: list[Any] = []
        self._index = 0

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> Any:
        if self._index == len(self._buffer):
            if self._conn is None:
                raise StopIteration
            try:
                self._buffer = self._cursor.fetchmany(_FETCH)
            except self._storage._pg.Error as err:
                conn, self._conn = self._conn, None
                self._storage._discard(conn)
                self._storage._streams.discard(self)
                raise self._storage._error(err, self._action) from None
            self._index = 0
            if not self._buffer:
                self.close()
                raise StopIteration
        row = self._buffer[self._index]
        self._index += 1
        return row

    def close(self) -> None:
        conn, self._conn = self._conn, None
        self._buffer, self._index = [], 0
        if conn is None:
            return
        self._storage._streams.discard(self)
        self._storage._discard(conn)  # ends its read-only transaction

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _member_text(field: str) -> str:
    """The JSON text of the payload's member ``field`` (SQL NULL when absent), spelled the same by the index and by
    the queries that use it. ``field`` is inlined: only names of ``FIELD_NAME`` get here (checked again)."""
    if not FIELD_NAME.fullmatch(field):
        raise ValueError(f"not a payload field name: {field!r}")
    return f"(record::json -> 'payload' -> '{field}')::text"


def _payload_index_name(field: str) -> str:
    """A name per field within PostgreSQL's 63 bytes: fields differing only in case, or beyond 32 characters, differ
    by the digest."""
    return f"entries_by_payload_{field[:32]}_{hashlib.sha256(field.encode()).hexdigest()[:8]}"


def _payload_has(record: str, conditions: tuple[tuple[str, Any], ...]) -> bool:
    """Whether the record's payload has every ``(field, value)``, of the value's type (as ``MemoryStorage``)."""
    payload = json.loads(record)["payload"]
    return type(payload) is dict and all(
        field in payload and type(payload[field]) is type(value) and payload[field] == value
        for field, value in conditions
    )


def _describe(params: dict[str, Any]) -> str:
    """``user@host:port/dbname`` from connection parameters, for messages: never the password."""
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    user = params.get("user") or ""
    dbname = params.get("dbname") or user or "?"
    shown = f"{host}:{port}/{dbname}"
    return f"{urllib.parse.quote(user, safe='')}@{shown}" if user else shown
