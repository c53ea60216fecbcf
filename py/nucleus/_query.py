"""Query filters: parsed and checked once, then handed to the storage backend. Not public."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import ArgumentError, ValidationError
from ._records import check_timestamp

if TYPE_CHECKING:
    from ._modules import ModuleRegistry

RESERVED_PREFIX = "nucleus."  # streams the engine writes (access control); queries leave them out unless asked
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_FILTER_KEYS = {
    "stream": "stream",
    "id": "id",
    "timestampFrom": "timestamp_from",
    "timestamp_from": "timestamp_from",
    "timestampTo": "timestamp_to",
    "timestamp_to": "timestamp_to",
    "moduleFilters": "module_filters",
    "module_filters": "module_filters",
    "offset": "offset",
    "limit": "limit",
    "order": "order",
}


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """A checked query. ``conditions`` are ``payload.<field> == value`` tests, all of which must hold."""

    stream: str | None = None
    record_id: str | None = None
    timestamp_from: int | None = None
    timestamp_to: int | None = None
    conditions: tuple[tuple[str, Any], ...] = ()
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    descending: bool = False
    end: int | None = None
    """Only entries with seq below this (the verified tip); None: every entry."""
    trust_indexes: bool = False
    """The caller takes a storage's indexes at their word about which entries match (what it finds is still tested
    on the entries): opening from a checkpoint, which trusts what precedes the checkpoint until a full ``verify()``.
    Otherwise a storage whose indexes may have been edited checks one before using it (docs/FORMAT.md §5)."""

    @property
    def includes_reserved(self) -> bool:
        """Whether entries of reserved streams (``nucleus.*``, e.g. access control) may match: only when the
        query asks for such a stream by name."""
        return self.stream is not None and self.stream.startswith(RESERVED_PREFIX)

    def column_filters(self) -> list[tuple[str, str, Any]]:
        """``(index column, SQL operator, value)`` for each filter given on an index column: what an SQL storage
        turns into its WHERE clause, with its own placeholder."""
        given = (
            ("stream", "=", self.stream),
            ("record_id", "=", self.record_id),
            ("timestamp", ">=", self.timestamp_from),
            ("timestamp", "<=", self.timestamp_to),
        )
        return [(column, op, value) for column, op, value in given if value is not None]


@dataclass(frozen=True, slots=True)
class QueryResult:
    """One page of records, the number of all matches, and whether more follow this page."""

    records: list[dict[str, Any]]
    total: int
    has_more: bool

    def to_json(self) -> dict[str, Any]:
        """``{records, total, hasMore}`` as it crosses to JavaScript."""
        return {"records": self.records, "total": self.total, "hasMore": self.has_more}


def _optional_str(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if type(value) is not str or not value:
        raise ArgumentError(f"query filter {name!r} must be a non-empty string, got {value!r}")
    return value


def _count(value: Any, name: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if type(value) is not int or not low <= value <= high:
        raise ArgumentError(f"query filter {name!r} must be an integer in {low}…{high}, got {value!r}")
    return value


def _timestamp(value: Any, name: str) -> int | None:
    if value is None:
        return None
    try:
        return check_timestamp(value, name)
    except ValidationError as err:  # the same rule as a record's timestamp, with the argument's code
        raise ArgumentError(str(err)) from None


def parse_query(filters: dict[str, Any] | None, modules: ModuleRegistry) -> QuerySpec:
    """A ``QuerySpec`` from camelCase or snake_case filters; unknown keys are an error, not ignored."""
    if filters is None:
        filters = {}
    if type(filters) is not dict:
        raise ArgumentError(f"query filters must be an object, got {type(filters).__name__}")
    args: dict[str, Any] = {}
    for key, value in filters.items():
        if key not in _FILTER_KEYS:
            raise ArgumentError(f"unknown query filter {key!r}; known: {', '.join(sorted(set(_FILTER_KEYS)))}")
        args[_FILTER_KEYS[key]] = value
    order = args.get("order") or "asc"
    if order not in ("asc", "desc"):
        raise ArgumentError(f"query filter 'order' must be 'asc' or 'desc', got {order!r}")
    ts_from = _timestamp(args.get("timestamp_from"), "timestampFrom")
    ts_to = _timestamp(args.get("timestamp_to"), "timestampTo")
    return QuerySpec(
        stream=_optional_str(args.get("stream"), "stream"),
        record_id=_optional_str(args.get("id"), "id"),
        timestamp_from=ts_from,
        timestamp_to=ts_to,
        conditions=modules.query_conditions(args.get("module_filters")),
        offset=_count(args.get("offset"), "offset", 0, 0, 2**53 - 1),
        limit=_count(args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        descending=order == "desc",
    )
