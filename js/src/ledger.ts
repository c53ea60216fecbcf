/**
 * The {@link Ledger} implementation: one engine handle, one call per operation, plain objects back.
 * Not public (users get it from `createLedger`).
 */

import { LedgerClosedError, StorageError } from "./errors.js";
import type { JsonObject, JsonValue } from "./json.js";
import type { HostStorage } from "./runtime/host.js";
import type { Runtime } from "./runtime/runtime.js";
import type { CheckParams, Grant, RevokeParams } from "./types/acl.js";
import type { RequestContext } from "./types/context.js";
import type { Ledger, LedgerAcl, LedgerModules, VerifyOptions } from "./types/ledger.js";
import type { ModuleMetadata, ModuleState } from "./types/module.js";
import type {
  Checkpoint,
  ImportResult,
  LedgerEntry,
  LedgerRecord,
  NewRecord,
  QueryFilters,
  QueryResult,
} from "./types/record.js";
import { checkContext, checkObject, checkRecord, checkRecords, checkString, checkVerifyOptions, KNOWN_KEYS } from "./validate.js";

/** A ledger open in the shared runtime. */
export class OpenLedger implements Ledger {
  readonly id: string;
  readonly modules: LedgerModules;
  readonly acl: LedgerAcl;
  readonly readOnly: boolean;
  readonly caveats: readonly string[];
  readonly #runtime: Runtime;
  readonly #handle: number;
  readonly #storage: HostStorage | undefined;
  #closed = false;

  /**
   * Wraps engine handle `handle`; `storage` is released on close. `opened` says whether the engine opened
   * the storage read-only, and what it cannot promise.
   */
  constructor(
    id: string,
    runtime: Runtime,
    handle: number,
    storage: HostStorage | undefined,
    opened: { readOnly: boolean; caveats: readonly string[] } = { readOnly: false, caveats: [] },
  ) {
    this.id = id;
    this.#runtime = runtime;
    this.#handle = handle;
    this.#storage = storage;
    this.readOnly = opened.readOnly;
    this.caveats = Object.freeze([...opened.caveats]);
    this.modules = {
      list: async () => this.#call("modules.list") as string[],
      metadata: async () => this.#call("modules.metadata") as unknown as ModuleMetadata[],
      getState: async (moduleId: string) =>
        this.#call("modules.state", { id: checkString("module id", moduleId) }) as ModuleState | null,
    };
    this.acl = {
      grant: async (grant: Grant, context?: RequestContext) => {
        this.#writable("acl.grant");
        const args = withContext({ grant: checkObject("grant", grant, KNOWN_KEYS.grant, "grant field", false) }, context);
        return this.#call("acl.grant", args) as unknown as Grant;
      },
      check: async (params: CheckParams) => this.#call("acl.check", checkParams(params)) as boolean,
      revoke: async (params: RevokeParams, context?: RequestContext) => {
        this.#writable("acl.revoke");
        const args = withContext(checkObject("revoke parameters", params, KNOWN_KEYS.aclRevoke, "acl.revoke parameter", false), context);
        return this.#call("acl.revoke", args) as boolean;
      },
      listGrants: async (subjectOid: string) =>
        this.#call("acl.listGrants", { subjectOid: checkString("subjectOid", subjectOid) }) as unknown as Grant[],
    };
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  async append(record: NewRecord, context?: RequestContext): Promise<string> {
    this.#writable("append");
    return this.#call("append", withContext({ record: checkRecord(record) }, context)) as string;
  }

  async appendBatch(records: NewRecord[], context?: RequestContext): Promise<string[]> {
    this.#writable("appendBatch");
    return this.#call("appendBatch", withContext({ records: checkRecords(records) }, context)) as string[];
  }

  async get(hash: string): Promise<LedgerRecord | null> {
    return this.#call("get", { hash: checkString("hash", hash) }) as unknown as LedgerRecord | null;
  }

  async getById(id: string): Promise<LedgerRecord | null> {
    return this.#call("getById", { id: checkString("id", id) }) as unknown as LedgerRecord | null;
  }

  async getEntry(hash: string): Promise<LedgerEntry | null> {
    return this.#call("getEntry", { hash: checkString("hash", hash) }) as unknown as LedgerEntry | null;
  }

  async query(filters: QueryFilters = {}): Promise<QueryResult> {
    this.#open("query");
    return this.#call("query", { filters: checkObject("query filters", filters, KNOWN_KEYS.query, "query filter") }) as unknown as QueryResult;
  }

  async verify(options: VerifyOptions = {}): Promise<void> {
    this.#open("verify");
    this.#call("verify", checkVerifyOptions("verify", options));
  }

  async length(): Promise<number> {
    return this.#call("length") as number;
  }

  async isEmpty(): Promise<boolean> {
    return (await this.length()) === 0;
  }

  async latestHash(): Promise<string | null> {
    return this.#call("latestHash") as string | null;
  }

  async hasStorage(): Promise<boolean> {
    return this.#call("hasStorage") as boolean;
  }

  async verifyStorage(options: VerifyOptions = {}): Promise<boolean> {
    this.#open("verifyStorage");
    return this.#call("verifyStorage", checkVerifyOptions("verifyStorage", options)) as boolean;
  }

  async checkpoint(): Promise<Checkpoint> {
    return this.#call("checkpoint") as unknown as Checkpoint;
  }

  async export(): Promise<string> {
    return this.#call("export") as string;
  }

  async importEntries(data: string, context?: RequestContext): Promise<ImportResult> {
    this.#writable("importEntries");
    const args = withContext({ data: checkString("import data", data) }, context);
    return this.#call("importEntries", args) as unknown as ImportResult;
  }

  async metrics(): Promise<Record<string, number>> {
    return this.#call("metrics") as Record<string, number>;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#runtime.call("close", this.#handle);
    } finally {
      this.#storage?.release();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Throws `LEDGER_CLOSED` after close(), before arguments are checked. */
  #open(op: string): void {
    if (this.#closed) {
      throw new LedgerClosedError(`ledger "${this.id}" is closed: ${op}() cannot run after close(); open it again with createLedger()`, { op });
    }
  }

  /**
   * Throws `LEDGER_CLOSED` after close(), then `STORAGE_ERROR` (reason `read_only_open`) on a read-only
   * ledger, before arguments are checked: a write is refused whatever it writes.
   */
  #writable(op: string): void {
    this.#open(op);
    if (this.readOnly) {
      throw new StorageError(
        `ledger "${this.id}" was opened read-only: ${op}() cannot write; open it without readOnly to write`,
        { op, reason: "read_only_open" },
      );
    }
  }

  #call(op: string, args?: JsonObject): JsonValue {
    this.#open(op);
    return this.#runtime.call(op, this.#handle, args);
  }
}

function withContext(args: JsonObject, context: unknown): JsonObject {
  const ctx = checkContext(context);
  return ctx === undefined ? args : { ...args, context: ctx };
}

/** `acl.check` accepts the original's `requesterOid` as well as `subjectOid`. */
function checkParams(params: CheckParams): JsonObject {
  const obj = checkObject("check parameters", params, KNOWN_KEYS.aclCheck, "acl.check parameter", false);
  const { requesterOid, ...rest } = obj;
  return requesterOid !== undefined && rest["subjectOid"] === undefined ? { ...rest, subjectOid: requesterOid } : obj;
}
