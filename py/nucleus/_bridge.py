"""The JSON bridge the TypeScript package calls: ``handle_request(text) -> text``. docs/BRIDGE.md is its
specification. Plain data only crosses: no Python object or exception ever reaches JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import __version__
from ._context import parse_context
from ._errors import ERROR_CODES, ArgumentError, ConfigError, LedgerClosed, NucleusError, StorageUnsupported
from ._hashing import FORMAT_VERSION
from ._ledger import Ledger
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
        return SqliteStorage(spec.get("path", ""), durability=spec.get("durability", "full"), lock=spec.get("lock"))
    if kind == "postgres":
        raise StorageUnsupported("postgres storage is not supported yet; use sqliteStorage() or inMemoryStorage()")
    raise ConfigError(f"unknown storage type {kind!r}")


def _open(args: dict[str, Any]) -> dict[str, Any]:
    global _next_handle
    known = {"id", "storage", "modules", "acl", "owner", "options", "checkpoint"}
    if set(args) - known:
        raise ConfigError(f"unknown ledger config key(s) {sorted(set(args) - known)}")
    ledger = Ledger.open(
        args.get("id"), _storage(args.get("storage")), modules=args.get("modules") or [],
        acl=args.get("acl") or "none", owner=args.get("owner"), options=args.get("options"),
        checkpoint=args.get("checkpoint"),
    )
    handle = _next_handle
    _next_handle += 1
    _ledgers[handle] = ledger
    return {"handle": handle, "length": len(ledger), "latestHash": ledger.latest_hash}


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
    "append": lambda lg, a, _: lg.append(a.get("record"), a.get("context")),
    "appendBatch": lambda lg, a, _: lg.append_batch(a.get("records"), a.get("context")),
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
    "importEntries": lambda lg, a, _: {"imported": lg.import_entries(a.get("data"), a.get("context")),
                                       "length": len(lg)},
    "metrics": lambda lg, a, _: lg.metrics(),
    "modules.list": lambda lg, a, _: lg.modules.list(),
    "modules.metadata": lambda lg, a, _: lg.modules.metadata(),
    "modules.state": lambda lg, a, _: _state(lg, a.get("id")),
    "acl.grant": lambda lg, a, _: lg.acl.grant(a.get("grant"), _context(a)),
    "acl.check": lambda lg, a, _: lg.acl.check(a.get("subjectOid"), a.get("resourceOid"), a.get("action")),
    "acl.revoke": lambda lg, a, _: lg.acl.revoke(a.get("subjectOid"), a.get("resourceOid"), a.get("action"),
                                                 _context(a)),
    "acl.listGrants": lambda lg, a, _: lg.acl.list_grants(a.get("subjectOid")),
    "close": lambda lg, a, handle: _close(lg, handle),
}


def _context(args: dict[str, Any]) -> Any:
    return parse_context(args.get("context"))


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
    fn = _OPS.get(op)
    if fn is None:
        raise ArgumentError(f"unknown bridge op {op!r}")
    handle = request.get("ledger")
    ledger = _ledgers.get(handle) if type(handle) is int else None
    if ledger is None:
        raise LedgerClosed(f"no open ledger with handle {handle!r} (it was closed)")
    return fn(ledger, args, handle)


def handle_request(text: str) -> str:
    """Run one bridge request (JSON text); the JSON response text. Never raises."""
    try:
        request = json.loads(text)
        result: dict[str, Any] = {"ok": True, "result": _dispatch(request)}
    except NucleusError as err:
        result = {"ok": False, "error": err.to_json()}
    except ValueError as err:
        result = {"ok": False, "error": ArgumentError(f"bridge request is not JSON: {err}").to_json()}
    except Exception as err:  # a bug: report it as plain data rather than a PyProxy'd exception
        result = {"ok": False, "error": {"code": "STORAGE_ERROR", "message": f"internal error: {err!r}",
                                         "details": {"internal": True}}}
    return json.dumps(result, ensure_ascii=False, allow_nan=False)
