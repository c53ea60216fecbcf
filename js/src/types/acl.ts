/** Access control types. Times are in seconds since the epoch, as in the original API. */

/** Which access control a ledger uses: none, or grants kept by the engine (persisted with SQLite storage). */
export type AclConfig = "none" | "inMemory";

/** A permission: `subjectOid` may do `action` on `resourceOid`. */
export interface Grant {
  /** Who gets access (`oid:onoal:{type}:{id}`). */
  subjectOid: string;
  /** What they get access to; appends need `write` on `oid:onoal:ledger:<ledger id>`. */
  resourceOid: string;
  /** The permission, e.g. `"read"`, `"write"`, `"admin"`. */
  action: string;
  /** Who granted it. */
  grantedBy: string;
  /** When it was granted (seconds). */
  grantedAt: number;
  /** When it expires (seconds); never when absent. */
  expiresAt?: number;
  /** Free-form metadata. */
  metadata?: Record<string, unknown>;
}

/** Parameters of `acl.check`: may this requester do this action on this resource? */
export type CheckParams =
  | { requesterOid: string; resourceOid: string; action: string }
  | { subjectOid: string; resourceOid: string; action: string };

/** Parameters of `acl.revoke`: the grant to remove. */
export interface RevokeParams {
  /** Whose access to revoke. */
  subjectOid: string;
  /** The resource. */
  resourceOid: string;
  /** The action. */
  action: string;
}
