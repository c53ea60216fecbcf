"""Modules: plug-ins that check or enrich records before they are appended, observe appends, and add
query filters. Not public (``nucleus.Module`` and ``nucleus.ModuleRegistry`` are exported).

Lifecycle: Registered (added to a ledger) → Initialized (``init``) → Started (``start``, when the
ledger is open) → Stopped (``stop``, at close). Hooks:

- ``before_append(record, context) -> dict | None``: raise ``ModuleRejected`` to refuse the record
  (the batch it is in is refused whole), return a new record dict to enrich it, or None to keep it. The
  record is the module's own deep copy: changing it in place does nothing. Any other exception refuses too.
- ``after_append(entry)``: called after the entry is stored; it cannot undo the append.
- ``query_conditions(filter) -> [(payload_field, value)]``: turns this module's part of
  ``moduleFilters`` into equality tests on payload fields. Conditions of all modules are combined (AND).
  The fields a module lists in ``filter_fields`` get an index in the ledger's storage, so that a query
  testing them does not read every entry (docs/ENGINE.md, Modules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ._canonical import MAX_DEPTH
from ._entry import Entry
from ._errors import ArgumentError, ConfigError, ModuleRejected, NucleusError
from ._query import FIELD_NAME

if TYPE_CHECKING:
    from ._context import RequestContext

MODULE_ID = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _detached(value: Any, depth: int) -> Any:
    """A copy of a record whose containers are all new (scalars are immutable, so shared).

    A Python walk rather than a JSON round trip: it cannot fail on what a previous module returned (a
    record that is not JSON data is refused afterwards, with its path, by the ledger's validation), and it
    stops past the nesting limit instead of recursing into a value nested thousands deep, which would
    overflow the stack under Pyodide. On small records it is also the faster of the two.
    """
    t = type(value)
    if depth > MAX_DEPTH:  # refused by validation anyway; sharing the rest cannot change that
        return value
    if t is dict:
        return {k: v if type(v) in _SCALARS else _detached(v, depth + 1) for k, v in value.items()}
    if t is list or t is tuple:
        return [v if type(v) in _SCALARS else _detached(v, depth + 1) for v in value]
    return value


def reads_only(hook: Any) -> Any:
    """Mark a ``before_append`` whose code never changes its argument, so the registry may skip the copy.

    For the engine's own hooks, which run on every record of a batch: a copy per module and record added
    a fifth to a 10,000-record batch with two modules. An override in a subclass is a new function without
    the mark, so it gets its copy again.
    """
    hook._nucleus_reads_only = True
    return hook


class ModuleState(StrEnum):
    """Where a module is in its lifecycle."""

    REGISTERED = "Registered"
    INITIALIZED = "Initialized"
    STARTED = "Started"
    STOPPED = "Stopped"


class Module:
    """Base class of modules. Subclass it and override the hooks you need."""

    id: str = ""
    version: str = "1.0.0"
    filter_fields: tuple[str, ...] = ()
    """The payload fields ``query_conditions`` may test: the storage keeps an index on each (a field left out is
    still filtered, by reading every entry)."""

    def __init__(self, config: dict[str, Any] | None = None):
        if config is not None and type(config) is not dict:
            raise ConfigError(f"module {self.id!r}: config must be an object, got {type(config).__name__}")
        self.config: dict[str, Any] = dict(config or {})

    def init(self, ledger_id: str) -> None:
        """Called once when the ledger opens, before ``start``."""

    def start(self) -> None:
        """Called when the ledger is ready."""

    def stop(self) -> None:
        """Called when the ledger closes."""

    @reads_only
    def before_append(self, record: dict[str, Any], context: RequestContext | None) -> dict[str, Any] | None:
        """Refuse (raise ``ModuleRejected``), enrich (return a new record) or accept (return None)."""
        return None

    def after_append(self, entry: Entry) -> None:
        """Observe a stored entry."""

    def query_conditions(self, filter: dict[str, Any]) -> list[tuple[str, Any]]:
        """Equality tests on payload fields for this module's ``moduleFilters`` entry."""
        raise ArgumentError(f"module {self.id!r} does not support query filters")


class ModuleRegistry:
    """The modules of one ledger, in registration order, with their lifecycle states."""

    def __init__(self, modules: Iterable[Module] = ()):
        self._modules: dict[str, Module] = {}
        self._states: dict[str, ModuleState] = {}
        for module in modules:
            self.register(module)

    def register(self, module: Module) -> None:
        """Add a module (state Registered). Ids must be unique."""
        if not isinstance(module, Module):
            raise ConfigError(f"a module must be a nucleus.Module, got {type(module).__name__}")
        if type(module.id) is not str or not MODULE_ID.fullmatch(module.id):
            raise ConfigError(f"module id must match {MODULE_ID.pattern}, got {module.id!r}")
        if module.id in self._modules:
            raise ConfigError(f"module {module.id!r} is registered twice")
        self._modules[module.id] = module
        self._states[module.id] = ModuleState.REGISTERED

    def start_all(self, ledger_id: str) -> None:
        """Initialize and start every module."""
        for module in self._modules.values():
            module.init(ledger_id)
            self._states[module.id] = ModuleState.INITIALIZED
        for module in self._modules.values():
            module.start()
            self._states[module.id] = ModuleState.STARTED

    def stop_all(self) -> None:
        """Stop every started module (in reverse order)."""
        for module in reversed(list(self._modules.values())):
            if self._states[module.id] is ModuleState.STARTED:
                self._states[module.id] = ModuleState.STOPPED
                module.stop()

    def list(self) -> list[str]:
        """Module ids in registration order."""
        return list(self._modules)

    def metadata(self) -> list[dict[str, str]]:
        """``[{id, version, state}]``."""
        return [{"id": m.id, "version": m.version, "state": self._states[m.id].value} for m in self._modules.values()]

    def get_state(self, module_id: str) -> ModuleState | None:
        """A module's state, or None if no such module."""
        return self._states.get(module_id) if type(module_id) is str else None

    def before_append(self, record: dict[str, Any], context: RequestContext | None) -> dict[str, Any] | None:
        """Run every ``before_append``; the enriched record, or None if no module changed it.

        Each module gets its own deep copy (unless its hook is marked ``reads_only``), so what it does to its
        argument reaches neither storage, the caller's objects, nor the next module: only a returned record
        enriches. Any exception is
        ``MODULE_REJECTED`` naming the module; a nucleus error raised inside keeps its code in ``cause``.
        """
        changed = None
        for module in self._modules.values():
            current = record if changed is None else changed
            # The bound hook, not the class's: an instance may carry a hook of its own.
            if not getattr(module.before_append, "_nucleus_reads_only", False):
                current = _detached(current, 0)
            try:
                result = module.before_append(current, context)
            except ModuleRejected as err:
                raise ModuleRejected(
                    f"module {module.id!r} rejected record {record.get('id')!r}: {err.message}",
                    details={"module": module.id, "reason": err.message, **err.details},
                ) from None
            except NucleusError as err:
                raise ModuleRejected(
                    f"module {module.id!r} failed on record {record.get('id')!r}: {err.code}: {err.message}",
                    details={
                        "module": module.id,
                        "reason": err.message,
                        "cause": {"code": err.code, "message": err.message},
                    },
                ) from err
            except Exception as err:  # a module's bug refuses the record rather than corrupting state
                raise ModuleRejected(
                    f"module {module.id!r} failed on record {record.get('id')!r}: {err!r}",
                    details={"module": module.id, "reason": repr(err)},
                ) from err
            if result is not None:
                if type(result) is not dict:  # named here: past the loop, nobody would know which module it was
                    raise ModuleRejected(
                        f"module {module.id!r} returned a {type(result).__name__} for record {record.get('id')!r}; "
                        "before_append returns a new record (a dict) or None",
                        details={"module": module.id, "reason": f"returned a {type(result).__name__}"},
                    )
                changed = result
        return changed

    def after_append(self, entries: Iterable[Entry]) -> None:
        """Run every ``after_append`` for each stored entry; a failing observer cannot undo an append."""
        if not self._modules:
            return  # no walk over a batch's entries for nobody
        for entry in entries:
            for module in self._modules.values():
                try:
                    module.after_append(entry)
                except Exception:
                    continue

    def filter_fields(self) -> list[str]:
        """The payload fields any module filters on (``Module.filter_fields``), sorted: the ones storage indexes."""
        fields: set[str] = set()
        for module in self._modules.values():
            declared = module.filter_fields
            if type(declared) not in (tuple, list) or not all(
                type(f) is str and FIELD_NAME.fullmatch(f) for f in declared
            ):
                raise ConfigError(f"module {module.id!r}: filter_fields must be a list of payload field names")
            fields.update(declared)
        return sorted(fields)

    def query_conditions(self, module_filters: Any) -> tuple[tuple[str, Any], ...]:
        """Every module's conditions for ``moduleFilters`` (``{module id: {field: value}}``), combined."""
        if module_filters is None:
            return ()
        if type(module_filters) is not dict:
            raise ArgumentError("moduleFilters must be an object keyed by module id")
        conditions: list[tuple[str, Any]] = []
        for module_id, spec in module_filters.items():
            module = self._modules.get(module_id)
            if module is None:
                raise ArgumentError(
                    f"moduleFilters names module {module_id!r}, which this ledger does not have "
                    f"(modules: {', '.join(self._modules) or 'none'})"
                )
            if type(spec) is not dict:
                raise ArgumentError(f"moduleFilters[{module_id!r}] must be an object of field: value")
            for field, value in module.query_conditions(spec):
                if not FIELD_NAME.fullmatch(field) or type(value) not in (str, int, bool):
                    raise ArgumentError(f"moduleFilters[{module_id!r}]: bad condition {field!r} = {value!r}")
                conditions.append((field, value))
        return tuple(conditions)
