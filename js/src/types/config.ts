/** Ledger, backend and storage configuration. */

import type { AclConfig } from "./acl.js";
import type { ModuleConfig } from "./module.js";
import type { CheckpointInput } from "./record.js";

/**
 * Where the engine runs: in this process, inside Pyodide (CPython compiled to WebAssembly), the only
 * choice and the default. Kept for code written against the original API.
 */
export interface WasmBackendConfig {
  /** In-process engine. */
  mode: "wasm";
}

/** Where the engine runs; see {@link WasmBackendConfig}. */
export type BackendConfig = WasmBackendConfig;

/**
 * How hard a SQLite commit tries to survive a power cut.
 * - `"full"` (default): the write-ahead log is synced to the host disk after every commit.
 * - `"fast"`: no sync per commit; a killed process loses nothing, a power cut may lose the last commits.
 */
export type Durability = "full" | "fast";

/**
 * How {@link createLedger} verifies a persistent ledger's stored chain before it resolves.
 * - `"full"` (default): every entry, from the first.
 * - `"fromCheckpoint"`: trust the kept {@link LedgerConfig.checkpoint} (required) for the entries before it. Entry
 *   `size - 1` must still hold the checkpoint's hash, and it and every entry after it get every check of a full
 *   verification; access control before it is rebuilt from its `nucleus.acl` entries, each re-hashed. Proves the
 *   chain after the checkpoint and that the stored prefix ends in the checkpointed hash; does NOT prove that the
 *   entries before it still hold the bytes that were hashed (an edit there that keeps the stored hashes is found
 *   only by a full `ledger.verify()`, which stays full). docs/ENGINE.md, "Opening from a checkpoint".
 */
export type OpenVerification = "full" | "fromCheckpoint";

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

/** PostgreSQL (Node.js only; needs the `pg` package). Made by `postgresStorage(...)`. */
export interface PostgresStorageConfig {
  /** PostgreSQL. */
  type: "postgres";
  /** Connection string: a `postgresql://` URL or libpq `key=value` pairs. */
  connectionString: string;
  /** The schema holding the ledgers' tables (default `"nucleus"`; created on first open). */
  schema?: string;
  /** Seconds that connecting, each statement and the wait for a ledger's write lock may take (default 10). */
  timeout?: number;
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
  /** Where the engine runs: `{ mode: "wasm" }`, which is also what leaving it out means. */
  backend?: BackendConfig;
  /** Modules to load, e.g. `[proofModule(), assetModule()]`. */
  modules?: ModuleConfig[];
  /** Engine options. */
  options?: LedgerOptions;
  /** Where entries are kept; in memory when absent. */
  storage?: StorageConfig;
  /**
   * Access control; `"none"` when absent. With `"inMemory"`, appends need a context whose requester is the
   * owner or holds a live `write` (or `admin`) grant on `oid:onoal:ledger:<id>`.
   */
  acl?: AclConfig;
  /**
   * With access control on: the ledger's owner OID, required when the ledger is created and recorded in
   * its chain (reopening with another owner is `LEDGER_MISMATCH`). The owner and holders of an `admin`
   * grant may grant and revoke.
   */
  owner?: string;
  /** A checkpoint the stored chain must extend; opening fails with `CHAIN_INVALID` otherwise. */
  checkpoint?: CheckpointInput;
  /**
   * `"full"` (default) verifies the whole stored chain when opening; `"fromCheckpoint"` (needs `checkpoint`) only
   * the checkpoint's last entry and what follows it; see {@link OpenVerification} for what that does not prove.
   * Any other value is `INVALID_CONFIG`.
   */
  verify?: OpenVerification;
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
