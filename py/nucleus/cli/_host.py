"""Where the ``nucleus`` command runs: its terminal, the host's files and locks, and facts about its process.

Under CPython (``python -m nucleus``, the ``nucleus`` console script) all of it is this process's own:
:func:`local_host`. Under Node.js the engine runs in Pyodide, whose process id, host name, file locks and
terminal are not the host's, so the npm runner (js/src/cli.ts) lends them: :func:`hosted_host`. The host's file
system is mounted whole at ``root`` there; paths the commands print are always the host's own.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from .._errors import ChainIntegrityError, NucleusError
from ..storage._lock import FileLock, _pid_alive

_MAX_PID = 2**31 - 1


@dataclass(frozen=True)
class Host:
    """What the commands need from around them. Paths given to and returned by these functions are the host's
    (absolute); :meth:`local` turns one into the path this interpreter opens."""

    write_out: Callable[[str], None]
    """Writes text to stdout, whole, before returning (a reader that went away is not an error)."""
    write_err: Callable[[str], None]
    """Writes text to stderr."""
    read_stdin: Callable[[], str]
    """All of stdin, as UTF-8 text."""
    stderr_is_tty: bool
    columns: int
    """The terminal's width in columns (0: unknown)."""
    cwd: str
    pid: int
    hostname: str
    engine_ms: float
    """How long starting the engine took (0 where it runs in this interpreter)."""
    realpath: Callable[[str], str]
    """The path with every symbolic link resolved (those parts that exist)."""
    lock: Callable[[str], Callable[[], None]]
    """Takes a ledger file's lock (``<path>.lock``, docs/FORMAT.md §5) or raises ``LEDGER_LOCKED``; its release."""
    process_alive: Callable[[float], bool]
    """Whether a process of this host is alive (True when that cannot be told)."""
    root: str = ""
    """Where the host's ``/`` is in this interpreter's file system (``""``: the same)."""

    def local(self, path: str) -> str:
        """The path this interpreter opens for the host's (real, absolute) ``path``."""
        return self.root + path if self.root else path

    def host_text(self, text: str) -> str:
        """``text`` (an engine message) with this interpreter's paths turned back into the host's."""
        return text.replace(self.root + "/", "/") if self.root else text


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")  # undecodable argv bytes come back as they were
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _writer(stream: TextIO | None) -> Callable[[str], None]:
    """Writes to ``stream``'s file descriptor directly and whole (a large export piped to another program must be
    complete when the process exits); through the stream where it has none (captured output)."""

    def write(text: str) -> None:
        if stream is None:
            return
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            stream.write(text)
            stream.flush()
            return
        stream.flush()  # anything print()ed before goes first
        view = memoryview(_encode(text))
        while view:
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                continue  # a non-blocking pipe is full: retry
            except BrokenPipeError:
                return  # the reader went away (`nucleus export db | head`): not an error

    return write


def _read_stdin() -> str:
    if sys.stdin is None:
        return ""
    return sys.stdin.buffer.read().decode("utf-8", "replace")


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, OSError, ValueError):
        return False


def _take_lock(path: str) -> Callable[[], None]:
    lock = FileLock(path)
    lock.acquire()
    return lock.release


def process_alive(pid: float) -> bool:
    """Whether ``pid`` is a live process on this host (EPERM: alive, under another user)."""
    if isinstance(pid, float) and pid.is_integer():
        pid = int(pid)  # JSON has one number type: 7.0 is the process 7
    return isinstance(pid, int) and 0 < pid <= _MAX_PID and _pid_alive(pid)


def local_host() -> Host:
    """This process: its streams, working directory, files and the lock the library takes (CPython)."""
    return Host(
        write_out=_writer(sys.stdout),
        write_err=_writer(sys.stderr),
        read_stdin=_read_stdin,
        stderr_is_tty=_isatty(sys.stderr),
        columns=_columns(),
        cwd=os.getcwd(),
        pid=os.getpid(),
        hostname=socket.gethostname(),
        engine_ms=0.0,
        realpath=os.path.realpath,
        lock=_take_lock,
        process_alive=process_alive,
    )


def error_from_json(error: dict[str, Any]) -> NucleusError:
    """A :class:`NucleusError` from its plain-data form ``{code, message, details?}`` (the bridge's)."""
    details = error.get("details") or {}
    if error.get("code") == "CHAIN_INVALID" and "seq" in details and "kind" in details:
        return ChainIntegrityError(error["message"], seq=details["seq"], kind=details["kind"])
    return NucleusError(error["message"], code=error["code"], details=details)


def hosted_host(facts: dict[str, Any], io: Any) -> Host:
    """The host the npm runner describes: ``facts`` (plain data: cwd, pid, hostname, stderrIsTTY, columns,
    engineMs, root) and ``io``, its functions (``write(fd, text)``, ``readStdin()``, ``realpath(path)``,
    ``lock(path)`` returning ``""`` or an error as JSON, ``unlock(path)``, ``processAlive(pid)``)."""

    def lock(path: str) -> Callable[[], None]:
        error = io.lock(path)
        if error:
            raise error_from_json(json.loads(error))

        def release() -> None:
            with contextlib.suppress(Exception):
                io.unlock(path)

        return release

    return Host(
        write_out=lambda text: io.write(1, text),
        write_err=lambda text: io.write(2, text),
        read_stdin=lambda: str(io.readStdin()),
        stderr_is_tty=bool(facts.get("stderrIsTTY")),
        columns=int(facts.get("columns") or 0),
        cwd=facts["cwd"],
        pid=int(facts["pid"]),
        hostname=str(facts["hostname"]),
        engine_ms=float(facts.get("engineMs") or 0),
        realpath=lambda path: str(io.realpath(path)),
        lock=lock,
        process_alive=lambda pid: bool(io.processAlive(pid)),
        root=str(facts.get("root") or ""),
    )
