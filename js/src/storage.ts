/** Storage configuration helpers: `inMemoryStorage`, `sqliteStorage`, `postgresStorage`, `autoStorage`. */

import { ConfigError } from "./errors.js";
import { describe, isPlainObject } from "./json.js";
import { isNode } from "./runtime/platform.js";
import type { Durability, MemoryStorageConfig, PostgresStorageConfig, SqliteStorageConfig } from "./types/config.js";
import { checkKeys } from "./validate.js";

/** Keys of {@link SqliteStorageOptions}. Shared with `createLedger`'s check of a storage configuration. */
export const SQLITE_OPTION_KEYS = ["durability"];

/** Options of {@link sqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * `"full"` (default): every resolved append survives a power cut (the write-ahead log is synced to
   * the host disk after each commit). `"fast"`: no sync per commit, several times faster; a killed
   * process still loses nothing, but a power cut or OS crash may lose the last commits.
   */
  durability?: Durability;
}

/**
 * Keep the ledger in memory (the default). Entries vanish when the process ends.
 *
 * @example
 * const ledger = await createLedger({ id: "scratch", storage: inMemoryStorage() });
 */
export function inMemoryStorage(): MemoryStorageConfig {
  return { type: "none" };
}

/**
 * Keep the ledger in a SQLite file (Node.js only). The path resolves against the working directory when
 * `createLedger` runs; missing directories are created. One process at a time may open the file: a
 * second opener gets `LEDGER_LOCKED`.
 *
 * @param path - the database file, e.g. `"./data/ledger.db"`
 * @param options - `{ durability: "fast" }` trades power-cut safety of the last commits for speed
 * @throws {ConfigError} `INVALID_CONFIG` for an empty or blank path, or an option that is unknown or bad
 * @example
 * const ledger = await createLedger({ id: "orders", storage: sqliteStorage("./data/orders.db") });
 */
export function sqliteStorage(path: string, options: SqliteStorageOptions = {}): SqliteStorageConfig {
  checkSqlitePath(path);
  if (!isPlainObject(options)) {
    throw new ConfigError(`sqliteStorage options must be an object like { durability: "fast" }, got ${describe(options)}`);
  }
  checkKeys(options, SQLITE_OPTION_KEYS, "sqliteStorage option", ConfigError, { option: "sqliteStorage" });
  const durability = options.durability ?? "full";
  if (durability !== "full" && durability !== "fast") {
    throw new ConfigError(`sqliteStorage durability must be "full" or "fast", got ${describe(durability)}`);
  }
  return durability === "full" ? { type: "sqlite", path } : { type: "sqlite", path, durability };
}

/** Throws `INVALID_CONFIG` unless `path` is a non-blank string. Shared with `createLedger`. */
export function checkSqlitePath(path: unknown): asserts path is string {
  if (typeof path !== "string") {
    throw new ConfigError(`sqliteStorage path must be a string like "./data/ledger.db", got ${describe(path)}`);
  }
  if (path.trim() === "") {
    throw new ConfigError('sqliteStorage path cannot be empty or blank; give a file path like "./data/ledger.db"');
  }
  if (path.includes("\0")) {
    throw new ConfigError("sqliteStorage path must not contain a NUL character");
  }
}

/**
 * PostgreSQL storage: not supported yet. The helper checks its argument; `createLedger` then rejects the
 * configuration with `STORAGE_UNSUPPORTED`. Use {@link sqliteStorage} instead.
 *
 * @param connectionString - e.g. `"postgresql://user:pass@localhost/db"`
 * @throws {ConfigError} `INVALID_CONFIG` for an empty or blank connection string
 */
export function postgresStorage(connectionString: string): PostgresStorageConfig {
  if (typeof connectionString !== "string" || connectionString.trim() === "") {
    throw new ConfigError(`postgresStorage connection string cannot be empty, got ${describe(connectionString)}`);
  }
  return { type: "postgres", connectionString };
}

/**
 * SQLite at `path` under Node.js when a path is given; memory otherwise (and always in a browser).
 *
 * @param path - the database file to use under Node.js
 * @example
 * const storage = autoStorage("./data/ledger.db"); // sqlite in Node, memory in a browser
 */
export function autoStorage(path?: string): SqliteStorageConfig | MemoryStorageConfig {
  if (path !== undefined && isNode()) return sqliteStorage(path);
  return inMemoryStorage();
}
