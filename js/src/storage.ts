/** Storage configuration helpers: `inMemoryStorage`, `sqliteStorage`, `postgresStorage`, `autoStorage`. */

import { ConfigError } from "./errors.js";
import { describe, isPlainObject } from "./json.js";
import { isNode } from "./runtime/platform.js";
import type { Durability, MemoryStorageConfig, PostgresStorageConfig, SqliteStorageConfig } from "./types/config.js";
import { checkKeys } from "./validate.js";

/** Keys of {@link SqliteStorageOptions}. Shared with `createLedger`'s check of a storage configuration. */
export const SQLITE_OPTION_KEYS = ["durability", "readOnly"];

/** Options of {@link sqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * `"full"` (default): every resolved append survives a power cut (the write-ahead log is synced to
   * the host disk after each commit). `"fast"`: no sync per commit, several times faster; a killed
   * process still loses nothing, but a power cut or OS crash may lose the last commits.
   */
  durability?: Durability;
  /**
   * `true`: open an existing ledger read-only. No file is created or changed (no `-wal`, `-shm` or
   * `.lock`), no lock is taken, and a missing file is an error (`STORAGE_ERROR`, reason `"missing"`), so
   * it works on read-only media and while another process has the ledger open. The chain is verified
   * whole on open as always; reads, `verify` and `export` work; every write (`append`, `appendBatch`,
   * `importEntries`, `acl.grant`, `acl.revoke`) is refused with `STORAGE_ERROR`, reason
   * `"read_only_open"`. `ledger.caveats` lists what it cannot promise (another process may append
   * meanwhile; a checkpoint by that process makes later reads fail with reason `"changed"`).
   */
  readOnly?: boolean;
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
 * second opener gets `LEDGER_LOCKED`. With `{ readOnly: true }` an existing file is opened without the
 * lock and without writing anything (see {@link SqliteStorageOptions.readOnly}).
 *
 * @param path - the database file, e.g. `"./data/ledger.db"`
 * @param options - `{ durability: "fast" }` trades power-cut safety of the last commits for speed;
 *   `{ readOnly: true }` opens an existing ledger read-only
 * @throws {ConfigError} `INVALID_CONFIG` for an empty or blank path, or an option that is unknown or bad
 * @example
 * const ledger = await createLedger({ id: "orders", storage: sqliteStorage("./data/orders.db") });
 * const reader = await createLedger({ id: "orders", storage: sqliteStorage("./data/orders.db", { readOnly: true }) });
 */
export function sqliteStorage(path: string, options: SqliteStorageOptions = {}): SqliteStorageConfig {
  checkSqlitePath(path);
  if (!isPlainObject(options)) {
    throw new ConfigError(`sqliteStorage options must be an object like { durability: "fast" }, got ${describe(options)}`);
  }
  checkKeys(options, SQLITE_OPTION_KEYS, "sqliteStorage option", ConfigError, { option: "sqliteStorage" });
  const durability = checkDurability(options.durability, "sqliteStorage durability");
  const readOnly = checkReadOnly(options.readOnly, "sqliteStorage readOnly");
  const config: SqliteStorageConfig = { type: "sqlite", path };
  if (durability !== "full") config.durability = durability;
  if (readOnly) config.readOnly = true;
  return config;
}

/** `value` (default `"full"`) as a {@link Durability}; `INVALID_CONFIG` naming `what` otherwise. Shared with `createLedger`. */
export function checkDurability(value: unknown, what: string): Durability {
  const durability = value ?? "full";
  if (durability !== "full" && durability !== "fast") {
    throw new ConfigError(`${what} must be "full" or "fast", got ${describe(durability)}`);
  }
  return durability;
}

/** `value` (default `false`) as a boolean; `INVALID_CONFIG` naming `what` otherwise. Shared with `createLedger`. */
export function checkReadOnly(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new ConfigError(`${what} must be true or false, got ${describe(value)}`);
  return value;
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

/** Keys of {@link PostgresStorageOptions}. Shared with `createLedger`'s check of a storage configuration. */
export const POSTGRES_OPTION_KEYS = ["schema", "timeout"];

/** Options of {@link postgresStorage}. */
export interface PostgresStorageOptions {
  /**
   * The schema holding the ledgers' tables (default `"nucleus"`): 1–63 lowercase letters, digits and `_`, not
   * starting with a digit. Created with its tables on the first open; any number of ledgers share it.
   */
  schema?: string;
  /**
   * Seconds (default 10, at most 86400) that connecting, each statement and the wait for a ledger's write lock
   * may take; a call that runs out fails with `STORAGE_ERROR`, reason `"timeout"`.
   */
  timeout?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Keep the ledger in PostgreSQL (Node.js only). Any number of ledgers share one database (each ledger id is a
 * ledger of its own), and any number of processes, Node.js and CPython alike, may append to one ledger at once:
 * the chain stays gap-free and verifiable (docs/FORMAT.md §5b). Needs the `pg` package (`npm install pg`, an
 * optional peer dependency); without it `createLedger` fails with `INVALID_CONFIG`, `details.reason`
 * `"missing_driver"`. In a browser `createLedger` refuses it with `STORAGE_UNSUPPORTED`. Server failures are
 * `STORAGE_ERROR` with `details.reason` (`"auth"`, `"unreachable"`, `"timeout"`, `"connection_lost"`, …).
 *
 * @param connectionString - a `postgresql://user:pass@host:5432/db` URL or libpq `key=value` pairs
 * @param options - `{ schema, timeout }` (see {@link PostgresStorageOptions})
 * @throws {ConfigError} `INVALID_CONFIG` for an empty or blank connection string, or an option that is unknown or bad
 * @example
 * try {
 *   const storage = postgresStorage(process.env["DATABASE_URL"] ?? "postgresql://app:secret@localhost/app", { timeout: 5 });
 *   const ledger = await createLedger({ id: "orders", storage });
 *   await ledger.append({ id: "o-1", stream: "orders", payload: { total: 42 } });
 *   await ledger.close();
 * } catch (err) {
 *   if (!(err instanceof StorageError)) throw err;
 *   console.error(`PostgreSQL failed (${String(err.details["reason"])}): ${err.message}`); // e.g. "unreachable"
 * }
 */
export function postgresStorage(connectionString: string, options: PostgresStorageOptions = {}): PostgresStorageConfig {
  checkConnectionString(connectionString);
  if (!isPlainObject(options)) {
    throw new ConfigError(`postgresStorage options must be an object like { schema: "ledgers" }, got ${describe(options)}`);
  }
  checkKeys(options, POSTGRES_OPTION_KEYS, "postgresStorage option", ConfigError, { option: "postgresStorage" });
  const config: PostgresStorageConfig = { type: "postgres", connectionString };
  const schema = checkSchema(options.schema, "postgresStorage schema");
  const timeout = checkTimeout(options.timeout, "postgresStorage timeout");
  if (schema !== undefined) config.schema = schema;
  if (timeout !== undefined) config.timeout = timeout;
  return config;
}

/** Throws `INVALID_CONFIG` unless `value` is a non-blank string. Shared with `createLedger`. */
export function checkConnectionString(value: unknown): asserts value is string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(`postgresStorage connection string cannot be empty, got ${describe(value)}`);
  }
}

/** `value` as a schema name, or undefined; `INVALID_CONFIG` naming `what` otherwise. Shared with `createLedger`. */
export function checkSchema(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !SCHEMA_NAME.test(value)) {
    throw new ConfigError(
      `${what} must be 1–63 characters of lowercase letters, digits and _ (not starting with a digit), got ${describe(value)}`,
    );
  }
  return value;
}

/** `value` as seconds in (0, 86400], or undefined; `INVALID_CONFIG` naming `what` otherwise. Shared with `createLedger`. */
export function checkTimeout(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > 0 && value <= 86_400)) {
    throw new ConfigError(`${what} must be a number of seconds in (0, 86400], got ${describe(value)}`);
  }
  return value;
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
