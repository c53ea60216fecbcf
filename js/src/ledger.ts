/**
 * The {@link Ledger} implementation, the same wherever the engine runs: each method checks its arguments and sends
 * one bridge request named as the method is (`append`, `modules.getState`; docs/BRIDGE.md) through a
 * {@link Transport}. Not public (users get it from `createLedger`).
 */

import type { CheckedConfig } from "./config-check.js";
import { LedgerClosedError, StorageError } from "./errors.js";
import type { JsonObject, JsonValue } from "./json.js";
import type { HostStorage, OpenResult, Transport } from "./runtime/bridge-types.js";
import type { CheckParams } from "./types/acl.js";
import type { Ledger, LedgerAcl, LedgerModules } from "./types/ledger.js";
import { checkContext, checkCount, checkObject, checkRecord, checkRecords, checkString, checkVerifyOptions, KNOWN_KEYS } from "./validate.js";

/** The names of `T`'s methods, each after `prefix`. */
type MethodNames<T, Prefix extends string = ""> = {
  [K in keyof T & string]: T[K] extends (...args: never[]) => Promise<unknown> ? `${Prefix}${K}` : never;
}[keyof T & string];

/** Every method of {@link Ledger}, `modules.*` and `acl.*` included: the engine's operations. */
type Op = MethodNames<Ledger> | MethodNames<LedgerModules, "modules."> | MethodNames<LedgerAcl, "acl.">;

/** The method named `op`. */
type Method<O extends Op> = O extends `modules.${infer K extends keyof LedgerModules}`
  ? LedgerModules[K]
  : O extends `acl.${infer K extends keyof LedgerAcl}`
    ? LedgerAcl[K]
    : O extends keyof Ledger
      ? Ledger[O]
      : never;

/** The operations whose method resolves to nothing (the engine answers `null`). */
type VoidOp = { [O in Op]: ReturnType<Method<O>> extends Promise<void> ? O : never }[Op];

/**
 * Each method's arguments, checked (friendly errors, and only JSON crosses: see validate.ts) and named as the bridge
 * takes them. One entry per method: the type makes a missing or extra one a compile error.
 */
const REQUESTS: { [O in Op]: (...args: Parameters<Method<O>>) => JsonObject | undefined } = {
  append: (record, context) => withContext({ record: checkRecord(record) }, context),
  appendBatch: (records, context) => withContext({ records: checkRecords(records) }, context),
  get: (hash) => ({ hash: checkString("hash", hash) }),
  getById: (id) => ({ id: checkString("id", id) }),
  getEntry: (hash) => ({ hash: checkString("hash", hash) }),
  query: (filters = {}) => ({ filters: checkObject("query filters", filters, KNOWN_KEYS.query, "query filter") }),
  verify: (options = {}) => checkVerifyOptions("verify", options),
  length: () => undefined,
  isEmpty: () => undefined,
  latestHash: () => undefined,
  hasStorage: () => undefined,
  verifyStorage: (options = {}) => checkVerifyOptions("verifyStorage", options),
  checkpoint: () => undefined,
  inclusionProof: (seq, size) => ({ seq: checkCount("seq", seq), size: size === undefined ? null : checkCount("size", size) }),
  consistencyProof: (oldSize, newSize) => ({ from: checkCount("oldSize", oldSize), to: newSize === undefined ? null : checkCount("newSize", newSize) }),
  export: () => undefined,
  importEntries: (data, context) => withContext({ data: checkString("import data", data) }, context),
  metrics: () => undefined,
  close: () => undefined,
  "modules.list": () => undefined,
  "modules.metadata": () => undefined,
  "modules.getState": (id) => ({ id: checkString("module id", id) }),
  "acl.grant": (grant, context) => withContext({ grant: checkObject("grant", grant, KNOWN_KEYS.grant, "grant field", false) }, context),
  "acl.check": (params) => checkParams(params),
  "acl.revoke": (params, context) =>
    withContext(checkObject("revoke parameters", params, KNOWN_KEYS.aclRevoke, "acl.revoke parameter", false), context),
  "acl.listGrants": (subjectOid) => ({ subjectOid: checkString("subjectOid", subjectOid) }),
};

/** The operations that write: a read-only ledger refuses them before looking at their arguments. */
const WRITES: ReadonlySet<Op> = new Set<Op>(["append", "appendBatch", "importEntries", "acl.grant", "acl.revoke"]);

/** Whether an operation resolves to nothing; the type makes the list complete. */
const VOID: Readonly<Record<VoidOp, true>> = { verify: true, close: true };

/**
 * Opens the ledger of `checked` in the engine behind `transport`. `storage` (a SQLite file the host has locked and
 * mounted) is released when the ledger closes, or at once when it does not open.
 */
export async function openLedger(checked: CheckedConfig, transport: Transport, storage?: HostStorage): Promise<Ledger> {
  let opened: OpenResult;
  try {
    const args = { ...checked.openArgs, storage: storage ? storage.bridge : { type: "none" as const } };
    opened = (await transport.send("open", undefined, args)) as unknown as OpenResult;
  } catch (err) {
    storage?.release();
    throw err;
  }
  // Every method is in REQUESTS, so the object has all of them.
  return new OpenLedger(checked.id, transport, opened, storage) as unknown as Ledger;
}

/** A ledger open in the engine: each method of {@link Ledger} sends the request of its name. */
class OpenLedger {
  readonly id: string;
  readonly modules: Record<string, unknown> = {};
  readonly acl: Record<string, unknown> = {};
  readonly readOnly: boolean;
  readonly caveats: readonly string[];
  readonly #transport: Transport;
  readonly #handle: number;
  readonly #storage: HostStorage | undefined;
  #closed = false;

  constructor(id: string, transport: Transport, opened: OpenResult, storage: HostStorage | undefined) {
    this.id = id;
    this.#transport = transport;
    this.#handle = opened.handle;
    this.#storage = storage;
    this.readOnly = opened.readOnly;
    this.caveats = Object.freeze([...opened.caveats]);
    for (const op of Object.keys(REQUESTS) as Op[]) {
      const method = (...args: unknown[]): Promise<JsonValue | undefined> => this.#send(op, args);
      const [group, name] = op.includes(".") ? op.split(".") : [undefined, op];
      // Not enumerable on the ledger itself, as methods of a class would be.
      if (group === "modules" || group === "acl") this[group][name as string] = method;
      else Object.defineProperty(this, op, { value: method, writable: true, configurable: true });
    }
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#send("close", []);
  }

  /**
   * Runs method `op`: `LEDGER_CLOSED` after close(), then `STORAGE_ERROR` (reason `read_only_open`) for a write on a
   * read-only ledger, both before the arguments are checked; then one request.
   */
  async #send(op: Op, args: unknown[]): Promise<JsonValue | undefined> {
    if (op === "close") return this.#close();
    if (this.#closed) {
      throw new LedgerClosedError(`ledger "${this.id}" is closed: ${op}() cannot run after close(); open it again with createLedger()`, { op });
    }
    if (this.readOnly && WRITES.has(op)) {
      throw new StorageError(`ledger "${this.id}" was opened read-only: ${op}() cannot write; open it without readOnly to write`, {
        op,
        reason: "read_only_open",
      });
    }
    const request = (REQUESTS[op] as (...args: unknown[]) => JsonObject | undefined)(...args);
    // The engine would build the whole text and pass it over at once: several times its size in its memory.
    if (op === "export") return this.#exportWhole();
    const result = await this.#transport.send(op, this.#handle, request);
    return Object.hasOwn(VOID, op) ? undefined : result;
  }

  /** {@link Ledger.export}: the parts of {@link exportStream} joined, so only the result is ever held whole. */
  async #exportWhole(): Promise<string> {
    const parts: string[] = [];
    for await (const part of this.exportStream()) parts.push(part);
    return parts.join("");
  }

  /** {@link Ledger.exportStream}: one `exportStream` request per part, the first fixing the length exported. */
  async *exportStream(): AsyncIterableIterator<string> {
    let size: JsonValue | undefined;
    for (let from = 0; ; ) {
      if (this.#closed) throw new LedgerClosedError(`ledger "${this.id}" is closed: exportStream() cannot go on after close()`, { op: "exportStream" });
      const part = (await this.#transport.send("exportStream", this.#handle, size === undefined ? { from } : { from, size })) as { text: string; size: number; next: number };
      size = part.size;
      yield part.text;
      if (part.next >= part.size) return;
      from = part.next;
    }
  }

  /** Idempotent: the engine closes the ledger once; the host's file lock is released whatever happens. */
  async #close(): Promise<undefined> {
    if (this.#closed) return undefined;
    this.#closed = true;
    try {
      await this.#transport.send("close", this.#handle);
    } finally {
      this.#storage?.release();
    }
    return undefined;
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
