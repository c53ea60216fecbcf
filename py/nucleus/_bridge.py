"""The JSON bridge the TypeScript package calls: ``handle_request(text) -> text``. docs/BRIDGE.md is its
specification. Plain data only crosses: no Python object or exception ever reaches JavaScript.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from . import __version__, _json
from ._acl import ACL_STREAM, AclState, ledger_resource
from ._checkpoint import Checkpoint
from ._context import parse_context
from ._errors import (
    ERROR_CODES,
    ArgumentError,
    ConfigError,
    LedgerClosed,
    NucleusError,
    StorageError,
    StorageUnsupported,
)
from ._export import parse_export
from ._hashing import FORMAT_VERSION
from ._ledger import Ledger
from ._options import check_ledger_id
from ._query import QuerySpec
from ._records import prepare_record
from ._upgrade import upgrade_file
from ._verify import EMPTY_TIP, ChainWalk, Tip, verify_stored
from .storage import MemoryStorage, SqliteStorage, Storage

_ledgers: dict[int, Ledger] = {}
_next_handle = 1


def _storage(spec: Any) -> Storage:
    if spec is None:
        return MemoryStorage()
    if type(spec) is not dict:
        raise ConfigError("storage must be an object with a 'type'")
    kind = spec.get("type")
    if kind in ("none", "memory"):
        return MemoryStorage()
    if kind == "sqlite":
        return SqliteStorage(
            spec.get("path", ""),
            durability=spec.get("durability", "full"),
            lock=spec.get("lock"),
            read_only=spec.get("readOnly", False),
        )
    if kind == "postgres":
        raise StorageUnsupported("postgres storage is not supported yet; use sqliteStorage() or inMemoryStorage()")
    raise ConfigError(f"unknown storage type {kind!r}")


def _open(args: dict[str, Any]) -> dict[str, Any]:
    global _next_handle
    known = {"id", "storage", "modules", "acl", "owner", "options", "checkpoint"}
    if set(args) - known:
        raise ConfigError(f"unknown ledger config key(s) {sorted(set(args) - known)}")
    ledger = Ledger.open(
        args.get("id"),
        _storage(args.get("storage")),
        modules=args.get("modules") or [],
        acl=args.get("acl") or "none",
        owner=args.get("owner"),
        options=args.get("options"),
        checkpoint=args.get("checkpoint"),
    )
    handle = _next_handle
    _next_handle += 1
    _ledgers[handle] = ledger
    return {
        "handle": handle,
        "length": len(ledger),
        "latestHash": ledger.latest_hash,
        "readOnly": ledger.read_only,
        "caveats": ledger.caveats,
    }


def _close(ledger: Ledger, handle: int) -> None:
    _ledgers.pop(handle, None)
    ledger.close()


def _state(ledger: Ledger, module_id: Any) -> str | None:
    state = ledger.modules.get_state(module_id)
    return None if state is None else state.value


def _entry(ledger: Ledger, h: Any) -> dict[str, Any] | None:
    entry = ledger.get_entry(h)
    return None if entry is None else entry.to_json()


_OPS: dict[str, Callable[[Ledger, dict[str, Any], int], Any]] = {
    "append": lambda lg, a, _: lg._append_decoded(a.get("record"), a.get("context"), batch=False)[0],
    "appendBatch": lambda lg, a, _: lg._append_decoded(a.get("records"), a.get("context"), batch=True),
    "get": lambda lg, a, _: lg.get(a.get("hash")),
    "getById": lambda lg, a, _: lg.get_by_id(a.get("id")),
    "getEntry": lambda lg, a, _: _entry(lg, a.get("hash")),
    "query": lambda lg, a, _: lg.query(a.get("filters") or {}).to_json(),
    "verify": lambda lg, a, _: lg.verify(a.get("checkpoint")),
    "verifyStorage": lambda lg, a, _: lg.verify_storage(a.get("checkpoint")),
    "length": lambda lg, a, _: len(lg),
    "latestHash": lambda lg, a, _: lg.latest_hash,
    "hasStorage": lambda lg, a, _: lg.has_storage(),
    "checkpoint": lambda lg, a, _: lg.checkpoint().to_json(),
    "export": lambda lg, a, _: lg.export(),
    "importEntries": lambda lg, a, _: {
        "imported": lg.import_entries(a.get("data"), a.get("context")),
        "length": len(lg),
    },
    "metrics": lambda lg, a, _: lg.metrics(),
    "modules.list": lambda lg, a, _: lg.modules.list(),
    "modules.metadata": lambda lg, a, _: lg.modules.metadata(),
    "modules.state": lambda lg, a, _: _state(lg, a.get("id")),
    "acl.grant": lambda lg, a, _: lg.acl.grant(a.get("grant"), _context(a)),
    "acl.check": lambda lg, a, _: lg.acl.check(a.get("subjectOid"), a.get("resourceOid"), a.get("action")),
    "acl.revoke": lambda lg, a, _: lg.acl.revoke(
        a.get("subjectOid"), a.get("resourceOid"), a.get("action"), _context(a)
    ),
    "acl.listGrants": lambda lg, a, _: lg.acl.list_grants(a.get("subjectOid")),
    "close": lambda lg, a, handle: _close(lg, handle),
}


def _context(args: dict[str, Any]) -> Any:
    return parse_context(args.get("context"))


# -- read-only inspection of a ledger file (the `nucleus` CLI) ------------------------------------------


@contextlib.contextmanager
def _read_only(path: Any) -> Iterator[SqliteStorage]:
    """The ledger file at ``path``, opened read-only whatever ledger it holds: nothing is written."""
    if type(path) is not str or not path.strip():
        raise ArgumentError(f"inspecting a ledger file needs its path, got {path!r}")
    storage = SqliteStorage(path, read_only=True)
    try:
        storage.open(None)
        yield storage
    except sqlite3.Error as err:
        raise StorageError(f"reading {path} failed: {err}", details={"path": path, "reason": "io"}) from None
    finally:
        storage.close()


def _retrying(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``read()``, started again (up to three times in all) when another process's checkpoint changed the file
    under it (``STORAGE_ERROR``, reason ``changed``)."""
    for attempt in range(3):
        try:
            return read()
        except StorageError as err:
            if err.details.get("reason") != "changed" or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _inspect(args: dict[str, Any]) -> dict[str, Any]:
    """What a ledger file holds, read without verifying or writing it; with what a read-only open cannot promise."""

    def read() -> dict[str, Any]:
        with _read_only(args.get("path")) as storage:
            return {**storage.summary(), "caveats": storage.caveats}

    return _retrying(read)


def _verify_file(args: dict[str, Any]) -> dict[str, Any]:
    """Verify up to ``limit`` entries of a ledger file after ``from`` (a tip ``{size, hash, timestamp}``),
    read-only: the checks of opening it, in the same order. ``done`` once the whole chain is verified."""
    start = args.get("from")
    if start is None:
        tip = EMPTY_TIP
    elif type(start) is dict and type(start.get("size")) is int and type(start.get("timestamp")) is int:
        tip = Tip(start["size"], start.get("hash"), start["timestamp"])
    else:
        raise ArgumentError(f"verifyFile 'from' must be {{size, hash, timestamp}}, got {start!r}")
    limit = args.get("limit")
    if limit is not None and (type(limit) is not int or limit < 1):
        raise ArgumentError(f"verifyFile 'limit' must be a positive integer, got {limit!r}")
    kept = None if args.get("checkpoint") is None else Checkpoint.parse(args["checkpoint"])

    def read() -> dict[str, Any]:
        with _read_only(args.get("path")) as storage:
            walk = ChainWalk(storage.ledger_id or "", storage.format_version, _acl_before(storage, tip.size))
            end, done = verify_stored(storage, walk, kept, start=tip, limit=limit)
            return {
                "size": end.size,
                "hash": end.hash,
                "timestamp": end.timestamp,
                "done": done,
                "caveats": storage.caveats,
            }

    return _retrying(read)


def _upgrade_file(args: dict[str, Any]) -> dict[str, Any]:
    """``upgrade_file(source, target, ledgerId)``: a format-1 file copied into a new format-2 file; its checkpoint."""
    for name in ("source", "target"):
        if type(args.get(name)) is not str or not args[name].strip():
            raise ArgumentError(f"upgradeFile needs a {name} path, got {args.get(name)!r}")
    return upgrade_file(args["source"], args["target"], check_ledger_id(args.get("ledgerId"))).to_json()


def _acl_before(storage: SqliteStorage, size: int) -> AclState:
    """The access-control state the first ``size`` entries built (verified by the earlier chunks of the caller),
    so that a chunk replays the rest from where the last one stopped."""
    state = AclState.from_legacy(*storage.legacy_acl())
    if size and storage.format_version >= 2:
        page, _ = storage.query(QuerySpec(stream=ACL_STREAM, end=size, limit=2**53 - 1))
        for entry in page:
            state.apply(entry.seq, entry.record, ledger_resource(storage.ledger_id or ""))
    return state


# -- checks without a ledger (the `nucleus` CLI asks before it creates a file) ---------------------------


def _validate_record(args: dict[str, Any]) -> None:
    """Refuse ``record`` (and ``ledgerId`` when given) as ``open`` and ``append`` would, with no ledger: shape,
    limits and canonical form. Rules that need a ledger's state (timestamps going back, modules, unique ids,
    access) are left to the append itself."""
    if args.get("ledgerId") is not None:
        check_ledger_id(args["ledgerId"])
    prepare_record(args.get("record"), default_timestamp=0, json_decoded=True)


def _validate_export(args: dict[str, Any]) -> dict[str, int]:
    """Verify an export whole, as ``importEntries`` into a new ledger ``ledgerId`` would, writing nothing."""
    ledger_id = check_ledger_id(args.get("ledgerId"))
    return {"entries": len(parse_export(args.get("data"), ledger_id, ChainWalk(ledger_id, FORMAT_VERSION)))}


def _dispatch(request: Any) -> Any:
    if type(request) is not dict or type(request.get("op")) is not str:
        raise ArgumentError("a bridge request is {op, ledger?, args?}")
    op = request["op"]
    args = request.get("args") or {}
    if type(args) is not dict:
        raise ArgumentError("bridge request args must be an object")
    if op == "version":
        return {"engine": __version__, "format": FORMAT_VERSION, "codes": list(ERROR_CODES)}
    if op == "open":
        return _open(args)
    if op == "inspect":
        return _inspect(args)
    if op == "verifyFile":
        return _verify_file(args)
    if op == "upgradeFile":
        return _upgrade_file(args)
    if op == "validateRecord":
        return _validate_record(args)
    if op == "validateExport":
        return _validate_export(args)
    fn = _OPS.get(op)
    if fn is None:
        raise ArgumentError(f"unknown bridge op {op!r}")
    handle = request.get("ledger")
    ledger = _ledgers.get(handle) if type(handle) is int else None
    if ledger is None:
        raise LedgerClosed(f"no open ledger with handle {handle!r} (it was closed)")
    return fn(ledger, args, handle)


def handle_request(text: str | bytes) -> str:
    """Run one bridge request (JSON text, or its UTF-8 bytes as the TypeScript host sends large ones); the
    JSON response text. Never raises."""
    try:
        request = _json.loads(text)
        result: dict[str, Any] = {"ok": True, "result": _dispatch(request)}
    except NucleusError as err:
        result = {"ok": False, "error": err.to_json()}
    except ValueError as err:
        result = {"ok": False, "error": ArgumentError(f"bridge request is not JSON: {err}").to_json()}
    except Exception as err:  # a bug: report it as plain data rather than a PyProxy'd exception
        result = {
            "ok": False,
            "error": {"code": "STORAGE_ERROR", "message": f"internal error: {err!r}", "details": {"internal": True}},
        }
    return json.dumps(result, ensure_ascii=False, allow_nan=False)
