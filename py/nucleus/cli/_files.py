"""A ledger file as the ``nucleus`` command sees it: where it is, who holds its lock, what it holds (read by the
engine without opening a ledger, so broken files can be inspected too), and opening it as a ledger whose id is
read from the file: read-only for the commands that only read (no lock, no file created or changed), with its
lock for those that write.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .._bridge import handle_request
from .._errors import NucleusError, StorageError
from .._ledger import Ledger
from ..storage import SqliteStorage
from ._args import Parsed, UsageError
from ._host import Host, error_from_json

if TYPE_CHECKING:
    from ..storage.postgres import PostgresStorage

T = TypeVar("T")

#: How a ``<db>`` that names a PostgreSQL database starts (libpq's URL schemes, matched case-insensitively).
PG_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_SCHEMA = "nucleus"
#: What the server sees as the client (``pg_stat_activity``), so an operator can tell the CLI's sessions apart.
APPLICATION_NAME = "nucleus cli"

#: Reads made again from a new open when another process's checkpoint changed the file under them.
READ_ATTEMPTS = 3


class UnusableError(Exception):
    """A failure that makes the file unusable for the command (exit status 2), with a code like the API's."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class DbFile:
    """A database path on the host."""

    arg: str
    """As the user typed it (for messages)."""
    path: str
    """Absolute, symlinks resolved when it exists."""
    exists: bool
    real: str
    """``path`` with every symlink of its existing part resolved: what is opened."""


def resolve(host: Host, arg: str) -> str:
    """``arg`` made absolute against the working directory, ``.`` and ``..`` folded (as Node's path.resolve)."""
    path = os.path.normpath(os.path.join(host.cwd, arg))
    return "/" + path.lstrip("/") if path.startswith("//") else path


def db_file(host: Host, arg: str, command: str, may_create: bool = False) -> DbFile:
    """Resolves ``arg``; a missing file is an :class:`UnusableError` unless ``may_create``. A directory always is."""
    if arg.strip() == "":
        raise UsageError("the database path is empty", command)
    absolute = resolve(host, arg)
    real = host.realpath(absolute)
    local = host.local(real)
    if not os.path.exists(local):
        if may_create:
            return DbFile(arg, absolute, False, real)
        raise UnusableError(f"{arg}: no such file", "NOT_FOUND")
    if os.path.isdir(local):
        raise UnusableError(f"{arg} is a directory, not a ledger file", "IS_A_DIRECTORY")
    if not os.path.isfile(local):
        raise UnusableError(f"{arg} is not a regular file", "NOT_A_FILE")
    return DbFile(arg, real, True, real)


def read_text(host: Host, arg: str) -> str:
    """The file ``arg`` (relative to the working directory) as UTF-8 text; ``OSError`` when it cannot be read."""
    with open(host.local(host.realpath(resolve(host, arg))), encoding="utf-8", errors="replace", newline="") as f:
        return f.read()


def read_input(host: Host, arg: str, what: str) -> str:
    """The text of an input file ``arg`` (``-``: stdin); ``NOT_FOUND`` naming ``what`` when it cannot be read."""
    if arg == "-":
        return host.read_stdin()
    try:
        return read_text(host, arg)
    except OSError as err:
        raise UnusableError(f"{arg}: cannot read {what} ({err.strerror or err})", "NOT_FOUND") from None


def one_stdin(flags: dict[str, str | None], command: str) -> None:
    """Refuses more than one of ``flags`` (name → value) reading stdin (``-``): there is one stdin."""
    dashes = [f"--{name}" for name, value in flags.items() if value == "-"]
    if len(dashes) > 1:
        raise UsageError(f"only one input can be read from stdin (-), not {' and '.join(dashes)}", command)


def with_reading_ledger(host: Host, args: Parsed, command: str, use: Callable[[Ledger], T]) -> T:
    """Runs ``use`` on the ledger ``<db>`` names, opened to read (and verified whole): a file read-only
    (:func:`with_read_only_ledger`), a PostgreSQL ledger (``--ledger``, ``--schema``) without creating anything."""
    arg = args.positionals["db"]
    server = db_server(args, arg, command)
    if server is not None:
        return with_server_ledger(server, use)
    return with_read_only_ledger(host, db_file(host, arg, command), use)


def lock_holder(host: Host, db: DbFile) -> dict[str, Any] | None:
    """Who holds ``db``'s lock, as ``<db>.lock`` says (pid, hostname, createdAt, tool, and whether it is alive:
    True, False (a stale lock the next opener replaces) or None (cannot tell: another host)); None when unlocked."""
    try:
        with open(host.local(db.real + ".lock"), "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    data: dict[str, Any] = {}
    with contextlib.suppress(ValueError, RecursionError):
        parsed = json.loads(text, parse_constant=_no_constant)
        if isinstance(parsed, dict):
            data = parsed
    pid = _number(data.get("pid"))
    name = data.get("hostname") if isinstance(data.get("hostname"), str) else None
    same_host = name is None or name == host.hostname
    return {
        "pid": pid,
        "hostname": name,
        "createdAt": _number(data.get("createdAt")),
        "tool": data.get("tool") if isinstance(data.get("tool"), str) else None,
        "alive": None if pid is None or not same_host else host.process_alive(pid),
    }


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _engine(op: str, args: dict[str, Any]) -> Any:
    """One request to the engine's bridge (docs/BRIDGE.md): the ops the TypeScript package uses for files."""
    response = json.loads(handle_request(json.dumps({"op": op, "args": args}, ensure_ascii=False)))
    if response["ok"]:
        return response["result"]
    raise error_from_json(response["error"])


def inspect(host: Host, db: DbFile) -> dict[str, Any]:
    """What the file holds, read without verifying or writing it (``inspect``): ledgerId, formatVersion,
    schemaVersion, owner, entries, latestHash, first and last timestamp, streams, caveats."""
    return _engine("inspect", {"path": host.local(db.real)})


def verify_chunk(
    host: Host, db: DbFile, start: dict[str, Any] | None, limit: int, checkpoint: Any = None
) -> dict[str, Any]:
    """Verifies up to ``limit`` entries after ``start`` (a verified prefix ``{size, hash, timestamp}``), read-only;
    raises ``CHAIN_INVALID`` at the first fault. The new prefix, with ``done`` and ``caveats``."""
    args: dict[str, Any] = {"path": host.local(db.real), "limit": limit}
    if start is not None:
        args["from"] = {"size": start["size"], "hash": start["hash"], "timestamp": start["timestamp"]}
    if checkpoint is not None:
        args["checkpoint"] = checkpoint
    return _engine("verifyFile", args)


def validate_record(record: Any, ledger_id: str | None = None) -> None:
    """Refuses ``record`` (and ``ledger_id``, when given) as appending it would, without opening or creating
    anything (``validateRecord``). Only the rules that need the ledger's entries are left to the append."""
    args: dict[str, Any] = {"record": record}
    if ledger_id is not None:
        args["ledgerId"] = ledger_id
    _engine("validateRecord", args)


def validate_export(text: str, ledger_id: str) -> None:
    """Verifies an export whole for a new ledger ``ledger_id``, writing nothing (``validateExport``)."""
    _engine("validateExport", {"data": text, "ledgerId": ledger_id})


def _ledger_id(host: Host, db: DbFile, create_id: str | None, expect_id: str | None) -> str:
    if db.exists:
        found = inspect(host, db)["ledgerId"]
        if found is None:
            raise UnusableError(f"{db.arg} holds no ledger id; it was not written by Nucleus", "NOT_A_LEDGER")
        return expect_id if expect_id is not None else found
    if create_id is None:
        raise UnusableError(f"{db.arg}: no such file", "NOT_FOUND")
    return create_id


def with_read_only_ledger(host: Host, db: DbFile, use: Callable[[Ledger], T]) -> T:
    """Opens the ledger in ``db`` read-only (no lock, nothing written; it is verified whole), its id read from the
    file, runs ``use`` on it and closes it. Should another process checkpoint the file meanwhile (``STORAGE_ERROR``,
    reason ``changed``), it opens the file again, which verifies it again, and runs ``use`` again, up to three
    times."""
    attempt = 1
    while True:
        ledger = Ledger.open(_ledger_id(host, db, None, None), SqliteStorage(host.local(db.real), read_only=True))
        try:
            return use(ledger)
        except NucleusError as err:
            if not (err.details.get("reason") == "changed" and attempt < READ_ATTEMPTS):
                raise
        finally:
            ledger.close()
        attempt += 1


def with_ledger(
    host: Host, db: DbFile, use: Callable[[Ledger], T], *, create_id: str | None = None, expect_id: str | None = None
) -> T:
    """Opens the ledger in ``db`` with its lock (verifying it), its id read from the file; a new file needs
    ``create_id``, an existing one whose id differs from ``expect_id`` is refused (``LEDGER_MISMATCH``). Runs ``use``
    and closes it. A command checks its input before it gets here; should ``use`` (or opening) fail anyway, a file
    that did not exist is removed again with its ``-wal`` and ``-shm`` and the directories made for it: a refused
    command leaves nothing."""
    directory = os.path.dirname(db.real)
    made = [] if db.exists else _missing_dirs(host, directory)
    ok = False
    try:
        ledger_id = _ledger_id(host, db, create_id, expect_id)
        try:
            os.makedirs(host.local(directory), exist_ok=True)
        except OSError as err:
            raise StorageError(
                f"cannot create the directory {directory} for {db.path}: {err.strerror}", details={"path": db.path}
            ) from None
        release = host.lock(db.real)
        try:
            ledger = Ledger.open(ledger_id, SqliteStorage(host.local(db.real), lock=False))
            try:
                result = use(ledger)
                ok = True
                return result
            finally:
                ledger.close()
        finally:
            release()
    finally:
        if not ok and not db.exists:
            _remove_created(host, db.real, made)


def _missing_dirs(host: Host, directory: str) -> list[str]:
    """``directory`` and its ancestors that do not exist, deepest first."""
    missing = []
    d = directory
    while not os.path.exists(host.local(d)) and os.path.dirname(d) != d:
        missing.append(d)
        d = os.path.dirname(d)
    return missing


def _remove_created(host: Host, path: str, dirs: list[str]) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.unlink(host.local(path + suffix))
    for d in dirs:
        try:
            os.rmdir(host.local(d))  # only while empty: anything else put there meanwhile stays
        except OSError:
            return


# -- PostgreSQL ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DbServer:
    """A ledger in a PostgreSQL database: ``<db>`` given as a ``postgresql://`` URL, with ``--ledger`` and
    ``--schema``."""

    arg: str
    """The URL with its password masked: the only form that is ever printed."""
    dsn: str
    """The URL as given (password included): only handed to the driver."""
    ledger_id: str
    schema: str


def is_url(arg: str) -> bool:
    """Whether ``<db>`` names a PostgreSQL database rather than a file."""
    return arg[:16].lower().startswith(PG_SCHEMES)


def secrets_in(argv: list[str]) -> list[str]:
    """The passwords of every PostgreSQL URL among ``argv`` (raw and percent-decoded), so that no message, whatever
    produced it, can show one."""
    found: list[str] = []
    for word in argv:
        for text in (word, word.partition("=")[2]):  # also --flag=postgresql://…
            if is_url(text):
                found += _passwords(text)
        # libpq's key=value form is not taken for <db> (it is read as a file name), but a message echoing it must
        # not show its password either.
        found += [m.strip("'") for m in re.findall(r"\bpassword\s*=\s*('[^']*'|\S+)", word) if not is_url(word)]
    return [s for s in dict.fromkeys(found) if s]


def _passwords(url: str) -> list[str]:
    userinfo = _userinfo(url)
    raw = [userinfo.partition(":")[2]] if userinfo and ":" in userinfo else []
    raw += re.findall(r"[?&]password=([^&#]*)", url)
    return [*raw, *(urllib.parse.unquote(p) for p in raw)]


def _userinfo(url: str) -> str | None:
    """The ``user:password`` part of a URL: everything before the last ``@`` ahead of the query (a password that
    holds an unencoded ``/`` or ``@`` is still all of it)."""
    rest = url.split("://", 1)[1].split("?", 1)[0]
    return rest.rpartition("@")[0] if "@" in rest else None


def mask_url(url: str) -> str:
    """``url`` with its password (in the user info or a ``password=`` parameter) replaced by ``***``."""
    userinfo = _userinfo(url)
    if userinfo and ":" in userinfo:
        scheme, rest = url.split("://", 1)
        user = userinfo.partition(":")[0]
        url = f"{scheme}://{user}:***@{rest[len(userinfo) + 1 :]}"
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url)


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every one of ``secrets`` replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def db_server(args: Parsed, arg: str, command: str) -> DbServer | None:
    """``<db>`` as a PostgreSQL ledger when it is a URL (``--ledger`` required, ``--schema`` optional); None for a
    file, for which ``--schema`` is refused (and ``--ledger`` too, except where the command gives it a meaning for
    files, as ``append`` does)."""
    ledger_id = args.string("ledger")
    schema = args.string("schema")
    if not is_url(arg):
        if schema is not None:
            raise UsageError("--schema is only for a PostgreSQL URL (postgresql://…); a file has none", command)
        if ledger_id is not None and command not in ("append", "import"):
            raise UsageError(
                "--ledger is only for a PostgreSQL URL (postgresql://…); a file holds one ledger, whose id it names",
                command,
            )
        return None
    if ledger_id is None:
        raise UsageError(
            f"--ledger <id> is required with a PostgreSQL URL: a database holds many ledgers ({mask_url(arg)})",
            command,
        )
    return DbServer(mask_url(arg), arg, ledger_id, DEFAULT_SCHEMA if schema is None else schema)


def pg_storage(server: DbServer) -> PostgresStorage:
    """A storage for ``server`` (not opened yet). Imported here: psycopg is an optional extra, needed only for
    URLs."""
    from ..storage.postgres import PostgresStorage

    return PostgresStorage(server.dsn, schema=server.schema, application_name=APPLICATION_NAME)


def open_existing(server: DbServer) -> PostgresStorage:
    """The storage of ``server``'s ledger, opened without creating anything (read commands never create a schema
    or a ledger); a missing one is ``NOT_FOUND``, as a missing file is."""
    storage = pg_storage(server)
    try:
        storage.open(server.ledger_id, create=False)
    except StorageError as err:
        if err.details.get("reason") != "missing":
            raise
        raise UnusableError(
            f"{server.arg}: no ledger {json.dumps(server.ledger_id)} in schema {server.schema}", "NOT_FOUND"
        ) from None
    return storage


def with_server_ledger(server: DbServer, use: Callable[[Ledger], T], *, create: bool = False, **options: Any) -> T:
    """Opens ``server``'s ledger (verifying it whole), runs ``use`` on it and closes it. Unless ``create``, the
    ledger must exist. No lock is taken: PostgreSQL serializes appends itself, so readers and any number of writers
    may share a ledger. ``options`` go to :meth:`Ledger.open` (``checkpoint``)."""
    storage = pg_storage(server) if create else open_existing(server)
    try:
        ledger = Ledger.open(server.ledger_id, storage, **options)
    except BaseException:
        storage.close()
        raise
    try:
        return use(ledger)
    finally:
        ledger.close()


def with_writable_ledger(
    host: Host, server: DbServer | None, db: DbFile | None, ledger_id: str | None, use: Callable[[Ledger], T]
) -> T:
    """The ledger a writing command (append, import) writes to: ``server``'s, created when missing (other writers
    may append meanwhile), or the one in the file ``db`` under its lock, created as ``ledger_id`` when new."""
    if server is not None:
        return with_server_ledger(server, use, create=True)
    assert db is not None
    return with_ledger(host, db, use, create_id=ledger_id, expect_id=ledger_id)
