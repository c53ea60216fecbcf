"""The JSON bridge the TypeScript package calls: ``handle_request(text) -> text``. docs/BRIDGE.md is its
specification. Plain data only crosses: no Python object or exception ever reaches JavaScript. The bridge parses,
dispatches and serializes; what each operation does is the engine's (``nucleus._ledger.OPERATIONS`` for a ledger's).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import __version__, _json
from ._checkpoint import Checkpoint
from ._errors import ERROR_CODES, ArgumentError, ConfigError, LedgerClosed, NucleusError
from ._export import parse_export
from ._hashing import FORMAT_VERSION
from ._ledger import OPERATIONS, Ledger
from ._options import check_ledger_id
from ._records import prepare_record
from ._upgrade import upgrade_file
from ._verify import EMPTY_TIP, ChainWalk, Tip, verify_file
from .storage import MemoryStorage, PostgresStorage, SqliteStorage, Storage
from .storage.postgres import DEFAULT_TIMEOUT
from .storage.sqlite import inspect_file

_ledgers: dict[int, Ledger] = {}
_next_handle = 1
# Built once: json.dumps with keyword arguments builds an encoder per call (2 us of a single append's ~180 in Pyodide).
_encode_response = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


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
        unknown = sorted(set(spec) - {"type", "dsn", "schema", "timeout"})
        if unknown:
            raise ConfigError(f"unknown postgres storage key(s) {unknown}")
        return PostgresStorage(
            spec.get("dsn"), schema=spec.get("schema", "nucleus"), timeout=spec.get("timeout", DEFAULT_TIMEOUT)
        )
    raise ConfigError(f"unknown storage type {kind!r}")


# createLedger's ``verify`` values, as Ledger.open spells them (anything else reaches it as given, to be refused).
_VERIFY_MODES = {"full": "full", "fromCheckpoint": "from_checkpoint"}


def _verify_mode(value: Any) -> Any:
    return _VERIFY_MODES.get(value, value) if type(value) is str else value


def _open(args: dict[str, Any]) -> dict[str, Any]:
    global _next_handle
    known = {"id", "storage", "modules", "acl", "owner", "options", "checkpoint", "verify"}
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
        verify=_verify_mode(args.get("verify", "full")),
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


def _path(value: Any, message: str) -> str:
    if type(value) is not str or not value.strip():
        raise ArgumentError(f"{message}, got {value!r}")
    return value


def _verify_file(args: dict[str, Any]) -> dict[str, Any]:
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
    path = _path(args.get("path"), "inspecting a ledger file needs its path")
    end, done, caveats, checkpoint = verify_file(path, tip, limit, kept)
    result = {"size": end.size, "hash": end.hash, "timestamp": end.timestamp, "done": done, "caveats": caveats}
    if checkpoint is not None:
        result["checkpoint"] = checkpoint.to_json()
    return result


def _validate_record(args: dict[str, Any]) -> None:
    # Only the record's own faults: rules that need a ledger's state (timestamps going back, modules, unique ids,
    # access) are left to the append itself.
    if args.get("ledgerId") is not None:
        check_ledger_id(args["ledgerId"])
    prepare_record(args.get("record"), default_timestamp=0, json_decoded=True)


def _validate_export(args: dict[str, Any]) -> dict[str, int]:
    ledger_id = check_ledger_id(args.get("ledgerId"))
    return {"entries": len(parse_export(args.get("data"), ledger_id, ChainWalk(ledger_id, FORMAT_VERSION)))}


# The operations that need no open ledger (no ``ledger`` handle): starting, opening, and the command line's work on
# files. A ledger's own operations are ``OPERATIONS``.
_UNBOUND: dict[str, Callable[[dict[str, Any]], Any]] = {
    "version": lambda a: {"engine": __version__, "format": FORMAT_VERSION, "codes": list(ERROR_CODES)},
    "open": _open,
    "inspect": lambda a: inspect_file(_path(a.get("path"), "inspecting a ledger file needs its path")),
    "verifyFile": _verify_file,
    "upgradeFile": lambda a: upgrade_file(
        _path(a.get("source"), "upgradeFile needs a source path"),
        _path(a.get("target"), "upgradeFile needs a target path"),
        check_ledger_id(a.get("ledgerId")),
    ).to_json(),
    "validateRecord": _validate_record,
    "validateExport": _validate_export,
}


def _dispatch(request: Any) -> Any:
    if type(request) is not dict or type(request.get("op")) is not str:
        raise ArgumentError("a bridge request is {op, ledger?, args?}")
    op = request["op"]
    args = request.get("args") or {}
    if type(args) is not dict:
        raise ArgumentError("bridge request args must be an object")
    unbound = _UNBOUND.get(op)
    if unbound is not None:
        return unbound(args)
    operation = OPERATIONS.get(op)
    if operation is None:
        raise ArgumentError(f"unknown bridge op {op!r}")
    handle = request.get("ledger")
    ledger = _ledgers.get(handle) if type(handle) is int else None
    if ledger is None:
        raise LedgerClosed(f"no open ledger with handle {handle!r} (it was closed)")
    if op == "close":
        del _ledgers[handle]
    return operation(ledger, args)


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
    return _encode_response(result)
