/** `createLedger`: check the configuration, load the shared runtime, open the storage, open the ledger. */

import type { PyodideAPI } from "pyodide";
import { checkConfig, type CheckedConfig } from "./config-check.js";
import { StorageUnsupportedError } from "./errors.js";
import type { HostStorage } from "./runtime/bridge-types.js";
import type { Host } from "./runtime/host.js";
import { openLedger } from "./ledger.js";
import { getRuntime } from "./runtime/runtime.js";
import type { LedgerConfig } from "./types/config.js";
import type { Ledger } from "./types/ledger.js";

/**
 * Opens a ledger. The first call in a process loads the engine (about a second); later calls reuse it.
 * A persistent ledger's stored chain is verified before the promise resolves.
 *
 * @param config - at least `{ id }`; storage defaults to memory
 * @throws {ConfigError} `INVALID_CONFIG` for a bad option (checked before the engine loads)
 * @throws {StorageUnsupportedError} `STORAGE_UNSUPPORTED` for PostgreSQL in a browser
 * @throws {ConfigError} `INVALID_CONFIG`, `details.reason` `"missing_driver"`, for PostgreSQL without the `pg`
 *   package (`npm install pg`)
 * @throws {LedgerLockedError} `LEDGER_LOCKED` when another process has the SQLite file open
 * @throws {ChainIntegrityError} `CHAIN_INVALID` when the stored chain does not verify
 * @throws {LedgerMismatchError} `LEDGER_MISMATCH` when the file belongs to another ledger or a newer format
 * @throws {StorageError} `STORAGE_ERROR` when the file cannot be used, e.g. `sqliteStorage(path, { readOnly: true })`
 *   of a file that does not exist (`details.reason` `"missing"`; a read-only open never creates one)
 * @example
 * import { createLedger, sqliteStorage } from "@onoal/nucleus";
 * const ledger = await createLedger({ id: "orders", storage: sqliteStorage("./data/orders.db") });
 * const hash = await ledger.append({ id: "o-1", stream: "orders", payload: { total: 42 } });
 * await ledger.close();
 */
export async function createLedger(config: LedgerConfig): Promise<Ledger> {
  const checked = checkConfig(config);
  const runtime = await getRuntime();
  const storage = openStorage(checked.storage, runtime.host, runtime.pyodide);
  // The engine runs in this thread: each request is answered before send() returns its promise, in call order.
  return openLedger(checked, { send: async (op, ledger, args) => runtime.call(op, ledger, args) }, storage);
}

/** The host side of the configured storage: none for memory. */
function openStorage(config: CheckedConfig["storage"], host: Host, pyodide: PyodideAPI): HostStorage | undefined {
  if (config.type === "sqlite") return host.openSqlite(config, pyodide);
  if (config.type !== "postgres") return undefined;
  if (!host.openPostgres) {
    throw new StorageUnsupportedError(
      "PostgreSQL storage is not available here: it needs Node.js (a browser cannot connect to a PostgreSQL server). " +
        "Use inMemoryStorage() in a browser",
      { storage: "postgres" },
    );
  }
  return host.openPostgres(config);
}
