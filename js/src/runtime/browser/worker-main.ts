/**
 * The Nucleus worker's entry point (bundled as dist/browser/nucleus-worker.js). It opens ledgers with
 * the ordinary in-page `createLedger` and runs the methods the page forwards, one message at a time.
 * Not public.
 */

import { createLedger } from "../../create-ledger.js";
import { NucleusError } from "../../errors.js";
import type { JsonObject } from "../../json.js";
import type { Ledger } from "../../types/ledger.js";
import { runtimeStarted } from "../runtime.js";
import { useAssetsURL } from "./assets.js";
import { WORKER_METHODS, type WorkerError, type WorkerRequest, type WorkerResponse } from "./protocol.js";

interface WorkerScope {
  onmessage: ((event: { data: WorkerRequest }) => void) | null;
  postMessage(message: WorkerResponse): void;
}

const scope = globalThis as unknown as WorkerScope;
const ledgers = new Map<number, Ledger>();
let nextLedger = 1;

async function handle(request: WorkerRequest): Promise<unknown> {
  if (request.type === "open") {
    if (!runtimeStarted()) useAssetsURL(request.assetsURL);
    const ledger = await createLedger(request.config);
    const n = nextLedger++;
    ledgers.set(n, ledger);
    return n;
  }
  const ledger = ledgers.get(request.ledger);
  if (ledger === undefined || !(WORKER_METHODS as readonly string[]).includes(request.method)) {
    throw new Error(`the Nucleus worker has no ledger ${request.ledger} or method ${request.method}`);
  }
  const path = request.method.split(".");
  let target = ledger as unknown as Record<string, unknown>;
  for (const part of path.slice(0, -1)) target = target[part] as Record<string, unknown>;
  const fn = target[path[path.length - 1] as string] as (...args: unknown[]) => Promise<unknown>;
  return await fn.apply(target, request.args);
}

function toWorkerError(err: unknown): WorkerError {
  if (err instanceof NucleusError) {
    return { code: err.code, name: err.name, message: err.message, details: { ...err.details } as JsonObject };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: undefined, name: e.name, message: e.message, details: {} };
}

// Requests run one at a time, in order, exactly as they would on the page.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event) => {
  const request = event.data;
  queue = queue.then(async () => {
    try {
      scope.postMessage({ id: request.id, ok: true, result: await handle(request) });
    } catch (err) {
      scope.postMessage({ id: request.id, ok: false, error: toWorkerError(err) });
    }
  });
};
