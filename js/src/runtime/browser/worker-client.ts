/**
 * The page side of worker mode: one Nucleus worker per page (one runtime, shared by every worker ledger, as on
 * the page), and the transport that sends a ledger's bridge requests to it. The ledger is the same as on the page
 * (ledger.ts); errors come back as the same {@link NucleusError} subclasses. Not public.
 */

import { checkConfig } from "../../config-check.js";
import { ConfigError, type NucleusError } from "../../errors.js";
import { errorFromCode } from "../../error-map.js";
import type { JsonValue } from "../../json.js";
import { openLedger } from "../../ledger.js";
import type { LedgerConfig } from "../../types/config.js";
import type { Ledger } from "../../types/ledger.js";
import { WORKER_SCRIPT } from "./assets.js";
import type { WorkerError, WorkerRequest, WorkerResponse } from "./protocol.js";

interface WorkerLike {
  onmessage: ((event: { data: WorkerResponse }) => void) | null;
  onerror: ((event: { message?: string; preventDefault?: () => void }) => void) | null;
  postMessage(message: WorkerRequest): void;
}
type WorkerConstructor = new (url: string, options: { type: "module"; name?: string }) => WorkerLike;

type Pending = { resolve: (value: JsonValue) => void; reject: (err: Error) => void };

/** The page's connection to its Nucleus worker. */
class Connection {
  readonly #worker: WorkerLike;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | undefined;

  constructor(readonly scriptURL: string) {
    const Ctor = (globalThis as unknown as { Worker?: WorkerConstructor }).Worker;
    if (Ctor === undefined) {
      throw new ConfigError("worker: true needs Web Workers, which this environment lacks; leave the option out");
    }
    this.#worker = new Ctor(scriptURL, { type: "module", name: "nucleus" });
    this.#worker.onmessage = (event) => this.#settle(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault?.();
      this.#fail(
        new ConfigError(
          `the Nucleus worker (${scriptURL}) failed to start${event.message ? `: ${event.message}` : ""}; ` +
            "check that the assetsURL folder serves nucleus-worker.js (docs/BROWSER.md)",
          { url: scriptURL },
        ),
      );
    };
  }

  /** Sends one request; resolves to its result or rejects with the mapped error. */
  send(request: Omit<WorkerRequest, "id">): Promise<JsonValue> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Only JSON is sent (the ledger checked every argument), so structured cloning cannot refuse it.
      this.#worker.postMessage({ ...request, id });
    });
  }

  #settle(response: WorkerResponse): void {
    const pending = this.#pending.get(response.id);
    if (pending === undefined) return;
    this.#pending.delete(response.id);
    if (response.ok) pending.resolve(response.result);
    else pending.reject(fromWorkerError(response.error));
  }

  /** Whether the worker failed to start (a later `createLedger` then starts a new one). */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  #fail(err: Error): void {
    this.#failure = err;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }
}

function fromWorkerError(error: WorkerError): NucleusError | Error {
  if (error.code !== undefined) return errorFromCode(error.code, error.message, error.details);
  const err = new Error(error.message);
  err.name = error.name;
  return err;
}

let connection: Connection | undefined;

/**
 * The page's worker, started on first use from `assetsURL` (later values are ignored, as on the page).
 * A worker that failed to start is replaced, so a corrected `assetsURL` can still succeed.
 */
function connect(assetsURL: string): Connection {
  if (connection === undefined || connection.failed) connection = new Connection(new URL(WORKER_SCRIPT, assetsURL).href);
  return connection;
}

/** Opens a ledger inside the page's Nucleus worker. `config` has been checked and has no browser options. */
export async function createWorkerLedger(assetsURL: string, config: Omit<LedgerConfig, "assetsURL" | "worker">): Promise<Ledger> {
  const checked = checkConfig(config);
  const conn = connect(assetsURL);
  return openLedger(checked, { send: (op, ledger, args) => conn.send({ assetsURL, op, ledger, args }) });
}
