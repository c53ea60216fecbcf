/**
 * The page side of worker mode: one Nucleus worker per page (one runtime, shared by every worker
 * ledger, as on the page), and {@link WorkerLedger}, which forwards each call to it. Errors come back
 * as the same {@link NucleusError} subclasses. Not public.
 */

import { checkConfig } from "../../config-check.js";
import { ArgumentError, ConfigError, type NucleusError } from "../../errors.js";
import { errorFromCode } from "../../error-map.js";
import type { CheckParams, Grant, RevokeParams } from "../../types/acl.js";
import type { LedgerConfig } from "../../types/config.js";
import type { RequestContext } from "../../types/context.js";
import type { Ledger, LedgerAcl, LedgerModules, VerifyOptions } from "../../types/ledger.js";
import type { ModuleMetadata, ModuleState } from "../../types/module.js";
import type {
  Checkpoint,
  ImportResult,
  LedgerEntry,
  LedgerRecord,
  NewRecord,
  QueryFilters,
  QueryResult,
} from "../../types/record.js";
import { checkRecord, checkRecords } from "../../validate.js";
import { WORKER_SCRIPT } from "./assets.js";
import type { WorkerError, WorkerMethod, WorkerRequest, WorkerResponse } from "./protocol.js";

interface WorkerLike {
  onmessage: ((event: { data: WorkerResponse }) => void) | null;
  onerror: ((event: { message?: string; preventDefault?: () => void }) => void) | null;
  postMessage(message: WorkerRequest): void;
}
type WorkerConstructor = new (url: string, options: { type: "module"; name?: string }) => WorkerLike;

/** A request before the connection numbers it. */
type Unnumbered<T> = T extends { id: number } ? Omit<T, "id"> : never;

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

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
  send(request: Unnumbered<WorkerRequest>): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ ...request, id } as WorkerRequest);
      } catch (err) {
        // DataCloneError: a function, a symbol or a DOM node among the arguments.
        this.#pending.delete(id);
        const what = err instanceof Error ? err.message : String(err);
        reject(new ArgumentError(`arguments must be plain JSON data to cross to the worker (${what})`));
      }
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
  const handle = (await conn.send({ type: "open", assetsURL, config })) as number;
  return new WorkerLedger(checked.id, conn, handle);
}

/** A ledger whose engine runs in the page's Nucleus worker. Same behaviour as the in-page ledger. */
class WorkerLedger implements Ledger {
  readonly id: string;
  readonly modules: LedgerModules;
  readonly acl: LedgerAcl;
  /** Always false: a browser ledger lives in memory. */
  readonly readOnly = false;
  /** Always empty: a browser ledger lives in memory. */
  readonly caveats: readonly string[] = Object.freeze([]);
  readonly #conn: Connection;
  readonly #handle: number;
  #closed = false;

  constructor(id: string, conn: Connection, handle: number) {
    this.id = id;
    this.#conn = conn;
    this.#handle = handle;
    this.modules = {
      list: () => this.#call("modules.list") as Promise<string[]>,
      metadata: () => this.#call("modules.metadata") as Promise<ModuleMetadata[]>,
      getState: (moduleId: string) => this.#call("modules.getState", moduleId) as Promise<ModuleState | null>,
    };
    this.acl = {
      grant: (grant: Grant, context?: RequestContext) => this.#call("acl.grant", grant, context) as Promise<Grant>,
      check: (params: CheckParams) => this.#call("acl.check", params) as Promise<boolean>,
      revoke: (params: RevokeParams, context?: RequestContext) => this.#call("acl.revoke", params, context) as Promise<boolean>,
      listGrants: (subjectOid: string) => this.#call("acl.listGrants", subjectOid) as Promise<Grant[]>,
    };
  }

  async append(record: NewRecord, context?: RequestContext): Promise<string> {
    checkRecord(record); // the same early error as on the page, before structured cloning
    return (await this.#call("append", record, context)) as string;
  }

  async appendBatch(records: NewRecord[], context?: RequestContext): Promise<string[]> {
    checkRecords(records);
    return (await this.#call("appendBatch", records, context)) as string[];
  }

  get(hash: string): Promise<LedgerRecord | null> {
    return this.#call("get", hash) as Promise<LedgerRecord | null>;
  }

  getById(id: string): Promise<LedgerRecord | null> {
    return this.#call("getById", id) as Promise<LedgerRecord | null>;
  }

  getEntry(hash: string): Promise<LedgerEntry | null> {
    return this.#call("getEntry", hash) as Promise<LedgerEntry | null>;
  }

  query(filters?: QueryFilters): Promise<QueryResult> {
    return this.#call("query", filters) as Promise<QueryResult>;
  }

  async verify(options?: VerifyOptions): Promise<void> {
    await this.#call("verify", options);
  }

  length(): Promise<number> {
    return this.#call("length") as Promise<number>;
  }

  isEmpty(): Promise<boolean> {
    return this.#call("isEmpty") as Promise<boolean>;
  }

  latestHash(): Promise<string | null> {
    return this.#call("latestHash") as Promise<string | null>;
  }

  hasStorage(): Promise<boolean> {
    return this.#call("hasStorage") as Promise<boolean>;
  }

  verifyStorage(options?: VerifyOptions): Promise<boolean> {
    return this.#call("verifyStorage", options) as Promise<boolean>;
  }

  checkpoint(): Promise<Checkpoint> {
    return this.#call("checkpoint") as Promise<Checkpoint>;
  }

  export(): Promise<string> {
    return this.#call("export") as Promise<string>;
  }

  importEntries(data: string, context?: RequestContext): Promise<ImportResult> {
    return this.#call("importEntries", data, context) as Promise<ImportResult>;
  }

  metrics(): Promise<Record<string, number>> {
    return this.#call("metrics") as Promise<Record<string, number>>;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#call("close");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #call(method: WorkerMethod, ...args: unknown[]): Promise<unknown> {
    // Trailing undefined arguments are dropped so defaults apply in the worker as they would here.
    while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
    return this.#conn.send({ type: "call", ledger: this.#handle, method, args });
  }
}
