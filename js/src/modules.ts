/** Module configuration helpers for the built-in modules. */

import { ConfigError } from "./errors.js";
import { describe, isPlainObject } from "./json.js";
import type { AssetModuleConfig, ModuleConfig, ProofModuleConfig } from "./types/module.js";
import { checkKeys } from "./validate.js";

/** Version of the built-in modules' configuration shape. */
const BUILTIN_VERSION = "1.0.0";

/** Keys of a {@link ModuleConfig}. */
const MODULE_KEYS = ["id", "version", "config"];

/** Keys of a built-in module's `config`: what the engine's `proof` and `asset` modules read. */
const BUILTIN_CONFIG_KEYS = ["stream", "requiredFields"];

/**
 * The built-in `proof` module. A record in its stream (`"proofs"` unless `config.stream` says otherwise)
 * needs an object payload with non-empty string fields `subject_oid` and `issuer_oid` (or those of
 * `config.requiredFields`), or the append is refused with `MODULE_REJECTED`. Queries filter on those
 * fields with `moduleFilters: { proof: { … } }`.
 *
 * @param config - `{ stream?, requiredFields? }`; the defaults when left out
 * @throws {ConfigError} `INVALID_CONFIG` for a key other than `stream` and `requiredFields`
 * @example
 * const ledger = await createLedger({ id: "claims", modules: [proofModule()] });
 * await ledger.append({
 *   id: "p-1",
 *   stream: "proofs",
 *   payload: { subject_oid: "oid:onoal:human:alice", issuer_oid: "oid:onoal:org:acme" },
 * });
 * const { total } = await ledger.query({ moduleFilters: { proof: { issuer_oid: "oid:onoal:org:acme" } } });
 */
export function proofModule(config: ProofModuleConfig = {}): ModuleConfig {
  return builtin("proof", config);
}

/**
 * The built-in `asset` module. A record in its stream (`"assets"` unless `config.stream` says otherwise)
 * needs an object payload with a non-empty string field `owner_oid` (or those of `config.requiredFields`),
 * or the append is refused with `MODULE_REJECTED`. Queries filter on those fields with
 * `moduleFilters: { asset: { … } }`.
 *
 * @param config - `{ stream?, requiredFields? }`; the defaults when left out
 * @throws {ConfigError} `INVALID_CONFIG` for a key other than `stream` and `requiredFields`
 * @example
 * const ledger = await createLedger({ id: "stock", modules: [assetModule({ stream: "inventory" })] });
 * await ledger.append({ id: "a-1", stream: "inventory", payload: { owner_oid: "oid:onoal:org:acme", sku: "X1" } });
 * const owned = await ledger.query({ moduleFilters: { asset: { owner_oid: "oid:onoal:org:acme" } } });
 */
export function assetModule(config: AssetModuleConfig = {}): ModuleConfig {
  return builtin("asset", config);
}

function builtin(id: "proof" | "asset", config: ProofModuleConfig | AssetModuleConfig): ModuleConfig {
  const module = { id, version: BUILTIN_VERSION, config: { ...config } };
  checkModuleConfig(module, `${id}Module()`);
  return module;
}

/**
 * Refuses a module entry with a key other than `id`, `version` and `config`, or a built-in module's
 * `config` with a key the engine does not read (`INVALID_CONFIG`); the engine checks the values.
 * `where` names the entry in messages, e.g. `modules[1]`. Shared with `createLedger`.
 */
export function checkModuleConfig(module: unknown, where: string): void {
  if (!isPlainObject(module)) {
    throw new ConfigError(`${where} must be a module configuration such as proofModule(), got ${describe(module)}`);
  }
  checkKeys(module, MODULE_KEYS, "module field", ConfigError, { module: where });
  const config = module["config"];
  if ((module["id"] === "proof" || module["id"] === "asset") && isPlainObject(config)) {
    checkKeys(config, BUILTIN_CONFIG_KEYS, `${module["id"]} module option`, ConfigError, { module: where });
  }
}
