/**
 * Messages between a page and the Nucleus worker. The page's ledger sends bridge requests (docs/BRIDGE.md), which
 * the worker hands to its engine as they are: it knows no operation by name. Everything crossing is
 * structured-clone data: JSON requests and results, errors as `{code, message, details}`. Not public.
 */

import type { JsonObject, JsonValue } from "../../json.js";
import type { BridgeRequest } from "../bridge-types.js";

/** Page → worker: one bridge request, numbered, with where the runtime's files are (used by the first load). */
export interface WorkerRequest extends BridgeRequest {
  id: number;
  assetsURL: string;
}

/** An error as it crosses: a {@link NucleusError}'s code, or none for anything else. */
export interface WorkerError {
  code: string | undefined;
  name: string;
  message: string;
  details: JsonObject;
}

/** Worker → page. */
export type WorkerResponse = { id: number; ok: true; result: JsonValue } | { id: number; ok: false; error: WorkerError };
