/**
 * `createLedger` for browsers: the core `createLedger` plus the two browser options, `assetsURL` and
 * `worker`. SQLite is refused before anything loads. Not public (exported as `createLedger` by
 * src/browser.ts).
 */

import { checkConfig } from "../../config-check.js";
import { createLedger as createInPage } from "../../create-ledger.js";
import type { LedgerConfig } from "../../types/config.js";
import type { Ledger } from "../../types/ledger.js";
import { runtimeStarted } from "../runtime.js";
import { resolveAssetsURL, useAssetsURL } from "./assets.js";
import { postgresUnsupported, sqliteUnsupported } from "./host.js";
import { createWorkerLedger } from "./worker-client.js";

/**
 * Opens an in-memory ledger in a browser. The first call on a page loads the engine (a few seconds
 * on a cold cache); later calls reuse it.
 *
 * @param config - at least `{ id }`; `assetsURL` says where the runtime's files are served,
 *   `worker: true` runs the engine in a Web Worker
 * @throws {StorageUnsupportedError} `STORAGE_UNSUPPORTED` for `sqliteStorage(...)` and `postgresStorage(...)`
 *   (use `inMemoryStorage()`)
 * @throws {ConfigError} `INVALID_CONFIG` for a bad option or an asset that cannot be fetched
 * @example
 * import { createLedger } from "@onoal/nucleus";
 * const ledger = await createLedger({ id: "notes", assetsURL: "/nucleus/", worker: true });
 * await ledger.append({ id: "n-1", stream: "notes", payload: { text: "hello" } });
 */
export async function createLedger(config: LedgerConfig): Promise<Ledger> {
  const checked = checkConfig(config);
  if (checked.storage.type === "sqlite") throw sqliteUnsupported(checked.storage);
  if (checked.storage.type === "postgres") throw postgresUnsupported();
  const assetsURL = resolveAssetsURL(config.assetsURL);
  const { assetsURL: _url, worker, ...rest } = config;
  if (worker === true) return createWorkerLedger(assetsURL, rest);
  if (!runtimeStarted()) useAssetsURL(assetsURL);
  return createInPage(rest);
}
