"""SQLite storage: one ledger per file, WAL mode, one transaction per append or batch.

On CPython SQLite's own ``synchronous=FULL`` makes each commit durable. Under Emscripten (Pyodide) SQLite's
syncs never reach the host (docs/ARCHITECTURE.md, "What Node.js changes"), so this backend syncs itself: after
each commit it calls ``os.fsync`` on the WAL (the TypeScript host routes that to the real disk). On both,
SQLite does not checkpoint on its own (that would happen inside an append's COMMIT); the backend
checkpoints after a commit once the WAL passes 4 MiB, in a crash-safe order: PASSIVE, sync the database
file, then RESTART the WAL (its next commit overwrites it from the start; see ``_checkpoint``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import sqlite3
import sys
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from .._entry import Entry
from .._errors import ChainIntegrityError, ConfigError, LedgerMismatch, StorageError
from .._query import RESERVED_PREFIX, QuerySpec
from .._tree import TreeNode, nodes_of_stored_hashes
from ._lock import FileLock
from ._protocol import LedgerMeta, StoredRow
from ._schema import (
    APPLICATION_ID,
    FORMAT_OF_SCHEMA,
    MIGRATIONS,
    SCHEMA_VERSION,
    TREE_SCHEMA,
    schema_tables,
    schema_tokens,
)
from ._sqlite_index import BY_COLUMN, BY_HASH, COUNT_ROWS, MIN_SEQ, SqliteIndex, payload_index

IN_EMSCRIPTEN = sys.platform == "emscripten"
_SQLITE_CORRUPT = 11  # SQLite's primary result code for a malformed database
_UNUSED_PAGE = re.compile(r"Page \d+:? (is )?never used")  # PRAGMA quick_check's words for a leaked page
DURABILITY_MODES = ("full", "fast")
_CHECKPOINT_BYTES = 4 * 1024 * 1024
_COLUMNS = "seq, hash, prev_hash, record_id, stream, timestamp, record"
_INSERT = f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
_INSERT_NODE = "INSERT INTO tree (level, idx, hash) VALUES (?, ?, ?)"
# Reads serve only the verified chain: seqs 0 … end-1 (rows outside it fail verification, but a read must not
# depend on that having run since the row appeared).
_IN_CHAIN = "seq >= 0 AND seq < ?"
_NOT_RESERVED = f"stream NOT GLOB '{RESERVED_PREFIX}*'"
_READ_ONLY_CAVEAT = (
    "opened read-only: no lock file is taken, so another process may append meanwhile; reads serve the entries "
    "verified at open"
)
_PRIVATE_CAVEATS = {
    "immutable": (
        "its write-ahead log was empty, so only the database file is read, without SQLite's locks: should another "
        'process checkpoint new entries into that file meanwhile, reads fail with STORAGE_ERROR (reason "changed") '
        "rather than mix two states; open it again to read on"
    ),
    "private": (
        "its write-ahead log was read into an index in this process's memory (SQLite under Emscripten cannot share a "
        "-shm file with other processes): should another process checkpoint the log meanwhile, reads fail with "
        'STORAGE_ERROR (reason "changed") rather than mix two states; open it again to read on'
    ),
}
# Bytes of the database header (page 1 holds the size in pages) and of the WAL header (salts, checkpoint number)
# that a read-only open keeps to notice a writer that changed what it reads.
_DB_HEAD = 100
_WAL_HEAD = 32
_FRAME_HEAD = 24  # a WAL frame: this header (page number, size, salts, checksums), then the page
# A reading of a whole file that another process's checkpoint interrupted starts again, this often in all.
_READ_ATTEMPTS = 3
# What read-only opens found of the indexes they checked, by file and the state they read it in (_Guard.state):
# index name → entries below this seq checked, or _REFUSED. `nucleus verify` reads a file in chunks, each a new
# read-only open of the same unchanged file; without this each chunk would check the stream index again.
_CHECKED_BY_STATE: dict[tuple[str, tuple[Any, ...]], dict[str, int]] = {}
_REFUSED = -1
_T = TypeVar("_T")


def _storage_error(err: BaseException, action: str, path: str) -> StorageError:
    text = str(err)
    lowered = text.lower()
    if "full" in lowered:
        reason = "disk_full"
    elif "readonly" in lowered or "read-only" in lowered or "permission" in lowered:
        reason = "read_only"
    elif getattr(err, "sqlite_errorcode", 0) & 0xFF == _SQLITE_CORRUPT:
        reason = "corrupt"
    elif not os.access(os.path.dirname(path), os.W_OK):
        reason = "read_only"  # SQLite says only "unable to open database file"
    else:
        reason = "io"
    return StorageError(f"{action} {path} failed: {text}", details={"path": path, "reason": reason})


class _Guard:
    """What a read-only open in ``immutable`` or ``private`` mode read its snapshot from: the database file's size,
    modification time and header, and (``private``) the write-ahead log's header and size. A writer's appends only
    add frames to the log, which such a connection never looks at; a checkpoint writes the database file, and
    restarting the log rewrites its header, and either could make later reads mix two states.

    The database file stays open through one descriptor until ``close``: closing a descriptor of a file drops
    every POSIX lock this process holds on it, SQLite's included. (Emscripten's inode numbers are its own, so they
    are not compared.)"""

    def __init__(self, path: str, *, with_wal: bool):
        self._path = path
        self._wal = path + "-wal" if with_wal else None
        self._fd: int | None = os.open(path, os.O_RDONLY)
        try:
            self._db = self._db_state()
            self._log = self._wal_state()
        except BaseException:
            self.close()
            raise

    def _db_state(self) -> tuple[int, int, bytes]:
        st = os.stat(self._path)
        return st.st_size, st.st_mtime_ns, os.pread(self._require(), _DB_HEAD, 0)

    def _wal_state(self) -> tuple[int, bytes] | None:
        if self._wal is None:
            return None
        fd = os.open(self._wal, os.O_RDONLY)  # the log holds no SQLite lock: closing it drops none
        try:
            return os.fstat(fd).st_size, os.pread(fd, _WAL_HEAD, 0)
        finally:
            os.close(fd)

    def _require(self) -> int:
        if self._fd is None:
            raise StorageError(f"{self._path} is not open")
        return self._fd

    def unchanged(self) -> bool:
        """Whether the files still hold the snapshot noted at open (the log may have grown, in the same round)."""
        try:
            if self._db_state() != self._db:
                return False
            log = self._wal_state()
        except OSError:
            return False  # the log (or the file) is gone: a writer closed and removed it
        if log is None or self._log is None:
            return True
        return log[1] == self._log[1] and log[0] >= self._log[0]

    @property
    def state(self) -> tuple[Any, ...]:
        """What the open read, as one value: equal for two opens that read the same files in the same state."""
        return (self._db, self._log)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


class SqliteStorage:
    """A ledger in the SQLite file at ``path``.

    ``durability="full"`` (default) makes every commit durable before ``append`` returns;
    ``"fast"`` may lose the last commits on power loss (never on a crash of the process), in exchange
    for speed. ``lock`` (default: True on CPython) takes the ``<path>.lock`` file lock.

    ``read_only=True`` opens an existing ledger without writing anything and without the lock, so it works on
    read-only media and while another process holds the ledger; ``caveats`` then says what it cannot promise.
    """

    persistent = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: str = "full",
        lock: bool | None = None,
        read_only: bool = False,
    ):
        if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
            raise ConfigError(f"SqliteStorage needs a non-empty file path, got {path!r}")
        if durability not in DURABILITY_MODES:
            raise ConfigError(f"durability must be 'full' or 'fast', got {durability!r}")
        if type(read_only) is not bool:
            raise ConfigError(f"read_only must be a boolean, got {read_only!r}")
        self.path = os.path.abspath(os.fspath(path))
        self.durability = durability
        self.read_only = read_only
        take_lock = (not IN_EMSCRIPTEN if lock is None else lock) and not read_only
        self._lock = FileLock(self.path) if take_lock else None
        self._conn: sqlite3.Connection | None = None
        self._wal_fd: int | None = None
        self._wal_mark: int | None = None  # the offset of the WAL frame past 4 MiB (_wal_full)
        self._guard: _Guard | None = None
        self.format_version = 0
        self.tree_kept = False
        self.ledger_id: str | None = None
        self.caveats: list[str] = [_READ_ONLY_CAVEAT] if read_only else []
        """What this store cannot promise (read-only opens; the list is completed by ``open``), else empty."""
        self._indexes: dict[str, str | None] = {}  # the file's indexes on entries: name → CREATE statement
        self._index_checked: dict[str, int] = {}  # index name → its entries below this seq were checked (_usable)
        self._index_refused: set[str] = set()  # indexes that failed the check and are not used
        self._structure: str | None = None  # SQLite's quick_check, once run: "" if sound, else what it found

    # -- opening -------------------------------------------------------------------------------------

    def open(self, ledger_id: str | None, *, create: bool = True) -> LedgerMeta:
        """See ``Storage.open``; ``ledger_id=None`` (read-only inspection) accepts whichever ledger the file holds."""
        directory = os.path.dirname(self.path)
        if os.path.isdir(self.path):
            raise ConfigError(f"{self.path} is a directory; give the path of a database file")
        if not os.path.isdir(directory):
            raise StorageError(f"directory {directory} does not exist", details={"reason": "missing_dir"})
        exists = os.path.isfile(self.path) and os.path.getsize(self.path) > 0
        if not exists and (self.read_only or not create):
            raise StorageError(
                f"{self.path} does not exist (or is empty)", details={"path": self.path, "reason": "missing"}
            )
        if self._lock:
            self._lock.acquire()
        try:
            if self.read_only:
                self._conn = self._connect_read_only()
            else:
                self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            meta = self._initialize(ledger_id)
            self._check_unchanged()
            return meta
        except sqlite3.Error as err:
            self.close()
            raise _storage_error(err, "opening", self.path) from None
        except BaseException:
            self.close()
            raise

    def _connect_read_only(self) -> sqlite3.Connection:
        """A connection that creates, changes and locks no file, in the first of three modes that fits:

        - ``immutable``: the write-ahead log is absent or empty, so the database file alone is the ledger; it is
          read as immutable (no lock, no log).
        - ``shared``: a ``-shm`` file exists, so a CPython writer may be at work: share its WAL index as any SQLite
          reader does. Never under Emscripten, whose SQLite cannot share memory with another process (it would
          take the index for a leftover and rebuild it, truncating the live writer's ``-shm``), nor beside a
          Node writer (its index is in its own memory, so a ``-shm`` file is a leftover).
        - ``private``: read the log into an index in this process's memory (``locking_mode=EXCLUSIVE``). Only under
          Emscripten, whose file locks always succeed: CPython's SQLite cannot take that lock through a read-only
          descriptor, so there a log no ``-shm`` file indexes is refused.

        ``immutable`` and ``private`` see nothing a writer does afterwards, except a checkpoint, which writes the
        database file (and restarts the log) under them: a guard notices that, and reads then fail."""
        self.caveats = [_READ_ONLY_CAVEAT]
        wal = self.path + "-wal"
        wal_empty = not os.path.exists(wal) or os.path.getsize(wal) == 0
        conn = None
        mode = "shared"
        if wal_empty:
            conn, mode = self._guarded_read_only("mode=ro&immutable=1", "immutable")
        elif os.path.exists(self.path + "-shm") and not IN_EMSCRIPTEN and not self._node_writer():
            conn = self._try_read_only("mode=ro", exclusive=False)
        if conn is None and not wal_empty:
            conn, mode = self._guarded_read_only("mode=ro", "private")
        if conn is None:
            raise StorageError(
                f"cannot open {self.path} read-only: its write-ahead log holds entries not yet in the database file, "
                "and this SQLite can read them only through a -shm file it would have to create (no writer has one "
                "open: a Node.js writer keeps its index in memory, or a writer stopped without closing the ledger). "
                "Open it once the writer has closed it, or open it writable",
                details={"path": self.path, "reason": "wal_unreadable"},
            )
        if mode != "shared":
            self.caveats.append(_PRIVATE_CAVEATS[mode])
        return conn

    def _guarded_read_only(self, uri_mode: str, mode: str) -> tuple[sqlite3.Connection | None, str]:
        """A read-only connection in ``mode`` (``immutable`` or ``private``), with the guard that notices a writer's
        checkpoint: it notes the files before the connection reads anything."""
        guard = _Guard(self.path, with_wal=mode == "private")
        try:
            conn = self._try_read_only(uri_mode, exclusive=mode == "private")
        except BaseException:
            guard.close()
            raise
        if conn is None:
            guard.close()
        else:
            self._guard = guard
        return conn, mode

    def _node_writer(self) -> bool:
        """Whether the lock file names a Node.js holder, whose SQLite keeps its WAL index in its own memory."""
        try:
            with open(self.path + ".lock", "rb") as f:
                holder = json.loads(f.read(4096))
        except (OSError, ValueError):
            return False
        return type(holder) is dict and holder.get("tool") == "nucleus-js"

    def _try_read_only(self, mode: str, *, exclusive: bool = True) -> sqlite3.Connection | None:
        uri = f"file:{urllib.parse.quote(self.path)}?{mode}"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        try:
            if hasattr(conn, "setconfig"):  # Python 3.12+: closing never tries to checkpoint a log it only read
                conn.setconfig(sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
            if exclusive:
                conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as err:
            conn.close()
            if isinstance(err, sqlite3.OperationalError) and "not a database" not in str(err):
                return None
            raise LedgerMismatch(
                f"{self.path} is not a Nucleus ledger ({err})", details={"reason": "not_a_ledger"}
            ) from None
        return conn

    def _check_unchanged(self) -> None:
        """``STORAGE_ERROR`` (reason ``changed``) when a writer changed what a read-only open reads since it began:
        called after every read, so that what a read returned is known to come from one state of the file."""
        if self._guard is not None and not self._guard.unchanged():
            raise StorageError(
                f"{self.path} was written by another process (a checkpoint of its write-ahead log) after this "
                "read-only open began reading it, so what it reads could mix two states; open it again to read on "
                "(which verifies it again)",
                details={"path": self.path, "reason": "changed"},
            )

    def _initialize(self, ledger_id: str | None) -> LedgerMeta:
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
        if fresh:
            if self.read_only or ledger_id is None:
                raise StorageError(f"{self.path} is not a ledger yet", details={"path": self.path, "reason": "missing"})
            self._configure()
            self._create(ledger_id)
            self.ledger_id = ledger_id
            version = SCHEMA_VERSION
        else:
            self._check_meta(ledger_id, FORMAT_OF_SCHEMA.get(version, 0))
            self._check_schema(version)
            if not self.read_only:
                self._check_root_pages()
                self._configure()
                if version == TREE_SCHEMA - 1:
                    self._add_tree()
                    version = TREE_SCHEMA
        self.format_version = FORMAT_OF_SCHEMA[version]
        self.tree_kept = version >= TREE_SCHEMA
        found = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'")
        self._indexes = dict(found.fetchall())
        return LedgerMeta(self.ledger_id, self.format_version)

    def _create(self, ledger_id: str) -> None:
        """The empty schema, made durable before anyone can append: the database file (not only its log) and
        the directory entry are synced, so a power cut cannot leave a log whose database file never existed."""
        conn = self._require()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for migration in MIGRATIONS:
                for statement in migration.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("ledger_id", ledger_id), ("format_version", str(FORMAT_OF_SCHEMA[SCHEMA_VERSION]))],
            )
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "initializing", self.path) from None
        try:
            self._wal_fd = os.open(self.path + "-wal", os.O_RDWR)
            self._checkpoint(truncate=True)
            dir_fd = os.open(os.path.dirname(self.path), os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except (OSError, sqlite3.Error) as err:
            raise StorageError(
                f"syncing the new ledger file {self.path} failed: {err}",
                details={"path": self.path, "reason": "sync_failed"},
            ) from None

    def _add_tree(self) -> None:
        """Migrate a schema-2 file to the tree schema in one transaction: the table, and the tree of the entries'
        stored hashes, in seq order up to the first gap or malformed hash (verification, which runs next, names
        that entry; the tree is checked against the entries there too)."""
        with self._transaction() as conn:
            conn.execute(MIGRATIONS[TREE_SCHEMA - 1])
            cursor = conn.execute("SELECT seq, hash FROM entries NOT INDEXED WHERE seq >= 0 ORDER BY seq")
            for nodes in nodes_of_stored_hashes(iter(lambda: cursor.fetchmany(4096), [])):
                conn.executemany(_INSERT_NODE, nodes)
            conn.execute(f"PRAGMA user_version = {TREE_SCHEMA}")

    def _check_meta(self, ledger_id: str | None, format_version: int) -> None:
        """The ledger id and format a file declares must be the ones asked for (``None``: whichever it holds) and
        the ones its schema holds; both are bound by every entry's hash (format 2), and anything else in ``meta``
        is a forgery."""
        try:
            meta = dict(self._require().execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as err:
            raise LedgerMismatch(
                f"{self.path} is not a Nucleus ledger ({err})", details={"reason": "not_a_ledger"}
            ) from None
        stored = meta.get("ledger_id")
        self.ledger_id = stored if ledger_id is None else ledger_id
        if stored != self.ledger_id or type(stored) is not str:
            raise LedgerMismatch(
                f"{self.path} holds ledger {stored!r}, not {ledger_id!r}",
                details={"reason": "other_ledger", "found": stored, "expected": ledger_id},
            )
        expected_keys = {"ledger_id", "format_version"} if format_version >= 2 else set(meta)
        # format_version 0: a schema version no Nucleus writes (0 on a file with tables, or negative)
        if not format_version or meta.get("format_version") != str(format_version) or set(meta) != expected_keys:
            raise ChainIntegrityError(
                f"{self.path}: its meta table ({', '.join(sorted(meta))}; format_version "
                f"{meta.get('format_version')!r}) is not what a format-{format_version} ledger holds "
                "(checked before entry 0)",
                seq=0,
                kind="format",
            )

    def _check_schema(self, version: int) -> None:
        """The file's tables must be defined exactly as schema ``version`` defines them, and it may hold no
        trigger: an append would run one (to rewrite or delete entries), and an edited column definition
        (another collation, affinity or default) changes what reads match while every entry still verifies.
        Other tables, views and indexes are never read (reads name their index: ``_sqlite_index``)."""
        rows = self._require().execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'trigger')")
        found = {name: (kind, schema_tokens(sql or "")) for kind, name, sql in rows.fetchall()}
        triggers = sorted(name for name, (kind, _) in found.items() if kind == "trigger")
        changed = sorted(name for name, want in schema_tables(version).items() if found.get(name) != ("table", want))
        if triggers or changed:
            what = [f"trigger {name!r}" for name in triggers]
            what += [f"table {name!r} defined otherwise" for name in changed]
            raise ChainIntegrityError(
                f"{self.path}: its schema is not what a schema-{version} ledger holds ({', '.join(what)}; "
                "checked before entry 0)",
                seq=0,
                kind="format",
            )

    def _check_root_pages(self) -> None:
        """Before a writable open writes anything: no two objects of ``sqlite_master`` may share a root page, and
        every root page must lie inside the file. Inserting into an index whose root page is another table's
        would overwrite that table (``STORAGE_ERROR``, reason ``corrupt``). A root pointed into the middle of
        another b-tree is only found by walking every page (``_require_sound_structure``), which opening does not."""
        conn = self._require()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        shared = conn.execute(
            "SELECT rootpage, group_concat(name, ', ') FROM sqlite_master WHERE rootpage > 0 GROUP BY rootpage "
            "HAVING count(*) > 1 OR rootpage > ? ORDER BY rootpage LIMIT 3",
            (pages,),
        ).fetchall()
        if shared:
            self._structure = "; ".join(f"root page {page} of {names}" for page, names in shared)
            self._require_sound_structure()

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

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError(f"{self.path} is not open")
        return self._conn

    # -- writing -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed and made durable, or rolled back leaving no trace."""
        conn = self._require()
        if self._structure:
            self._require_sound_structure()
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

    def append(self, entries: Sequence[Entry], nodes: Sequence[TreeNode] = ()) -> None:
        if self.read_only:
            raise StorageError(
                f"{self.path} was opened read-only; open it without read_only to append",
                details={"path": self.path, "reason": "read_only_open"},
            )
        if self._structure:
            self._require_sound_structure()
        # An Entry is the tuple of _COLUMNS, in their order: it binds as the row itself.
        if len(entries) == 1 and not nodes:
            # One statement is its own transaction (autocommit): BEGIN and COMMIT would be two more statements
            # for the same commit, which a single append under Pyodide notices.
            try:
                self._require().execute(_INSERT, entries[0])
            except sqlite3.Error as err:
                raise _storage_error(err, "writing to", self.path) from None
            self._after_commit()
            return
        with self._transaction() as conn:
            conn.executemany(_INSERT, entries)
            if nodes:
                conn.executemany(_INSERT_NODE, nodes)

    def index_payload_fields(self, fields: Sequence[str]) -> None:
        """See ``IndexingStorage``. An index of the same name that is not exactly this one is replaced."""
        todo = [index for index in map(payload_index, fields) if self._indexes.get(index.name) != index.sql]
        if not todo:
            return
        if any(index.name in self._indexes for index in todo):
            self._require_sound_structure()  # dropping an index frees its pages: they must be its own
        with self._transaction() as conn:
            for index in todo:
                conn.execute(f'DROP INDEX IF EXISTS "{index.name}"')
                conn.execute(index.sql)
            size = conn.execute(COUNT_ROWS).fetchone()[0]
        for index in todo:
            self._indexes[index.name] = index.sql
            self._index_checked[index.name] = size  # built from the entries just now

    def _held(self, index: SqliteIndex) -> bool:
        """Whether the file holds ``index`` as created here, and no check has found it wrong."""
        return self._indexes.get(index.name, "") == index.sql and index.name not in self._index_refused

    def _usable(self, index: SqliteIndex, end: int) -> bool:
        """Whether a read may go through ``index`` for the entries below ``end``: the file has it, as created here,
        and it holds every entry below ``end`` it should, with its value, and nothing else (``SqliteIndex``). That
        is checked before the index's first use in a session, then for each new entry, since the file may have
        been edited; a failed check rebuilds the index from the entries, or in a read-only open leaves it unused
        (reads then walk the entries)."""
        if not self._held(index):
            return False
        state = self._guard.state if self._guard is not None else None
        checked = self._index_checked.get(index.name)
        if checked is None and state is not None:  # checked by an earlier read-only open of the same file state
            checked = _CHECKED_BY_STATE.get((self.path, state), {}).get(index.name)
            if checked == _REFUSED:
                self._index_refused.add(index.name)
                return False
        if checked is not None and checked >= end:
            self._index_checked[index.name] = checked
            return True
        try:
            # The first check also counts: an entry the index lists twice or under a value it does not hold.
            sound = self._read(index.gap_sql(), (MIN_SEQ if checked is None else checked, end)) is None
            if sound and checked is None:
                should, does = index.count_sql()
                sound = self._read(should) == self._read(does)
        except StorageError as err:
            if err.details.get("reason") != "corrupt":
                raise
            sound = False  # not even a b-tree SQLite can walk (a root page pointed elsewhere)
        if not sound and (self.read_only or not self._rebuilt(index)):
            self._index_refused.add(index.name)
            self._remember(state, index.name, _REFUSED)
            return False
        self._index_checked[index.name] = end
        self._remember(state, index.name, end)
        return True

    def _remember(self, state: tuple[Any, ...] | None, name: str, checked: int) -> None:
        """Note what a read-only open found of an index, for the next open of the same file state (``_Guard``)."""
        if state is None:
            return
        found = _CHECKED_BY_STATE.pop((self.path, state), {})
        found[name] = checked
        _CHECKED_BY_STATE[(self.path, state)] = found  # now the most recent
        while len(_CHECKED_BY_STATE) > 8:
            del _CHECKED_BY_STATE[next(iter(_CHECKED_BY_STATE))]

    def _rebuilt(self, index: SqliteIndex) -> bool:
        """Rebuild ``index`` from the entries (``REINDEX``), in a file whose structure is sound: rebuilding an index
        whose root page was pointed into another table would clear that table's pages. False when it was not."""
        try:
            self._require_sound_structure()
            with self._transaction() as conn:
                conn.execute(f'REINDEX "{index.name}"')
        except StorageError:
            return False
        return True

    def _require_sound_structure(self) -> None:
        """Refuse (``STORAGE_ERROR``, reason ``corrupt``) to write a file whose b-trees SQLite finds broken, e.g.
        an index whose root page was pointed at another table's pages: rebuilding that index, or inserting into
        it, would overwrite what those pages hold. ``PRAGMA quick_check`` walks every page, so it runs only once
        a check has found an index wrong; once it fails, every later write of this open is refused."""
        if self._structure is None:
            with self._reading() as conn:
                found = [row[0] for row in conn.execute("PRAGMA quick_check(100)").fetchall()]
            # A page no b-tree uses is only lost space (a forged index's old pages): writes never reach it.
            lines = [line for text in found for line in text.splitlines() if not line.startswith("*** ")]
            problems = [line for line in lines if line != "ok" and not _UNUSED_PAGE.fullmatch(line)]
            self._structure = "; ".join(problems[:3])
        if self._structure:
            raise StorageError(
                f"{self.path} is damaged ({self._structure}); it is not written to: open it read-only to read or "
                "export what it holds",
                details={"path": self.path, "reason": "corrupt"},
            )

    def _through(self, index: SqliteIndex, end: int) -> str:
        """What follows ``FROM entries`` in a read that looks entries up by ``index``'s value."""
        return index.clause if self._usable(index, end) else "NOT INDEXED"

    def _after_commit(self) -> None:
        """Checkpoint when the WAL is large, outside any append's commit; under Emscripten also make the commit
        durable on the host first (SQLite's own syncs never leave Pyodide)."""
        try:
            if self._wal_fd is None:
                self._wal_fd = os.open(self.path + "-wal", os.O_RDWR)
            if IN_EMSCRIPTEN and self.durability == "full":
                os.fsync(self._wal_fd)
            if self._wal_full():
                self._checkpoint()
        except OSError as err:
            raise StorageError(
                f"syncing {self.path} failed after commit: {err}; the last write may not survive power loss",
                details={"path": self.path, "reason": "sync_failed", "committed": True},
            ) from None

    def _wal_full(self) -> bool:
        """Whether the WAL holds a frame of its current round at the 4 MiB mark. A checkpoint restarts the log
        rather than truncating it, so its size says nothing: the frame there belongs to this round when its salts
        are the header's (SQLite changes them on each restart, so an earlier round's frame never matches)."""
        assert self._wal_fd is not None
        if self._wal_mark is None:
            frame = _FRAME_HEAD + self._require().execute("PRAGMA page_size").fetchone()[0]
            self._wal_mark = _WAL_HEAD + -(-(_CHECKPOINT_BYTES - _WAL_HEAD) // frame) * frame
        salts = os.pread(self._wal_fd, _FRAME_HEAD, self._wal_mark)[8:16]
        return len(salts) == 8 and salts == os.pread(self._wal_fd, 8, 16)

    def _checkpoint(self, *, truncate: bool = False) -> None:
        """Copy the WAL into the database file, sync that, then restart the log: its next commit overwrites it
        from the start. A log that only grows (TRUNCATE) costs every durable commit more: the fsync of a file that
        grows must also write its new size and blocks (0.37 against 0.22 ms a durable append in a plain-JS
        ledger on this disk, bench/compare_node.mjs). ``truncate`` (a new file, closing) empties it instead."""
        conn = self._require()
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        db_fd = os.open(self.path, os.O_RDWR)
        try:
            os.fsync(db_fd)
        finally:
            os.close(db_fd)
        conn.execute(f"PRAGMA wal_checkpoint({'TRUNCATE' if truncate else 'RESTART'})")
        if truncate and self._wal_fd is not None:
            os.fsync(self._wal_fd)

    # -- reading -------------------------------------------------------------------------------------

    def _entry(self, row: tuple[Any, ...] | None) -> Entry | None:
        return None if row is None else Entry(*row)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads whose SQLite errors become ``STORAGE_ERROR`` (reason ``corrupt`` for a file
        SQLite finds malformed)."""
        try:
            yield self._require()
        except sqlite3.Error as err:
            raise _storage_error(err, "reading", self.path) from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """One row of a statement, checked to come from the state the open read (``_check_unchanged``)."""
        with self._reading() as conn:
            row: tuple[Any, ...] | None = conn.execute(sql, params).fetchone()
        self._check_unchanged()
        return row

    def tip(self) -> Entry | None:
        return self._entry(self._read(f"SELECT {_COLUMNS} FROM entries NOT INDEXED ORDER BY seq DESC LIMIT 1"))

    def count(self) -> int:
        row = self._read(COUNT_ROWS)
        assert row is not None
        return int(row[0])

    def get(self, entry_hash: str, end: int) -> Entry | None:
        # "+hash" tests the value on the entry itself too: SQLite would take the index's word for it. An entry
        # found that way is the one asked for whatever the index holds, so only a miss needs the index checked
        # (it could hide the entry): the check costs a walk of every entry, a lookup one seek.
        sql = f"SELECT {_COLUMNS} FROM entries {{}} WHERE hash = ? AND +hash = ? AND {_IN_CHAIN}"
        params = (entry_hash, entry_hash, end)
        if self._held(BY_HASH):
            found = self._read(sql.format(BY_HASH.clause), params)
            if found is not None:
                return self._entry(found)
        return self._entry(self._read(sql.format(self._through(BY_HASH, end)), params))

    def latest_by_id(self, record_id: str, end: int) -> Entry | None:
        sql = (
            f"SELECT {_COLUMNS} FROM entries {self._through(BY_COLUMN['record_id'], end)} WHERE record_id = ? AND"
            f" +record_id = ? AND {_IN_CHAIN} AND {_NOT_RESERVED} ORDER BY seq DESC LIMIT 1"
        )
        return self._entry(self._read(sql, (record_id, record_id, end)))

    def query(self, spec: QuerySpec) -> tuple[list[Entry], int]:
        end = self.count() if spec.end is None else spec.end
        where: list[str] = [_IN_CHAIN]
        params: list[Any] = [end]
        if not spec.includes_reserved:
            where.append(_NOT_RESERVED)
        filters = spec.column_filters()
        for column, op, value in filters:
            # "+" tests the value on the entry itself as well: SQLite takes an index's word for what it keeps.
            where.append(f"{column} {op} ? AND +{column} {op} ?")
            params += [value, value]
        via = self._query_index(spec, end)
        for field, value in spec.conditions:
            path = f"$.payload.{field}"
            json_type = {str: "text", int: "integer"}.get(type(value)) or ("true" if value else "false")
            where.append("json_type(record, ?) = ?")
            params += [path, json_type]
            if via is not None and via.name == payload_index(field).name:
                # The index's own terms word for word (what lets SQLite use it), its value tested on the entry too.
                holds, extracted = via.terms("")
                where.append(f"{holds} AND {extracted} = ? AND +{extracted} = ?")
                params += [value, value]
            elif type(value) is not bool:
                where.append("json_extract(record, ?) = ?")
                params += [path, value]
        clause = f"{'NOT INDEXED' if via is None else via.clause} WHERE {' AND '.join(where)}"
        order = "DESC" if spec.descending else "ASC"
        with self._reading() as conn:
            total = conn.execute(f"SELECT count(*) FROM entries {clause}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM entries {clause} ORDER BY seq {order} LIMIT ? OFFSET ?",
                [*params, spec.limit, spec.offset],
            ).fetchall()
        self._check_unchanged()
        return [Entry(*row) for row in rows], total

    def _query_index(self, spec: QuerySpec, end: int) -> SqliteIndex | None:
        """The one index a query goes through: the first usable of its id's, its payload fields' (in the order
        given), its stream's and its timestamps'; None walks the entries in seq order. ``spec.trust_indexes``
        skips the check of one the file holds as created here."""
        candidates = [BY_COLUMN["record_id"]] if spec.record_id is not None else []
        candidates += [payload_index(field) for field, _ in spec.conditions]
        candidates += [BY_COLUMN[column] for column, op, _ in spec.column_filters() if column != "record_id"]
        if spec.trust_indexes:
            return next(filter(self._held, candidates), None)
        return next((index for index in candidates if self._usable(index, end)), None)

    def rows(self, start_seq: int = 0) -> Iterator[StoredRow]:
        # Row by row in C: a generator resumed per row costs a tenth of a verifying walk under Pyodide.
        return itertools.chain.from_iterable(self._row_batches(start_seq))

    def _row_batches(self, start_seq: int) -> Iterator[list[StoredRow]]:
        # From 0 there is no lower bound: a row at a negative seq must reach the verifier, which refuses it.
        sql = "SELECT seq, hash, prev_hash, record_id, stream, timestamp, CAST(record AS BLOB) FROM entries NOT INDEXED"
        if start_seq > 0:
            cursor = self._require().execute(f"{sql} WHERE seq >= ? ORDER BY seq", (start_seq,))
        else:
            cursor = self._require().execute(f"{sql} ORDER BY seq")
        while batch := cursor.fetchmany(4096):
            self._check_unchanged()
            yield batch

    def entry_hashes(self, start: int, end: int) -> list[str]:
        sql = "SELECT hash FROM entries NOT INDEXED WHERE seq >= ? AND seq < ? ORDER BY seq"
        rows = self._require().execute(sql, (start, end))
        hashes = [r[0] for r in rows.fetchall()]
        self._check_unchanged()
        return hashes

    def tree_nodes(self, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        if not self.tree_kept:
            return []
        sql = "SELECT idx, hash FROM tree WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx"
        nodes = self._require().execute(sql, (level, start, end)).fetchall()
        self._check_unchanged()
        return nodes

    def tree_extra(self, size: int) -> tuple[int, int] | None:
        if not self.tree_kept:
            return None
        sql = (
            "SELECT level, idx FROM tree WHERE NOT (level > 0 AND level % 8 = 0 AND level < 63 AND idx >= 0"
            " AND idx < (? >> level)) ORDER BY level, idx LIMIT 1"
        )
        row = self._read(sql, (size,))
        return None if row is None else (row[0], row[1])

    def entries(self, start_seq: int = 0) -> Iterator[Entry]:
        sql = f"SELECT {_COLUMNS} FROM entries NOT INDEXED WHERE seq >= ? ORDER BY seq"
        cursor = self._require().execute(sql, (start_seq,))
        while batch := cursor.fetchmany(1024):
            self._check_unchanged()
            for row in batch:
                yield Entry(*row)

    def recheck(self) -> None:
        self._check_meta(self.ledger_id, self.format_version)
        self._check_unchanged()

    def summary(self) -> dict[str, Any]:
        """What the file holds, read without verifying it (``nucleus info``): ids, counts, streams."""
        conn = self._require()
        tip = self.tip()
        streams = conn.execute(
            "SELECT stream, count(*) FROM entries GROUP BY stream ORDER BY count(*) DESC, stream LIMIT 50"
        ).fetchall()
        owner = conn.execute(
            "SELECT json_extract(record, '$.payload.owner') FROM entries WHERE stream = ? AND record_id = 'owner'"
            " ORDER BY seq LIMIT 1",
            (f"{RESERVED_PREFIX}acl",),
        ).fetchone()
        legacy_owner, _ = self.legacy_acl()
        summary = {
            "ledgerId": self.ledger_id,
            "formatVersion": self.format_version,
            "schemaVersion": conn.execute("PRAGMA user_version").fetchone()[0],
            "owner": legacy_owner if self.format_version == 1 else (owner[0] if owner else None),
            "entries": self.count(),
            "latestHash": tip.hash if tip else None,
            "firstTimestamp": conn.execute("SELECT min(timestamp) FROM entries").fetchone()[0],
            "lastTimestamp": tip.timestamp if tip else None,
            "streams": [{"stream": name, "entries": n} for name, n in streams],
        }
        self._check_unchanged()
        return summary

    def legacy_acl(self) -> tuple[str | None, list[dict[str, Any]]]:
        if self.format_version != 1:
            return None, []
        conn = self._require()
        try:
            owner = conn.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
            rows = conn.execute("SELECT grant_json FROM grants ORDER BY subject_oid, resource_oid, action").fetchall()
            grants = [json.loads(r[0]) for r in rows]
        except (sqlite3.Error, ValueError) as err:
            raise StorageError(f"reading the format-1 grants of {self.path} failed: {err}") from None
        self._check_unchanged()
        return (None if owner is None else owner[0]), grants

    # -- closing -------------------------------------------------------------------------------------

    def close(self) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                if IN_EMSCRIPTEN and not self.read_only:
                    self._conn = conn
                    with contextlib.suppress(sqlite3.Error, OSError):
                        self._checkpoint(truncate=True)
                    self._conn = None
                conn.close()
        finally:
            if self._guard is not None:  # after the connection: closing its descriptor drops SQLite's locks
                self._guard.close()
                self._guard = None
            if self._wal_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._wal_fd)
                self._wal_fd = None
            if self._lock:
                self._lock.release()


def read_ledger_file(path: str, read: Callable[[SqliteStorage], _T]) -> _T:
    """``read(storage)`` with the ledger file at ``path`` opened read-only, whichever ledger it holds: nothing is
    written or created and no lock is taken, so it works on a broken file, on read-only media and beside a writer.
    Started again on a fresh opening when another process's checkpoint changed the file under it (``STORAGE_ERROR``,
    reason ``changed``), three attempts in all."""
    for attempt in range(_READ_ATTEMPTS):
        storage = SqliteStorage(path, read_only=True)
        try:
            storage.open(None)
            return read(storage)
        except sqlite3.Error as err:
            raise StorageError(f"reading {path} failed: {err}", details={"path": path, "reason": "io"}) from None
        except StorageError as err:
            if err.details.get("reason") != "changed" or attempt + 1 == _READ_ATTEMPTS:
                raise
        finally:
            storage.close()
    raise AssertionError("unreachable")  # every attempt returns or raises


def inspect_file(path: str) -> dict[str, Any]:
    """What the ledger file at ``path`` holds (``summary``), read without verifying or writing it, with what a
    read-only opening cannot promise (``caveats``)."""
    return read_ledger_file(path, lambda storage: {**storage.summary(), "caveats": storage.caveats})
