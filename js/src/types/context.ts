/** The request context: who is asking. */

/** Who makes a request, and when. Needed for appends when access control is on. */
export interface RequestContext {
  /** OID of the requester: `oid:onoal:{type}:{id}`, e.g. `oid:onoal:human:alice`. */
  requesterOid: string;
  /** Request time in ms; at most 5 minutes in the future. */
  timestamp?: number;
  /** Free-form metadata. */
  metadata?: Record<string, unknown>;
}
