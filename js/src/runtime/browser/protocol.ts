/**
 * Messages between a page and the Nucleus worker. The worker runs the ordinary in-page ledger; the page
 * holds a {@link WorkerLedger} that forwards each method call. Everything crossing is structured-clone
 * data: records, results and errors as `{code, message, details}`. Not public.
 */

import type { JsonObject } from "../../json.js";
import type { LedgerConfig } from "../../types/config.js";

/** The ledger methods a page may call through the worker (`modules.*` and `acl.*` included). */
export const WORKER_METHODS = [
  "append",
  "appendBatch",
  "get",
  "getById",
  "getEntry",
  "query",
  "verify",
  "length",
  "isEmpty",
  "latestHash",
  "hasStorage",
  "verifyStorage",
  "checkpoint",
  "export",
  "importEntries",
  "metrics",
  "close",
  "modules.list",
  "modules.metadata",
  "modules.getState",
  "acl.grant",
  "acl.check",
  "acl.revoke",
  "acl.listGrants",
] as const;

/** One forwardable method. */
export type WorkerMethod = (typeof WORKER_METHODS)[number];

/** Page → worker. */
export type WorkerRequest =
  | { id: number; type: "open"; assetsURL: string; config: Omit<LedgerConfig, "assetsURL" | "worker"> }
  | { id: number; type: "call"; ledger: number; method: WorkerMethod; args: unknown[] };

/** An error as it crosses: a {@link NucleusError}'s code, or none for anything else. */
export interface WorkerError {
  code: string | undefined;
  name: string;
  message: string;
  details: JsonObject;
}

/** Worker → page. `open` answers with the ledger's number. */
export type WorkerResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WorkerError };
