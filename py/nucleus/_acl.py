"""Access control, kept in the chain: the owner and every grant and revocation are entries. Not public.

In format 2 (docs/FORMAT.md §4) the ledger's owner and its grants are records in the reserved stream
``nucleus.acl``: ``owner`` (at most one, naming the owner), ``grant`` (one grant, upserted by subject,
resource and action) and ``revoke``. The state is rebuilt by replaying those entries in seq order while the
chain is verified (``AclState.apply``), so editing, deleting or forging any of them breaks the chain, and a
grant by someone who was neither owner nor admin at that point is refused as ``kind: "acl"``.

When on (``acl="inMemory"``, the original API's name; the state is persisted with the chain whatever the
storage), every append needs a context whose requester is the owner or holds a live ``write`` (or ``admin``)
grant on ``oid:onoal:ledger:<ledger id>``. Only the owner and holders of ``admin`` may grant or revoke. Grant
times are in seconds; a grant whose ``expiresAt`` has passed is ignored everywhere. Identities are asserted by
the caller: this guards an application against its own mistakes, it does not authenticate anyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ._canonical import canonicalize
from ._context import RequestContext, check_oid, is_valid_oid, parse_context
from ._errors import AccessDenied, ArgumentError, ChainIntegrityError, ConfigError, ContextError, ValidationError

ACL_MODES = ("none", "inMemory")
ADMIN = "admin"
ACL_STREAM = "nucleus.acl"
_GRANT_KEYS = frozenset({"subjectOid", "resourceOid", "action", "grantedBy", "grantedAt", "expiresAt", "metadata"})
_REVOKE_KEYS = frozenset({"subjectOid", "resourceOid", "action", "revokedBy"})

GrantKey = tuple[str, str, str]


def ledger_resource(ledger_id: str) -> str:
    """The resource OID that appends are checked against."""
    return f"oid:onoal:ledger:{ledger_id}"


def _is_action(value: Any) -> bool:
    return type(value) is str and 0 < len(value) <= 64


def _action(value: Any) -> str:
    if not _is_action(value):
        raise ArgumentError(f"action must be a non-empty string of at most 64 characters, got {value!r}")
    return value


def _seconds(value: Any, name: str, required: bool) -> int | None:
    if value is None and not required:
        return None
    if type(value) is not int or value < 0 or value > 2**53 - 1:
        raise ArgumentError(f"grant.{name} must be a non-negative integer of seconds, got {value!r}")
    return value


def _live(grant: dict[str, Any], now_s: float) -> bool:
    expires = grant.get("expiresAt")
    return expires is None or expires > now_s


class AclState:
    """The owner and grants of a ledger, as its ``nucleus.acl`` entries left them."""

    def __init__(self, owner: str | None = None, grants: dict[GrantKey, dict[str, Any]] | None = None):
        self.owner = owner
        self.grants: dict[GrantKey, dict[str, Any]] = dict(grants or {})

    @classmethod
    def from_legacy(cls, owner: str | None, grants: list[dict[str, Any]]) -> AclState:
        """The state a format-1 store kept beside its chain (``Storage.legacy_acl``)."""
        return cls(owner, {(g["subjectOid"], g["resourceOid"], g["action"]): g for g in grants})

    def copy(self) -> AclState:
        return AclState(self.owner, self.grants)

    def adopt(self, other: AclState) -> None:
        """Take ``other``'s owner and grants in place (``AccessControl`` holds this object)."""
        self.owner, self.grants = other.owner, other.grants

    def allows(self, subject: str, resource: str, action: str, now_s: float) -> bool:
        """Whether ``subject`` may do ``action`` on ``resource`` at ``now_s`` (the owner may do anything)."""
        if self.owner is not None and subject == self.owner:
            return True
        for wanted in (action, ADMIN):
            grant = self.grants.get((subject, resource, wanted))
            if grant is not None and _live(grant, now_s):
                return True
        return False

    def may_administer(self, actor: str, resource: str, now_s: float) -> bool:
        return actor == self.owner or self.allows(actor, resource, ADMIN, now_s)

    def apply(self, seq: int, record: dict[str, Any], resource: str) -> None:
        """Replay one ``nucleus.acl`` record (entry ``seq``); ``kind: "acl"`` if the chain could not hold it."""
        kind, payload, at = record["id"], record["payload"], record["timestamp"] / 1000

        def bad(why: str) -> ChainIntegrityError:
            return ChainIntegrityError(f"entry {seq}: access-control entry {kind!r} {why}", seq=seq, kind="acl")

        if type(payload) is not dict:
            raise bad("has no object payload")
        if kind == "owner":
            if set(payload) != {"owner"} or not is_valid_oid(payload["owner"]):
                raise bad("must hold exactly {owner: <oid>}")
            if self.owner is not None:
                raise bad(f"names a second owner (the ledger is owned by {self.owner})")
            self.owner = payload["owner"]
        elif kind == "grant":
            grant = payload.get("grant")
            if set(payload) != {"grant"} or type(grant) is not dict or not grant.keys() <= _GRANT_KEYS:
                raise bad("must hold exactly {grant: {...}}")
            try:
                checked = _checked_grant(grant)
            except (ArgumentError, ContextError) as err:
                raise bad(f"is malformed: {err.message}") from None
            if checked != grant:
                raise bad("is not in the form the engine writes")
            if not self.may_administer(grant["grantedBy"], resource, at):
                raise bad(f"was made by {grant['grantedBy']}, who was neither owner nor admin then")
            self.grants[(grant["subjectOid"], grant["resourceOid"], grant["action"])] = grant
        elif kind == "revoke":
            if (
                set(payload) != _REVOKE_KEYS
                or not all(is_valid_oid(payload[k]) for k in ("subjectOid", "resourceOid", "revokedBy"))
                or not _is_action(payload["action"])  # checked before it is looked up: a list is no dict key
            ):
                raise bad("must hold exactly {subjectOid, resourceOid, action, revokedBy}")
            if not self.may_administer(payload["revokedBy"], resource, at):
                raise bad(f"was made by {payload['revokedBy']}, who was neither owner nor admin then")
            if self.grants.pop((payload["subjectOid"], payload["resourceOid"], payload["action"]), None) is None:
                raise bad("revokes a grant that does not exist")
        else:
            raise bad("is not one of owner, grant, revoke")


def _checked_grant(grant: dict[str, Any]) -> dict[str, Any]:
    """A grant as stored: every member checked, optional ones only when present."""
    stored: dict[str, Any] = {
        "subjectOid": check_oid(grant.get("subjectOid"), "grant.subjectOid"),
        "resourceOid": check_oid(grant.get("resourceOid"), "grant.resourceOid"),
        "action": _action(grant.get("action")),
        "grantedBy": check_oid(grant.get("grantedBy"), "grant.grantedBy"),
        "grantedAt": _seconds(grant.get("grantedAt"), "grantedAt", True),
    }
    expires = _seconds(grant.get("expiresAt"), "expiresAt", False)
    if expires is not None:
        stored["expiresAt"] = expires
    if grant.get("metadata") is not None:
        if type(grant["metadata"]) is not dict:
            raise ArgumentError("grant.metadata must be an object")
        try:
            canonicalize(grant["metadata"], what="grant.metadata")
        except ValidationError as err:
            raise ArgumentError(err.message) from None
        stored["metadata"] = grant["metadata"]
    return stored


def owner_record(owner: str, timestamp: int) -> dict[str, Any]:
    """The record that makes ``owner`` the ledger's owner."""
    return {"id": "owner", "stream": ACL_STREAM, "timestamp": timestamp, "payload": {"owner": owner}}


# Appends an access-control record to the chain (through the ledger's one write path), unless the second argument,
# asked again when the entry is chained (after taking in other writers' entries, on shared storage), says it is no
# longer wanted; whether it was written.
WriteRecord = Callable[[dict[str, Any], Callable[[], bool]], bool]
# The timestamp (ms) an access-control entry carries: the last entry's, so that these entries never move the
# floor under the application's own timestamps (the real time of a grant is its grantedAt).
NextTimestamp = Callable[[], int]


class AccessControl:
    """Grants, checks and revocations for one ledger, written to and read from its chain."""

    def __init__(
        self,
        ledger_id: str,
        state: AclState,
        enabled: bool,
        write: WriteRecord,
        stamp: NextTimestamp,
        writable: Callable[[], None] = lambda: None,
    ):
        self.enabled = enabled
        self.resource = ledger_resource(ledger_id)
        self._state = state
        self._write = write
        self._stamp = stamp
        self._writable = writable  # raises when the ledger refuses every write (a read-only open)

    @property
    def owner(self) -> str | None:
        """The ledger's owner, from its ``owner`` entry."""
        return self._state.owner

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise ConfigError("access control is off for this ledger; open it with acl='inMemory' and an owner")

    def check(self, subject: str, resource: str, action: str, *, now: float | None = None) -> bool:
        """Whether ``subject`` may do ``action`` on ``resource`` now (the owner may do anything)."""
        self._require_enabled()
        return self._state.allows(subject, resource, action, time.time() if now is None else now)

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

    def _require_admin(self, actor: str, doing: str, at_ms: int) -> None:
        # Checked now and at the time the entry will carry, so that replaying the chain reaches the same verdict.
        now = time.time()
        if not (
            self._state.may_administer(actor, self.resource, now)
            and self._state.may_administer(actor, self.resource, at_ms / 1000)
        ):
            raise AccessDenied(
                f"{actor} may not {doing}: only the ledger owner or holders of 'admin' on {self.resource} may",
                details={"subjectOid": actor, "action": ADMIN},
            )

    def grant(self, grant: Any, context: RequestContext | dict[str, Any] | None = None) -> dict[str, Any]:
        """Append a grant made by ``context.requesterOid`` (or ``grant.grantedBy``); returns it as stored."""
        self._writable()
        self._require_enabled()
        context = parse_context(context)
        if type(grant) is not dict:
            raise ArgumentError(f"a grant must be an object, got {type(grant).__name__}")
        if set(grant) - _GRANT_KEYS:
            raise ArgumentError(f"grant has unknown field(s) {sorted(set(grant) - _GRANT_KEYS)}")
        actor = context.requester_oid if context else grant.get("grantedBy")
        check_oid(actor, "grant.grantedBy")
        if grant.get("grantedBy") not in (None, actor):
            raise ContextError(f"grant.grantedBy {grant['grantedBy']!r} is not the requester {actor!r}")
        stored = _checked_grant({**grant, "grantedBy": actor, "grantedAt": grant.get("grantedAt", int(time.time()))})
        at = self._stamp()
        self._require_admin(actor, "grant", at)
        self._write({"id": "grant", "stream": ACL_STREAM, "timestamp": at, "payload": {"grant": stored}}, lambda: True)
        return stored

    def revoke(self, subject: Any, resource: Any, action: Any, context: RequestContext | dict[str, Any] | None) -> bool:
        """Append a revocation; only the owner or an admin may. Whether a grant was removed (nothing is
        written when there was none)."""
        self._writable()
        self._require_enabled()
        context = parse_context(context)
        if context is None:
            raise ContextError("revoking a grant needs a context with requesterOid")
        key = (check_oid(subject, "subjectOid"), check_oid(resource, "resourceOid"), _action(action))
        at = self._stamp()
        self._require_admin(context.requester_oid, "revoke", at)
        if key not in self._state.grants:
            return False
        payload = {"subjectOid": key[0], "resourceOid": key[1], "action": key[2], "revokedBy": context.requester_oid}
        # Another writer may revoke it first (shared storage): then there is nothing left to revoke.
        return self._write(
            {"id": "revoke", "stream": ACL_STREAM, "timestamp": at, "payload": payload},
            lambda: key in self._state.grants,
        )

    def list_grants(self, subject: Any) -> list[dict[str, Any]]:
        """The live grants ``subject`` holds, by resource and action."""
        self._require_enabled()
        subject = check_oid(subject, "subjectOid")
        now = time.time()
        return [dict(g) for k, g in sorted(self._state.grants.items()) if k[0] == subject and _live(g, now)]
