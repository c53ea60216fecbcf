"""The part of psycopg 3 that ``PostgresStorage`` uses, over a host's synchronous PostgreSQL channel.

Inside Pyodide there are no sockets, and the engine's storage calls are synchronous. Under Node.js the TypeScript
host registers the module ``_nucleus_pg_host`` with one function, ``call(request, wait_ms) -> answer`` (JSON text
both ways): a worker thread owns the connections (node-postgres), and the call blocks on ``Atomics.wait`` until the
worker answers (js/src/runtime/node/pg-channel.ts; docs/ARCHITECTURE.md, "PostgreSQL under Node.js").

This module stands in for ``psycopg`` there (``postgres._driver``), with exactly what postgres.py uses:
``connect``, ``conninfo.conninfo_to_dict``, ``Error`` / ``ProgrammingError`` with ``sqlstate``,
``pq.TransactionStatus``; a connection's ``execute``, ``cursor(name=…)`` (a server-side cursor: ``DECLARE`` /
``FETCH`` / ``CLOSE``), ``pipeline()`` (statements run one by one), ``info``, ``closed``, ``broken``, ``close``.
Placeholders are psycopg's ``%s``, turned into ``$1…``; values travel as text and come back as the server's text,
turned into Python values by type (integers, booleans, bytea; everything else a str).
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

from .._errors import StorageUnsupported

HOST_MODULE = "_nucleus_pg_host"
# The wait for one answer beyond the storage's own timeout, which the server enforces (statement_timeout …) and
# reports with its own, more precise error.
_MARGIN_MS = 5000
_PLACEHOLDER = re.compile(r"%[s%]")
# Connection parameters understood here (libpq's names); others are refused rather than silently ignored.
_KNOWN = {"host", "hostaddr", "port", "user", "password", "dbname", "sslmode", "application_name", "connect_timeout"}
_INT_TYPES = {20, 21, 23, 26}  # int8, int2, int4, oid
_BOOL, _BYTEA, _FLOATS = 16, 17, {700, 701}


class Error(Exception):
    """A failure the server or the channel reported (psycopg.Error's place)."""

    def __init__(self, message: str, sqlstate: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.nucleus_reason = reason
        """What the host already knows the failure means (e.g. ``unreachable``), for ``postgres._reason``."""


class ProgrammingError(Error):
    """A connection string that cannot be parsed."""


class _TransactionStatus:
    IDLE = 0
    INTRANS = 2
    INERROR = 3


pq = SimpleNamespace(TransactionStatus=_TransactionStatus)


def _host_call() -> Any:
    try:
        import _nucleus_pg_host  # type: ignore[import-not-found]  # registered by the Node.js host
    except ImportError:
        raise StorageUnsupported(
            "PostgreSQL storage needs a host that can reach a server: Node.js (postgresStorage(...)) or CPython "
            "(PostgresStorage); a browser cannot open network connections to PostgreSQL",
            details={"storage": "postgres"},
        ) from None
    return _nucleus_pg_host.call


def driver() -> Any:
    """This module, once the host's channel is known to exist."""
    _host_call()
    import sys

    return sys.modules[__name__]


def _request(message: dict[str, Any], wait_ms: int) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(_host_call()(json.dumps(message, ensure_ascii=False), wait_ms))
    return answer


def _raise(answer: dict[str, Any]) -> None:
    error = answer.get("error")
    if error is not None:
        raise Error(str(error.get("message") or "PostgreSQL failed"), error.get("sqlstate"), error.get("reason"))


# -- connection strings ------------------------------------------------------------------------------------


def _conninfo_to_dict(dsn: str) -> dict[str, Any]:
    """libpq's two forms: a ``postgresql://`` URL (query parameters included) or ``key=value`` pairs."""
    params = _parse_url(dsn) if re.match(r"postgres(ql)?://", dsn) else _parse_pairs(dsn)
    unknown = sorted(set(params) - _KNOWN)
    if unknown:
        raise ProgrammingError(f"connection parameter(s) {', '.join(unknown)} are not supported under Node.js")
    return params


def _parse_url(dsn: str) -> dict[str, Any]:
    try:
        url = urllib.parse.urlsplit(dsn)
        port = url.port
    except ValueError as err:
        raise ProgrammingError(f"invalid connection URL: {err}") from None
    if "," in url.netloc:
        raise ProgrammingError("several hosts in one connection string are not supported under Node.js")
    params: dict[str, Any] = {}
    if url.hostname:
        params["host"] = urllib.parse.unquote(url.hostname)
    if port is not None:
        params["port"] = str(port)
    if url.username:
        params["user"] = urllib.parse.unquote(url.username)
    if url.password is not None:
        params["password"] = urllib.parse.unquote(url.password)
    if url.path.strip("/"):
        params["dbname"] = urllib.parse.unquote(url.path[1:])
    for key, value in urllib.parse.parse_qsl(url.query, keep_blank_values=True):
        params[key] = value
    return params


_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']\S*|)")


def _parse_pairs(dsn: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    position = 0
    text = dsn.rstrip()
    while position < len(text):
        match = _PAIR.match(text, position)
        if match is None:
            raise ProgrammingError(f"invalid connection string near {text[position : position + 20]!r}")
        value = match.group(2)
        quoted = value[1:-1] if value.startswith("'") else value
        params[match.group(1)] = re.sub(r"\\(.)", r"\1", quoted)
        position = match.end()
    if not params:
        raise ProgrammingError("invalid connection string: expected a postgresql:// URL or key=value pairs")
    return params


conninfo = SimpleNamespace(conninfo_to_dict=_conninfo_to_dict)


# -- values ------------------------------------------------------------------------------------------------


def _param(value: Any) -> Any:
    """A parameter as the channel carries it: integers as text (JSON numbers would lose 64-bit ones)."""
    if value is None or type(value) is bool or type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    if type(value) is float:
        return repr(value)
    if isinstance(value, list | tuple):
        return [_param(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return "\\x" + bytes(value).hex()
    raise TypeError(f"cannot send {type(value).__name__} to PostgreSQL")


def _value(oid: int, text: str | None) -> Any:
    if text is None:
        return None
    if oid in _INT_TYPES:
        return int(text)
    if oid == _BOOL:
        return text == "t"
    if oid == _BYTEA:
        return bytes.fromhex(text[2:])
    if oid in _FLOATS:
        return float(text)
    return text


def _sql(sql: str, params: Sequence[Any] | None) -> str:
    if params is None:
        return sql
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


# -- connections -------------------------------------------------------------------------------------------


class _Info:
    def __init__(self, encoding: str):
        self._encoding = encoding
        self.transaction_status = _TransactionStatus.IDLE

    def parameter_status(self, name: str) -> str | None:
        return self._encoding if name == "server_encoding" else None


class Connection:
    """One server session, owned by the host's worker."""

    def __init__(self, handle: int, encoding: str, wait_ms: int):
        self._handle = handle
        self._wait_ms = wait_ms
        self.info = _Info(encoding)
        self.closed = False
        self.broken = False

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> tuple[list[int], list[list[Any]]]:
        if self.closed:
            raise Error("the connection is closed", reason="connection_lost")
        message: dict[str, Any] = {"op": "query", "conn": self._handle, "sql": _sql(sql, params)}
        if params is not None:
            message["params"] = [_param(p) for p in params]
        answer = _request(message, self._wait_ms)
        if answer.get("error") is not None:
            if answer.get("broken"):
                self.broken = self.closed = True
            elif self.info.transaction_status != _TransactionStatus.IDLE:
                self.info.transaction_status = _TransactionStatus.INERROR
            _raise(answer)
        self._track(sql)
        return answer.get("fields") or [], answer.get("rows") or []

    def _track(self, sql: str) -> None:
        word = sql.lstrip()[:8].upper()
        if word.startswith("BEGIN"):
            self.info.transaction_status = _TransactionStatus.INTRANS
        elif word.startswith(("COMMIT", "ROLLBACK")):
            self.info.transaction_status = _TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        return Cursor(self).execute(sql, params)

    def cursor(self, name: str | None = None, binary: bool = False) -> Cursor:
        return Cursor(self) if name is None else NamedCursor(self, name)

    def pipeline(self) -> contextlib.nullcontext[None]:
        """Statements run as they are executed: one channel crossing each."""
        return contextlib.nullcontext()

    def close(self) -> None:
        if self.closed and self.broken:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            _request({"op": "close", "conn": self._handle}, self._wait_ms)


class Cursor:
    """The rows of one statement."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._rows: list[tuple[Any, ...]] = []
        self._index = 0

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        fields, rows = self._conn._run(sql, params)
        self._rows = [tuple(_value(oid, text) for oid, text in zip(fields, row, strict=True)) for row in rows]
        self._index = 0
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._index >= len(self._rows):
            return None
        self._index += 1
        return self._rows[self._index - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._index = self._rows[self._index :], len(self._rows)
        return rows


class NamedCursor:
    """A server-side cursor (inside a transaction): ``DECLARE`` on execute, ``FETCH`` per batch, ``CLOSE``."""

    def __init__(self, conn: Connection, name: str):
        self._conn = conn
        self._name = name
        self.itersize = 100
        self._open = False

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> NamedCursor:
        self._conn._run(f"DECLARE {self._name} NO SCROLL CURSOR FOR {sql}", params)
        self._open = True
        return self

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        return Cursor(self._conn).execute(f"FETCH FORWARD {int(size)} FROM {self._name}").fetchall()

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while True:
            rows = self.fetchmany(self.itersize)
            if not rows:
                return
            yield from rows

    def close(self) -> None:
        if self._open and not self._conn.closed:
            self._open = False
            self._conn._run(f"CLOSE {self._name}")


def connect(dsn: str, *, autocommit: bool, connect_timeout: int, application_name: str, **_tcp: int) -> Connection:
    """A new session (``autocommit`` is the only mode: transactions are explicit BEGIN … COMMIT). The TCP
    keepalive settings psycopg takes are not needed here: the channel bounds every call's wait itself."""
    assert autocommit
    wait_ms = int(connect_timeout) * 1000 + _MARGIN_MS
    answer = _request(
        {
            "op": "connect",
            "params": _conninfo_to_dict(dsn),
            "timeoutMs": int(connect_timeout) * 1000,
            "applicationName": application_name,
        },
        wait_ms,
    )
    _raise(answer)
    return Connection(int(answer["conn"]), str(answer["encoding"]), wait_ms)
