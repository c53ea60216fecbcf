/** `LedgerBuilder`: a fluent way to assemble a {@link LedgerConfig} and open the ledger. */

import { createLedger } from "./create-ledger.js";
import type { AclConfig } from "./types/acl.js";
import type { BackendConfig, LedgerConfig, LedgerOptions, StorageConfig } from "./types/config.js";
import type { Ledger } from "./types/ledger.js";
import type { ModuleConfig } from "./types/module.js";

/**
 * Fluent builder for a ledger.
 *
 * @example
 * const ledger = await ledgerBuilder("orders")
 *   .withStorage(sqliteStorage("./data/orders.db"))
 *   .withModule(proofModule())
 *   .build();
 */
export class LedgerBuilder {
  readonly #id: string;
  #backend: BackendConfig | undefined;
  #storage: StorageConfig | undefined;
  #acl: AclConfig | undefined;
  #owner: string | undefined;
  readonly #modules: ModuleConfig[] = [];
  #options: LedgerOptions = {};
  #assetsURL: string | URL | undefined;
  #worker: boolean | undefined;

  /** @param id - the ledger id */
  constructor(id: string) {
    this.#id = id;
  }

  /**
   * Runs the engine in this process, inside Pyodide: what happens anyway, so this changes nothing. Kept so
   * that code written against the original API, which had remote backends too, still builds.
   */
  withWasmBackend(): this {
    this.#backend = { mode: "wasm" };
    return this;
  }

  /** Where entries are kept, e.g. `sqliteStorage("./data/ledger.db")`. */
  withStorage(storage: StorageConfig): this {
    this.#storage = storage;
    return this;
  }

  /**
   * Turns access control on (`"inMemory"`) or off (`"none"`). `owner` is the ledger's owner (needed when
   * a ledger is created with access control on): it may append, grant and revoke.
   */
  withAcl(acl: AclConfig, owner?: string): this {
    this.#acl = acl;
    this.#owner = owner;
    return this;
  }

  /** Adds a module. */
  withModule(module: ModuleConfig): this {
    this.#modules.push(module);
    return this;
  }

  /** Adds modules. */
  withModules(modules: ModuleConfig[]): this {
    this.#modules.push(...modules);
    return this;
  }

  /** Merges engine options. */
  withOptions(options: LedgerOptions): this {
    this.#options = { ...this.#options, ...options };
    return this;
  }

  /** Sets `options.strictValidation`. */
  withStrictValidation(strict = true): this {
    this.#options.strictValidation = strict;
    return this;
  }

  /** Sets `options.maxEntries`. */
  withMaxEntries(maxEntries: number): this {
    this.#options.maxEntries = maxEntries;
    return this;
  }

  /** Sets `options.enableMetrics`. */
  withMetrics(enabled = true): this {
    this.#options.enableMetrics = enabled;
    return this;
  }

  /**
   * Browser only: the folder the runtime's files are served from (`assetsURL`, docs/BROWSER.md).
   * Ignored under Node.js.
   */
  withAssetsURL(assetsURL: string | URL): this {
    this.#assetsURL = assetsURL;
    return this;
  }

  /**
   * Browser only: runs the engine in a Web Worker (`worker`, docs/BROWSER.md). Under Node.js
   * `withWorker()` makes `build()` reject with `INVALID_CONFIG`.
   */
  withWorker(enabled = true): this {
    this.#worker = enabled;
    return this;
  }

  /** The configuration assembled so far. */
  buildConfig(): LedgerConfig {
    const config: LedgerConfig = { id: this.#id, modules: [...this.#modules] };
    if (this.#backend) config.backend = this.#backend;
    if (this.#storage) config.storage = this.#storage;
    if (this.#acl) config.acl = this.#acl;
    if (this.#owner !== undefined) config.owner = this.#owner;
    if (Object.keys(this.#options).length > 0) config.options = { ...this.#options };
    if (this.#assetsURL !== undefined) config.assetsURL = this.#assetsURL;
    if (this.#worker !== undefined) config.worker = this.#worker;
    return config;
  }

  /**
   * Opens the ledger: `createLedger(this.buildConfig())`, with the `createLedger` of the platform's
   * build (in a browser, the one that honours `assetsURL` and `worker`).
   */
  build(): Promise<Ledger> {
    return createLedger(this.buildConfig());
  }
}

/** Starts a {@link LedgerBuilder} for ledger `id`. */
export function ledgerBuilder(id: string): LedgerBuilder {
  return new LedgerBuilder(id);
}
