/**
 * The Nucleus worker's entry point (bundled as dist/browser/nucleus-worker.js): it hands each bridge request the
 * page sends to its own runtime, one at a time, and posts back the result or the error. Not public.
 */

import { NucleusError } from "../../errors.js";
import type { JsonObject } from "../../json.js";
import { getRuntime, runtimeStarted } from "../runtime.js";
import { useAssetsURL } from "./assets.js";
import type { WorkerError, WorkerRequest, WorkerResponse } from "./protocol.js";

interface WorkerScope {
  onmessage: ((event: { data: WorkerRequest }) => void) | null;
  postMessage(message: WorkerResponse): void;
}

const scope = globalThis as unknown as WorkerScope;

function toWorkerError(err: unknown): WorkerError {
  if (err instanceof NucleusError) {
    return { code: err.code, name: err.name, message: err.message, details: { ...err.details } as JsonObject };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: undefined, name: e.name, message: e.message, details: {} };
}

// Requests run one at a time, in order, exactly as they would on the page.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = ({ data: { id, assetsURL, op, ledger, args } }) => {
  queue = queue.then(async () => {
    try {
      if (!runtimeStarted()) useAssetsURL(assetsURL);
      const runtime = await getRuntime();
      scope.postMessage({ id, ok: true, result: runtime.call(op, ledger, args) });
    } catch (err) {
      scope.postMessage({ id, ok: false, error: toWorkerError(err) });
    }
  });
};
