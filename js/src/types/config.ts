/** Ledger, backend and storage configuration. */

import type { AclConfig } from "./acl.js";
import type { ModuleConfig } from "./module.js";
import type { Checkpoint } from "./record.js";

/** Where the engine runs. */
export type BackendMode = "wasm" | "http";

/** The engine runs in this process (inside Pyodide, i.e. WebAssembly). The default. */
export interface WasmBackendConfig {
  /** In-process engine. */
  mode: "wasm";
  /** Accepted for compatibility with the original API and ignored: the engine ships inside this package. */
  wasmPath?: string;
}

/** A remote ledger server. Not supported yet: `createLedger` rejects it with `INVALID_CONFIG`. */
export interface HttpBackendConfig {
  /** Remote engine. */
  mode: "http";
  /** Server URL. */
  url: string;
  /** Authentication token. */
  token?: string;
}

/** Where the engine runs. */
export type BackendConfig = WasmBackendConfig | HttpBackendConfig;

/**
 * How hard a SQLite commit tries to survive a power cut.
 * - `"full"` (default): the write-ahead log is synced to the host disk after every commit.
 * - `"fast"`: no sync per commit; a killed process loses nothing, a power cut may lose the last commits.
 */
export type Durability = "full" | "fast";

/** Keep the ledger in memory only (the default, and the only choice in a browser). */
export interface MemoryStorageConfig {
  /** In memory. */
  type: "none";
}

/** Keep the ledger in a SQLite file on the host's disk (Node.js). */
export interface SqliteStorageConfig {
  /** SQLite file. */
  type: "sqlite";
  /**
   * File path; relative paths resolve against the working directory. Missing directories are created
   * (never with `readOnly`).
   */
  path: string;
  /** `"full"` (default) or `"fast"`; see {@link Durability}. Irrelevant with `readOnly`. */
  durability?: Durability;
  /**
   * Open an existing ledger without writing anything and without taking the file's lock: it works on
   * read-only media and while another process has the ledger open. Every write is refused with
   * `STORAGE_ERROR` (`details.reason` `"read_only_open"`); `ledger.caveats` says what such a ledger
   * cannot promise. Default `false`.
   */
  readOnly?: boolean;
}

/** PostgreSQL. Not supported yet: `createLedger` rejects it with `STORAGE_UNSUPPORTED`. */
export interface PostgresStorageConfig {
  /** PostgreSQL. */
  type: "postgres";
  /** Connection string. */
  connectionString: string;
}

/** Where a ledger keeps its entries. */
export type StorageConfig = MemoryStorageConfig | SqliteStorageConfig | PostgresStorageConfig;

/** Engine options. */
export interface LedgerOptions {
  /** Records must carry their own timestamp (the engine never stamps one). */
  strictValidation?: boolean;
  /** Refuse appends past this many entries (`LEDGER_FULL`). */
  maxEntries?: number;
  /** Count operations; read them with `ledger.metrics()`. */
  enableMetrics?: boolean;
  /** Refuse a record whose id the ledger already holds (by default a later record supersedes for `getById`). */
  uniqueIds?: boolean;
}

/** Everything {@link createLedger} needs. Only `id` is required. */
export interface LedgerConfig {
  /** Ledger id; bound into the storage, so a file of another ledger is refused (`LEDGER_MISMATCH`). */
  id: string;
  /** Where the engine runs; `{ mode: "wasm" }` when absent. */
  backend?: BackendConfig;
  /** Modules to load, e.g. `[proofModule(), assetModule()]`. */
  modules?: ModuleConfig[];
  /** Engine options. */
  options?: LedgerOptions;
  /** Where entries are kept; in memory when absent. */
  storage?: StorageConfig;
  /** Access control; `"none"` when absent. With `"inMemory"`, appends need a context with a `write` grant. */
  acl?: AclConfig;
  /** With access control on: the OID allowed to grant and revoke. */
  owner?: string;
  /** A checkpoint the stored chain must extend; opening fails with `CHAIN_INVALID` otherwise. */
  checkpoint?: Checkpoint;
  /**
   * Browser only: the URL of the folder holding the runtime's static files (Pyodide's wasm and stdlib,
   * the engine wheel, the worker script; docs/BROWSER.md). Default: the folder of the package's browser
   * module. The first ledger of a page loads the runtime, so its value wins. Ignored under Node.js.
   */
  assetsURL?: string | URL;
  /**
   * Browser only: run the engine in a Web Worker so long batches never block the page. Same API.
   * Default `false`. Under Node.js `true` is refused with `INVALID_CONFIG`.
   */
  worker?: boolean;
}
