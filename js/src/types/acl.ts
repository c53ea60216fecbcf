/** Access control types. Times are in seconds since the epoch, as in the original API. */

/**
 * Which access control a ledger uses: `"none"`, or `"inMemory"` (the original API's name): an owner and
 * grants, kept as entries of the ledger's own chain, so they persist with it whatever the storage.
 */
export type AclConfig = "none" | "inMemory";

/** A permission: `subjectOid` may do `action` on `resourceOid`. */
export interface Grant {
  /** Who gets access (`oid:onoal:{type}:{id}`). */
  subjectOid: string;
  /** What they get access to; appends need `write` on `oid:onoal:ledger:<ledger id>`. */
  resourceOid: string;
  /**
   * The permission. The engine itself asks for two: `"write"` (append and import) and `"admin"`
   * (anything, including grant and revoke). Others, e.g. `"read"`, are kept for the application's own
   * `acl.check`.
   */
  action: string;
  /** Who granted it: the owner or an admin, and the requester of the context `acl.grant` was given. */
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
