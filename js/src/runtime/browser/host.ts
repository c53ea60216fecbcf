/**
 * The browser {@link Host}: assets from the app's own origin, memory storage only. Not public.
 */

import { StorageUnsupportedError } from "../../errors.js";
import type { SqliteStorageConfig } from "../../types/config.js";
import type { HostStorage } from "../bridge-types.js";
import type { Host } from "../host.js";
import { lendPrimitives } from "../host-primitives.js";
import { browserAssets } from "./assets.js";

/** The error for SQLite in a browser, thrown before and (for builders) after the runtime loads. */
export function sqliteUnsupported(config: Pick<SqliteStorageConfig, "path">): StorageUnsupportedError {
  return new StorageUnsupportedError(
    `SQLite storage ("${config.path}") is not available in a browser: a browser ledger lives in memory. ` +
      "Use inMemoryStorage(), or autoStorage(path), which picks SQLite under Node.js and memory in a browser; " +
      "keep a browser ledger with ledger.export() and load it back with importEntries()",
    { storage: "sqlite", platform: "browser" },
  );
}

/** The error for PostgreSQL in a browser, which cannot open a connection to a server. */
export function postgresUnsupported(): StorageUnsupportedError {
  return new StorageUnsupportedError(
    "PostgreSQL storage is not available in a browser, which cannot connect to a PostgreSQL server: a browser " +
      "ledger lives in memory. Use inMemoryStorage(); postgresStorage(...) works under Node.js",
    { storage: "postgres", platform: "browser" },
  );
}

/** Platform services in a browser (page or worker). */
export const browserHost: Host = {
  assets: browserAssets,
  // The JSON check only: a browser's SHA-256 and Ed25519 (WebCrypto) are asynchronous, and the engine's calls
  // are not (so the engine's signed notes refuse with STORAGE_UNSUPPORTED; the package's own use WebCrypto).
  prepare: (pyodide) => lendPrimitives(pyodide),
  openSqlite(config: SqliteStorageConfig): HostStorage {
    throw sqliteUnsupported(config);
  },
};
