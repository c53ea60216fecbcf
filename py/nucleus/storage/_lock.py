"""The host-level lock of a ledger file: ``<database>.lock``, created atomically.

Emscripten fakes POSIX locks (DESIGN.md), so Nucleus does not rely on SQLite's. A lock file is created
with O_CREAT|O_EXCL and holds ``{"pid", "hostname", "createdAt", "tool"}``. An opener that finds one
checks the holder: a live process on this host means ``LEDGER_LOCKED``; a dead one means a stale lock,
which is removed once before trying again. The TypeScript package implements the same protocol
(js/src/runtime/node/lock.ts), so Python and Node processes exclude each other.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import socket
import time
from typing import Any

from .._errors import LedgerLocked, StorageError

# A lock file that is still empty this long after it was made was left by a crash between create and write.
_EMPTY_LOCK_GRACE_S = 5.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True  # cannot tell: treat as held, never steal a live lock
    return True


def _read_holder(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _is_stale(path: str, holder: dict[str, Any] | None) -> bool:
    if holder is None:
        try:
            return time.time() - os.stat(path).st_mtime > _EMPTY_LOCK_GRACE_S
        except FileNotFoundError:
            return True
    pid = holder.get("pid")
    if holder.get("hostname") != socket.gethostname() or type(pid) is not int:
        return False  # another machine's lock cannot be checked from here
    return not _pid_alive(pid)


class FileLock:
    """An exclusive lock on ``database_path``, held until ``release()`` or process exit."""

    def __init__(self, database_path: str):
        self.database_path = database_path
        self.path = database_path + ".lock"
        self._held = False

    def acquire(self) -> None:
        """Take the lock or raise ``LEDGER_LOCKED`` naming the holder."""
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _read_holder(self.path)
                if _is_stale(self.path, holder):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.path)
                    continue
                who = f"process {holder.get('pid')} on {holder.get('hostname')}" if holder else "another process"
                raise LedgerLocked(
                    f"{self.database_path} is locked by {who}; close the ledger there first "
                    f"(if that process is gone, delete {self.path})",
                    details={"path": self.database_path, "holder": holder},
                ) from None
            except OSError as err:
                raise StorageError(
                    f"cannot create lock file {self.path}: {err.strerror}",
                    details={"path": self.path, "reason": "read_only" if err.errno in (13, 30) else "io"},
                ) from None
            info = {
                "pid": os.getpid(),
                "hostname": socket.gethostname(),
                "createdAt": int(time.time() * 1000),
                "tool": "nucleus-py",
            }
            try:
                os.write(fd, json.dumps(info).encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            self._held = True
            atexit.register(self.release)
            return
        raise LedgerLocked(f"{self.database_path} is locked (lock file {self.path} keeps reappearing)")

    def release(self) -> None:
        """Drop the lock if this process holds it. Idempotent."""
        if not self._held:
            return
        self._held = False
        atexit.unregister(self.release)
        holder = _read_holder(self.path)
        if holder is not None and holder.get("pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
