"""The upgrade path from format 1: copy a verified format-1 ledger file into a new format-2 file. Not public
(``nucleus.upgrade_file`` is exported).

Format 1 hashed neither the ledger id nor access control, so its entries cannot simply go on in format 2: the
copy re-chains every record in format 2, after the owner and grants (as ``nucleus.acl`` entries at timestamp 0,
owner's grants first). The old file is only read. The new file is built under a temporary name and renamed into
place once complete and synced, so a crash leaves either no new file or a whole one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Any

from ._acl import ACL_STREAM, owner_record
from ._checkpoint import Checkpoint
from ._errors import ConfigError, StorageError, ValidationError
from ._ledger import Ledger
from ._query import RESERVED_PREFIX
from .storage.sqlite import SqliteStorage

_BATCH = 10_000


def _grant_order(owner: str | None, grants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grants in an order the chain accepts: each granter already owner or admin when its grant is replayed."""
    admins = {owner}
    ordered: list[dict[str, Any]] = []
    pending = sorted(grants, key=lambda g: (g["subjectOid"], g["resourceOid"], g["action"]))
    while pending:
        ready = [g for g in pending if g["grantedBy"] in admins]
        if not ready:
            who = sorted({g["grantedBy"] for g in pending})
            raise ValidationError(
                f"cannot upgrade: grants made by {', '.join(who)}, who never held admin, cannot enter the chain"
            )
        for g in ready:
            ordered.append(g)
            if g["action"] == "admin":
                admins.add(g["subjectOid"])
        pending = [g for g in pending if g not in ready]
    return ordered


def upgrade_file(source: str | os.PathLike[str], target: str | os.PathLike[str], ledger_id: str) -> Checkpoint:
    """Copy the format-1 ledger ``ledger_id`` at ``source`` (verified whole first, never written) into a new
    format-2 file at ``target``; returns the new ledger's checkpoint. ``target`` must not exist. A format-2 file
    written before the Merkle tree (schema 2) is copied as it is, with its tree added (docs/FORMAT.md §5)."""
    target = os.path.abspath(os.fspath(target))
    if os.path.exists(target):
        raise ConfigError(f"{target} exists already; the upgrade writes a new file and never overwrites one")
    partial = f"{target}.upgrading-{os.getpid()}"
    with Ledger.open(ledger_id, SqliteStorage(source, read_only=True)) as old:
        if old.format_version != 1 and old._storage.tree_kept:
            raise ConfigError(f"{source} is in format {old.format_version} already; nothing to upgrade")
        state = old._acl_state
        try:
            if old.format_version != 1:
                # A format-2 file written before the Merkle tree: the same entries, copied whole (SQLite's backup),
                # then opened for writing, which adds the tree (schema 3) and verifies the copy.
                storage = old._storage
                assert isinstance(storage, SqliteStorage)
                with contextlib.closing(sqlite3.connect(partial)) as copy:
                    storage._require().backup(copy)
                with Ledger.open(ledger_id, SqliteStorage(partial)) as new:
                    checkpoint = new.checkpoint()
                if checkpoint.size != len(old) or checkpoint.hash != old.latest_hash:
                    raise StorageError(f"the copy of {source} does not end where the verified file does")
            else:
                checkpoint = _copy_format_1(old, partial, ledger_id, state)
            wal = partial + "-wal"
            if os.path.exists(wal) and os.path.getsize(wal) > 0:  # close checkpoints the log; it must be empty now
                raise StorageError(f"the upgraded ledger's log {wal} was not checkpointed at close")
            os.rename(partial, target)
            directory = os.open(os.path.dirname(target), os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except BaseException:
            for leftover in (partial, partial + "-wal", partial + "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
            raise
    for leftover in (partial + "-wal", partial + "-shm"):  # empty, checked above
        with contextlib.suppress(FileNotFoundError):
            os.unlink(leftover)
    return checkpoint


def _copy_format_1(old: Ledger, partial: str, ledger_id: str, state: Any) -> Checkpoint:
    """The format-1 ledger ``old`` re-chained in format 2 into a new file at ``partial``; its checkpoint."""
    with Ledger.open(ledger_id, SqliteStorage(partial)) as new:
        system: list[dict[str, Any]] = []
        if state.owner is not None:
            system.append(owner_record(state.owner, 0))
        for grant in _grant_order(state.owner, list(state.grants.values())):
            system.append({"id": "grant", "stream": ACL_STREAM, "timestamp": 0, "payload": {"grant": grant}})
        if system:
            new._write_records(system)
        batch: list[dict[str, Any]] = []
        for entry in old._storage.entries():
            if entry.stream.startswith(RESERVED_PREFIX):
                raise ValidationError(
                    f"cannot upgrade: entry {entry.seq} uses stream {entry.stream!r}, which format 2 "
                    "reserves for the engine's own entries"
                )
            batch.append(entry.record)
            if len(batch) == _BATCH:
                new._write_records(batch)
                batch = []
        if batch:
            new._write_records(batch)
        return new.checkpoint()
