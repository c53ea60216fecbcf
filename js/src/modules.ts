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
 * The built-in `proof` module: records in its stream (`"proofs"` unless `config.stream` says otherwise)
 * need `subject_oid` and `issuer_oid` in their payload; queries can filter on both through `moduleFilters`.
 *
 * @param config - module settings, e.g. `{ stream: "attestations" }`
 * @throws {ConfigError} `INVALID_CONFIG` for a key other than `stream` and `requiredFields`
 */
export function proofModule(config: ProofModuleConfig = {}): ModuleConfig {
  return builtin("proof", config);
}

/**
 * The built-in `asset` module: records in its stream (`"assets"` unless `config.stream` says otherwise)
 * need `owner_oid` in their payload; queries can filter on it through `moduleFilters`.
 *
 * @param config - module settings, e.g. `{ stream: "inventory" }`
 * @throws {ConfigError} `INVALID_CONFIG` for a key other than `stream` and `requiredFields`
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
