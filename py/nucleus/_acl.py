"""Access control: grants of actions on resources, kept with the ledger's storage. Not public.

When on (``acl="inMemory"``, the name the original API used; grants are persisted whatever the storage),
every append needs a context whose requester is the ledger's owner or holds a live ``write`` (or
``admin``) grant on ``oid:onoal:ledger:<ledger id>``. Only the owner and holders of ``admin`` may grant or
revoke. Grant times are in seconds; a grant whose ``expiresAt`` has passed is ignored everywhere.
Identities are asserted by the caller: this guards an application against its own mistakes, it does not
authenticate anyone.
"""

from __future__ import annotations

import time
from typing import Any

from ._canonical import canonicalize
from ._context import RequestContext, check_oid, parse_context
from ._errors import AccessDenied, ArgumentError, ConfigError, ContextError, ValidationError
from .storage._protocol import Storage

ACL_MODES = ("none", "inMemory")
ADMIN = "admin"


def ledger_resource(ledger_id: str) -> str:
    """The resource OID that appends are checked against."""
    return f"oid:onoal:ledger:{ledger_id}"


def _action(value: Any) -> str:
    if type(value) is not str or not value or len(value) > 64:
        raise ArgumentError(f"action must be a non-empty string of at most 64 characters, got {value!r}")
    return value


def _seconds(value: Any, name: str, required: bool) -> int | None:
    if value is None and not required:
        return None
    if type(value) is not int or value < 0:
        raise ArgumentError(f"grant.{name} must be a non-negative integer of seconds, got {value!r}")
    return value


class AccessControl:
    """Grants, checks and revocations for one ledger."""

    def __init__(self, storage: Storage, ledger_id: str, owner: str | None, enabled: bool):
        self._storage = storage
        self.enabled = enabled
        self.owner = owner
        self.resource = ledger_resource(ledger_id)

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise ConfigError("access control is off for this ledger; open it with acl='inMemory' and an owner")

    def _live(self, grant: dict[str, Any], now: float) -> bool:
        expires = grant.get("expiresAt")
        return expires is None or expires > now

    def check(self, subject: str, resource: str, action: str, *, now: float | None = None) -> bool:
        """Whether ``subject`` may do ``action`` on ``resource`` now (the owner may do anything)."""
        self._require_enabled()
        if subject == self.owner:
            return True
        now = time.time() if now is None else now
        for grant in self._storage.grants_for(subject):
            if grant["resourceOid"] == resource and grant["action"] in (action, ADMIN) and self._live(grant, now):
                return True
        return False

    def require_write(self, context: RequestContext | None) -> None:
        """Refuse an append unless access control is off or the requester may write."""
        if not self.enabled:
            return
        if context is None:
            raise ContextError("access control is on: appends need a context with requesterOid")
        if not self.check(context.requester_oid, self.resource, "write"):
            raise AccessDenied(
                f"{context.requester_oid} has no 'write' grant on {self.resource}",
                details={"subjectOid": context.requester_oid, "resourceOid": self.resource, "action": "write"},
            )

    def _require_admin(self, actor: str, doing: str) -> None:
        if actor != self.owner and not self.check(actor, self.resource, ADMIN):
            raise AccessDenied(
                f"{actor} may not {doing}: only the ledger owner or holders of 'admin' on {self.resource} may",
                details={"subjectOid": actor, "action": ADMIN},
            )

    def grant(self, grant: Any, context: RequestContext | dict[str, Any] | None = None) -> dict[str, Any]:
        """Store a grant made by ``context.requesterOid`` (or ``grant.grantedBy``); returns it as stored."""
        self._require_enabled()
        context = parse_context(context)
        if type(grant) is not dict:
            raise ArgumentError(f"a grant must be an object, got {type(grant).__name__}")
        allowed = {"subjectOid", "resourceOid", "action", "grantedBy", "grantedAt", "expiresAt", "metadata"}
        if set(grant) - allowed:
            raise ArgumentError(f"grant has unknown field(s) {sorted(set(grant) - allowed)}")
        actor = context.requester_oid if context else grant.get("grantedBy")
        check_oid(actor, "grant.grantedBy")
        if grant.get("grantedBy") not in (None, actor):
            raise ContextError(f"grant.grantedBy {grant['grantedBy']!r} is not the requester {actor!r}")
        stored = {
            "subjectOid": check_oid(grant.get("subjectOid"), "grant.subjectOid"),
            "resourceOid": check_oid(grant.get("resourceOid"), "grant.resourceOid"),
            "action": _action(grant.get("action")),
            "grantedBy": actor,
            "grantedAt": _seconds(grant.get("grantedAt", int(time.time())), "grantedAt", True),
        }
        expires = _seconds(grant.get("expiresAt"), "expiresAt", False)
        if expires is not None:
            stored["expiresAt"] = expires
        if grant.get("metadata") is not None:
            try:
                canonicalize(grant["metadata"], what="grant.metadata")
            except ValidationError as err:
                raise ArgumentError(err.message) from None
            stored["metadata"] = grant["metadata"]
        self._require_admin(actor, "grant")
        self._storage.put_grant(stored)
        return stored

    def revoke(self, subject: Any, resource: Any, action: Any, context: RequestContext | dict[str, Any] | None) -> bool:
        """Remove a grant; only the owner or an admin may. Whether a grant was removed."""
        self._require_enabled()
        context = parse_context(context)
        if context is None:
            raise ContextError("revoking a grant needs a context with requesterOid")
        self._require_admin(context.requester_oid, "revoke")
        return self._storage.remove_grant(
            check_oid(subject, "subjectOid"), check_oid(resource, "resourceOid"), _action(action)
        )

    def list_grants(self, subject: Any) -> list[dict[str, Any]]:
        """The live grants ``subject`` holds."""
        self._require_enabled()
        now = time.time()
        return [g for g in self._storage.grants_for(check_oid(subject, "subjectOid")) if self._live(g, now)]
