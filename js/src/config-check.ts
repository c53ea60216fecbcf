/**
 * Checks a {@link LedgerConfig} before the runtime loads, so that a typo fails in milliseconds with a
 * message naming the option, not seconds later inside the engine. Not public.
 */

import { ConfigError } from "./errors.js";
import { describe, findJsonProblem, isPlainObject, type JsonObject } from "./json.js";
import { checkModuleConfig } from "./modules.js";
import { isNode } from "./runtime/platform.js";
import {
  checkConnectionString,
  checkDurability,
  checkReadOnly,
  checkSchema,
  checkSqlitePath,
  checkTimeout,
  POSTGRES_OPTION_KEYS,
  SQLITE_OPTION_KEYS,
} from "./storage.js";
import type { LedgerConfig, OpenVerification, PostgresStorageConfig, SqliteStorageConfig } from "./types/config.js";
import { checkCheckpoint, checkKeys } from "./validate.js";

const CONFIG_KEYS = ["id", "backend", "modules", "options", "storage", "acl", "owner", "checkpoint", "verify", "assetsURL", "worker"];
/** Values of `verify` ({@link OpenVerification}). */
const VERIFY_MODES = ["full", "fromCheckpoint"];
/** Keys of `options` ({@link LedgerOptions}). */
const OPTION_KEYS = ["strictValidation", "maxEntries", "enableMetrics", "uniqueIds"];
/** Keys of each backend mode; a backend with another mode is checked against all of them. */
const BACKEND_KEYS = { wasm: ["mode", "wasmPath"], http: ["mode", "url", "token"], any: ["mode", "wasmPath", "url", "token"] };
/** Keys of each storage type; a storage of another type is checked against all of them. */
const STORAGE_KEYS = {
  none: ["type"],
  sqlite: ["type", "path", ...SQLITE_OPTION_KEYS],
  postgres: ["type", "connectionString", ...POSTGRES_OPTION_KEYS],
  any: ["type", "path", ...SQLITE_OPTION_KEYS, "connectionString", ...POSTGRES_OPTION_KEYS],
};

/** A checked configuration: storage resolved to memory, SQLite or PostgreSQL, the rest as JSON for the engine. */
export interface CheckedConfig {
  id: string;
  storage: { type: "none" } | SqliteStorageConfig | PostgresStorageConfig;
  /** The `open` arguments other than `storage`. */
  openArgs: JsonObject;
}

/** Checks `config`; throws `INVALID_CONFIG` or `STORAGE_UNSUPPORTED`. */
export function checkConfig(config: unknown): CheckedConfig {
  if (!isPlainObject(config)) {
    throw new ConfigError(`createLedger takes a configuration object like { id: "my-ledger" }, got ${describe(config)}`);
  }
  checkKeys(config, CONFIG_KEYS, "ledger option", ConfigError);
  const id = config["id"];
  if (typeof id !== "string" || id.trim() === "") {
    throw new ConfigError(`ledger id must be a non-empty string, got ${describe(id)}`);
  }
  checkBackend(config["backend"]);
  checkBrowserOptions(config["assetsURL"], config["worker"]);
  const storage = checkStorage(config["storage"]);
  const openArgs: Record<string, unknown> = { id };
  for (const key of ["modules", "options", "acl", "owner", "checkpoint", "verify"] as const) {
    if (config[key] !== undefined) openArgs[key] = config[key];
  }
  const modules = openArgs["modules"];
  if (modules !== undefined && !Array.isArray(modules)) {
    throw new ConfigError(`modules must be an array like [proofModule(), assetModule()], got ${describe(modules)}`);
  }
  if (Array.isArray(modules)) modules.forEach((module: unknown, i) => checkModuleConfig(module, `modules[${i}]`));
  const options = openArgs["options"];
  if (options !== undefined && !isPlainObject(options)) {
    throw new ConfigError(`options must be an object like { maxEntries: 1000 }, got ${describe(options)}`);
  }
  if (isPlainObject(options)) checkKeys(options, OPTION_KEYS, "engine option", ConfigError, { option: "options" });
  checkCheckpoint(openArgs["checkpoint"]);
  const acl = openArgs["acl"];
  if (acl !== undefined && acl !== "none" && acl !== "inMemory") {
    throw new ConfigError(`acl must be "none" or "inMemory", got ${describe(acl)}`);
  }
  checkVerify(openArgs["verify"], openArgs["checkpoint"]);
  const problem = findJsonProblem(openArgs, "config");
  if (problem) throw new ConfigError(`${problem.path} ${problem.problem}`);
  return { id, storage, openArgs: openArgs as JsonObject };
}

/** `verify` is one of {@link VERIFY_MODES}; `"fromCheckpoint"` needs a checkpoint to start from. */
function checkVerify(verify: unknown, checkpoint: unknown): asserts verify is OpenVerification | undefined {
  if (verify === undefined) return;
  if (typeof verify !== "string" || !VERIFY_MODES.includes(verify)) {
    throw new ConfigError(`verify must be "full" or "fromCheckpoint", got ${describe(verify)}`);
  }
  if (verify === "fromCheckpoint" && checkpoint === undefined) {
    throw new ConfigError('verify: "fromCheckpoint" opens against a kept checkpoint: pass checkpoint too');
  }
}

function checkBackend(backend: unknown): void {
  if (backend === undefined) return;
  if (!isPlainObject(backend)) {
    throw new ConfigError(`backend must be an object like { mode: "wasm" }, got ${describe(backend)}`);
  }
  const mode = backend["mode"];
  checkKeys(backend, mode === "wasm" || mode === "http" ? BACKEND_KEYS[mode] : BACKEND_KEYS.any, "backend option", ConfigError, { option: "backend" });
  if (mode === "wasm") return;
  if (mode === "http") {
    throw new ConfigError('backend mode "http" is not supported yet: leave backend out (or use { mode: "wasm" }) to run the engine in this process');
  }
  throw new ConfigError(`backend.mode must be "wasm" or "http", got ${describe(backend["mode"])}`);
}

/** `assetsURL` and `worker` are browser options (runtime/browser/); under Node `worker: true` is refused. */
function checkBrowserOptions(assetsURL: unknown, worker: unknown): void {
  if (assetsURL !== undefined && typeof assetsURL !== "string" && !(assetsURL instanceof URL)) {
    throw new ConfigError(`assetsURL must be a URL or a string like "/nucleus/", got ${describe(assetsURL)}`);
  }
  if (worker !== undefined && typeof worker !== "boolean") {
    throw new ConfigError(`worker must be true or false, got ${describe(worker)}`);
  }
  if (worker === true && isNode()) {
    throw new ConfigError("worker: true runs the engine in a browser Web Worker; under Node.js leave it out");
  }
}

function checkStorage(storage: unknown): CheckedConfig["storage"] {
  if (storage === undefined) return { type: "none" };
  if (!isPlainObject(storage)) {
    throw new ConfigError(`storage must be a storage configuration such as sqliteStorage("./ledger.db"), got ${describe(storage)}`);
  }
  const type = storage["type"];
  const known = type === "none" || type === "sqlite" || type === "postgres" ? STORAGE_KEYS[type] : STORAGE_KEYS.any;
  checkKeys(storage, known, "storage option", ConfigError, { option: "storage" });
  switch (type) {
    case "none":
      return { type: "none" };
    case "sqlite": {
      checkSqlitePath(storage["path"]);
      const durability = checkDurability(storage["durability"], "storage.durability");
      const readOnly = checkReadOnly(storage["readOnly"], "storage.readOnly");
      return { type: "sqlite", path: storage["path"], durability, readOnly };
    }
    case "postgres": {
      checkConnectionString(storage["connectionString"]);
      const config: PostgresStorageConfig = { type: "postgres", connectionString: storage["connectionString"] };
      const schema = checkSchema(storage["schema"], "storage.schema");
      const timeout = checkTimeout(storage["timeout"], "storage.timeout");
      if (schema !== undefined) config.schema = schema;
      if (timeout !== undefined) config.timeout = timeout;
      return config;
    }
    default:
      throw new ConfigError(`storage.type must be "none", "sqlite" or "postgres", got ${describe(storage["type"])}`);
  }
}
