"""The host-level lock of a ledger file: ``<database>.lock``, published atomically, taken over race-free.

Emscripten fakes POSIX locks (every lock succeeds: docs/ARCHITECTURE.md, "What Node.js changes"), so Nucleus
does not rely on SQLite's. The protocol is specified in docs/FORMAT.md §5 and implemented identically by the
TypeScript package (js/src/runtime/node/lock.ts), so Python and Node processes exclude each other. In short:

- A lock (and a takeover claim, below) is published by writing its JSON to a private temp file
  ``<db>.lock.tmp.<pid>.<hex>`` and ``link()``-ing that to the final name: the link fails if the name exists,
  and a reader never sees a half-written file.
- A file whose holder is a dead process on this host is stale. It is never unlinked on sight: only the
  process that published the claim ``<db>.lock.takeover.<inode of that file>`` may unlink it, after checking
  under the claim that the same inode with the same bytes is still there and still stale.
- A claim is itself a lock file: a dead holder's claim is removed the same way, under a claim named after
  the claim's own inode.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import random
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any

from .._errors import LedgerLocked, StorageError

# An unparsable lock this young may be mid-write by a creator that could not use link() (see _publish).
_PARTIAL_WRITE_GRACE_S = 5.0
# A temp file this old was left by a crash; deleting a live one would only fail its creator's link().
_TEMP_GRACE_S = 60.0
# How long an opener waits for another process's takeover to finish before reporting who is at it.
_TAKEOVER_WAIT_S = 1.0
# A claim on a claim on a claim...: each level needs another crash in the takeover window, so few suffice.
_MAX_CLAIM_DEPTH = 4
_MAX_PID = 2**31 - 1
# link() errors that mean "this file system has no hard links": publish by O_EXCL creation instead.
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})


@dataclass(frozen=True)
class _Snapshot:
    """One file read through one descriptor, so the inode and the bytes belong together."""

    ino: int
    data: bytes
    age_s: float
    holder: dict[str, Any] | None  # None: not a JSON object with a valid pid


# A lock we cannot read (another user's, a directory...): an age of 0 makes it count as held, never stale.
_UNREADABLE = _Snapshot(ino=-1, data=b"", age_s=0.0, holder=None)


def _holder_bytes() -> bytes:
    info = {"pid": os.getpid(), "hostname": socket.gethostname(), "createdAt": int(time.time() * 1000)}
    return json.dumps({**info, "tool": "nucleus-py"}).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # as JSON.parse in the TypeScript reader


def _parse_holder(data: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    pid = parsed.get("pid")
    # JSON has one number type: 7.0 is the integer 7 to the TypeScript reader, so it must be here too.
    if isinstance(pid, float) and pid.is_integer():
        pid = int(pid)
    if isinstance(pid, bool) or not isinstance(pid, int) or not 0 < pid <= _MAX_PID:
        return None  # kill(0 or a negative pid) would probe a process group, not a holder
    return {**parsed, "pid": pid}


def _read(path: str) -> _Snapshot | None:
    """The file at ``path``, or None when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError:
        return _UNREADABLE
    try:
        st = os.fstat(fd)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:
        return _UNREADABLE
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return _Snapshot(ino=st.st_ino, data=data, age_s=time.time() - st.st_mtime, holder=_parse_holder(data))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: alive under another user; anything else: cannot tell, so never steal
    return True


def _is_stale(snap: _Snapshot) -> bool:
    if snap.holder is None:
        return snap.age_s > _PARTIAL_WRITE_GRACE_S
    if snap.holder.get("hostname") != socket.gethostname():
        return False  # another machine's process cannot be checked from here
    return not _pid_alive(snap.holder["pid"])


def _storage_error(action: str, path: str, err: OSError) -> StorageError:
    reason = "read_only" if err.errno in (errno.EACCES, errno.EROFS) else "io"
    return StorageError(f"cannot {action} {path}: {err.strerror}", details={"path": path, "reason": reason})


def _write_new(path: str, data: bytes) -> int:
    """Creates ``path`` (O_EXCL) holding ``data``, synced; its inode. FileExistsError when it exists."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        ino = os.fstat(fd).st_ino
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)
    return ino


def _publish(lock_path: str, target: str, data: bytes) -> int | None:
    """Creates ``target`` holding ``data`` as one atomic step; its inode, or None if ``target`` exists."""
    if hasattr(os, "link"):  # not under Emscripten
        temp = f"{lock_path}.tmp.{os.getpid()}.{secrets.token_hex(8)}"
        try:
            ino = _write_new(temp, data)
        except OSError as err:
            raise _storage_error("create the lock file", lock_path, err) from None
        try:
            os.link(temp, target)
            return ino
        except FileExistsError:
            return None
        except OSError as err:
            if err.errno not in _NO_HARD_LINKS:
                raise _storage_error("create the lock file", target, err) from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    # Without hard links a reader can see the file before its bytes: the partial-write grace covers that.
    try:
        return _write_new(target, data)
    except FileExistsError:
        return None
    except OSError as err:
        raise _storage_error("create the lock file", target, err) from None


def _remove_stale(lock_path: str, target: str, snap: _Snapshot, depth: int = 0) -> _Snapshot | None:
    """Removes ``target`` if it still is the stale file ``snap``, under the claim on its inode.

    Returns None when the caller should look again, or the claim of the live process doing it instead.
    """
    claim = f"{lock_path}.takeover.{snap.ino}"
    if _publish(lock_path, claim, _holder_bytes()) is None:
        other = _read(claim)
        if other is None:
            return None
        if depth >= _MAX_CLAIM_DEPTH or not _is_stale(other):
            return other
        return _remove_stale(lock_path, claim, other, depth + 1)
    try:
        # Nobody else can unlink target now (its holder is dead and the claim is ours), so check-then-unlink
        # is exact. Staleness is checked again for a file that was unparsable and is now complete.
        now = _read(target)
        if now is not None and now.ino == snap.ino and now.data == snap.data and _is_stale(now):
            try:
                os.unlink(target)
            except FileNotFoundError:
                pass
            except OSError as err:
                raise _storage_error("remove the stale lock file", target, err) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(claim)
    return None


def _sweep(lock_path: str) -> None:
    """Removes what crashed processes left: old temp files, and claims of dead processes."""
    directory, base = os.path.split(lock_path)
    temp_prefix, claim_prefix = f"{base}.tmp.", f"{base}.takeover."
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        with contextlib.suppress(OSError, StorageError):
            if name.startswith(temp_prefix):
                if time.time() - os.stat(path).st_mtime > _TEMP_GRACE_S:
                    os.unlink(path)  # only its dead creator would ever link or unlink it
            elif name.startswith(claim_prefix) and name[len(claim_prefix) :].isdigit():
                snap = _read(path)
                if snap is not None and _is_stale(snap):
                    _remove_stale(lock_path, path, snap, depth=1)


def _describe(holder: dict[str, Any] | None) -> str:
    return f"process {holder.get('pid')} on {holder.get('hostname')}" if holder else "another process"


class FileLock:
    """An exclusive lock on ``database_path``, held until ``release()`` or process exit."""

    def __init__(self, database_path: str):
        self.database_path = database_path
        self.path = database_path + ".lock"
        self._mine: tuple[int, bytes] | None = None  # (inode, bytes) of the lock file we published

    def acquire(self) -> None:
        """Take the lock or raise ``LEDGER_LOCKED`` naming the holder."""
        data = _holder_bytes()
        deadline = time.monotonic() + _TAKEOVER_WAIT_S
        snap: _Snapshot | None = None
        for _ in range(1000):
            try:
                ino = _publish(self.path, self.path, data)
            except StorageError:
                # A read-only directory with a live lock in it: say who holds it rather than "read-only".
                held = _read(self.path)
                if held is not None and not _is_stale(held):
                    raise self._locked(held.holder) from None
                raise
            if ino is not None:
                self._mine = (ino, data)
                atexit.register(self.release)
                _sweep(self.path)
                return
            snap = _read(self.path)
            if snap is None:
                continue  # released between our link and our read
            if not _is_stale(snap):
                raise self._locked(snap.holder)
            claim = _remove_stale(self.path, self.path, snap)
            if claim is None:
                continue
            if time.monotonic() > deadline:
                raise LedgerLocked(
                    f"{self.database_path} has a stale lock ({_describe(snap.holder)} is gone) that "
                    f"{_describe(claim.holder)} is taking over; try again (if that process is not a Nucleus "
                    f"process, delete {self.path}.takeover.{snap.ino})",
                    details={"path": self.database_path, "holder": snap.holder},
                )
            time.sleep(random.uniform(0.001, 0.005))
        raise self._locked(snap.holder if snap else None)

    def _locked(self, holder: dict[str, Any] | None) -> LedgerLocked:
        return LedgerLocked(
            f"{self.database_path} is locked by {_describe(holder)}; close the ledger there first "
            f"(if that process is gone, delete {self.path})",
            details={"path": self.database_path, "holder": holder},
        )

    def release(self) -> None:
        """Drop the lock if this process holds it. Idempotent."""
        if self._mine is None:
            return
        ino, data = self._mine
        self._mine = None
        atexit.unregister(self.release)
        # While we live nobody may remove our lock (it is not stale), so if it is still ours by inode and
        # bytes it stays ours until this unlink; a lock someone else created in its place is left alone.
        now = _read(self.path)
        if now is not None and now.ino == ino and now.data == data:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
