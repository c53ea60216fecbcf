"""Request contexts: who asks, and when. Not public.

A context is ``{requesterOid, timestamp?, metadata?}``. ``requesterOid`` must look like
``oid:onoal:{type}:{id}``; a ``timestamp`` (milliseconds) more than five minutes in the future is refused.
Contexts are optional unless access control is on.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from ._canonical import canonicalize
from ._errors import ContextError, ValidationError

OID_PATTERN = re.compile(r"oid:onoal:[a-z][a-z0-9_-]{0,63}:[A-Za-z0-9][A-Za-z0-9._~:@-]{0,190}")
MAX_FUTURE_SKEW_MS = 5 * 60 * 1000


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who performs an operation. Identities are asserted by the caller, not authenticated."""

    requester_oid: str
    timestamp: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def is_valid_oid(value: Any) -> bool:
    """Whether ``value`` is an ``oid:onoal:{type}:{id}`` string."""
    return type(value) is str and OID_PATTERN.fullmatch(value) is not None


def check_oid(value: Any, what: str) -> str:
    """``value`` if it is an OID, else ``ContextError`` naming ``what``."""
    if not is_valid_oid(value):
        raise ContextError(f"{what} must look like 'oid:onoal:<type>:<id>', got {value!r}", details={"field": what})
    return value


def parse_context(value: Any, *, now_ms: int | None = None) -> RequestContext | None:
    """A ``RequestContext`` from a context object (camelCase or snake_case keys), or None for None."""
    if value is None or isinstance(value, RequestContext):
        ctx = value
    elif type(value) is dict:
        unknown = set(value) - {"requesterOid", "requester_oid", "timestamp", "metadata"}
        if unknown:
            raise ContextError(f"context has unknown field(s) {sorted(unknown)}")
        oid = value.get("requesterOid", value.get("requester_oid"))
        ctx = RequestContext(oid, value.get("timestamp"), value.get("metadata") or {})
    else:
        raise ContextError(f"a context must be an object, got {type(value).__name__}")
    if ctx is None:
        return None
    check_oid(ctx.requester_oid, "context.requesterOid")
    if ctx.timestamp is not None:
        if type(ctx.timestamp) is not int:
            raise ContextError("context.timestamp must be an integer of milliseconds")
        now = int(time.time() * 1000) if now_ms is None else now_ms
        if ctx.timestamp > now + MAX_FUTURE_SKEW_MS:
            raise ContextError(f"context.timestamp {ctx.timestamp} is more than 5 minutes in the future (now {now})")
    if type(ctx.metadata) is not dict:
        raise ContextError("context.metadata must be an object")
    try:
        canonicalize(ctx.metadata, what="context.metadata")
    except ValidationError as err:
        raise ContextError(err.message) from None
    return ctx
