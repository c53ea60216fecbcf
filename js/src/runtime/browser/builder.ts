/**
 * `LedgerBuilder` for browsers: the same builder, whose `build()` opens the ledger with the browser's
 * `createLedger`, so `withAssetsURL()` and `withWorker()` take effect. Not public under this name
 * (exported as `LedgerBuilder` / `ledgerBuilder` by src/browser.ts).
 */

import { LedgerBuilder as CoreLedgerBuilder } from "../../builder.js";
import type { Ledger } from "../../types/ledger.js";
import { createLedger } from "./create-ledger.js";

/**
 * Fluent builder for a ledger in a browser.
 *
 * @example
 * const ledger = await ledgerBuilder("notes").withAssetsURL("/nucleus/").withWorker().build();
 */
export class LedgerBuilder extends CoreLedgerBuilder {
  /** Opens the ledger with the browser's `createLedger` (honours `assetsURL` and `worker`). */
  override build(): Promise<Ledger> {
    return createLedger(this.buildConfig());
  }
}

/** Starts a {@link LedgerBuilder} for ledger `id`. */
export function ledgerBuilder(id: string): LedgerBuilder {
  return new LedgerBuilder(id);
}
