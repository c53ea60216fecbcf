/** Module configuration helpers for the built-in modules. */

import type { AssetModuleConfig, ModuleConfig, ProofModuleConfig } from "./types/module.js";

/** Version of the built-in modules' configuration shape. */
const BUILTIN_VERSION = "1.0.0";

/**
 * The built-in `proof` module: records in its stream (`"proofs"` unless `config.stream` says otherwise)
 * need `subject_oid` and `issuer_oid` in their payload; queries can filter on both through `moduleFilters`.
 *
 * @param config - module settings, e.g. `{ stream: "attestations" }`
 */
export function proofModule(config: ProofModuleConfig = {}): ModuleConfig {
  return { id: "proof", version: BUILTIN_VERSION, config: { ...config } };
}

/**
 * The built-in `asset` module: records in its stream (`"assets"` unless `config.stream` says otherwise)
 * need `owner_oid` in their payload; queries can filter on it through `moduleFilters`.
 *
 * @param config - module settings, e.g. `{ stream: "inventory" }`
 */
export function assetModule(config: AssetModuleConfig = {}): ModuleConfig {
  return { id: "asset", version: BUILTIN_VERSION, config: { ...config } };
}
