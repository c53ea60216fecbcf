/**
 * `@onoal/nucleus` for browsers (the package's `browser` export, dist/browser/nucleus.js): the same API
 * as src/index.ts, with a `createLedger` (and a `ledgerBuilder`) that understands `assetsURL` and
 * `worker`. Ledgers live in memory. This file only re-exports.
 *
 * @example
 * import { createLedger } from "@onoal/nucleus";
 * const ledger = await createLedger({ id: "notes", assetsURL: "/nucleus/" });
 */

export * from "./index.js";
export { createLedger } from "./runtime/browser/create-ledger.js";
export { LedgerBuilder, ledgerBuilder } from "./runtime/browser/builder.js";
