/**
 * Checks a {@link LedgerConfig} before the runtime loads, so that a typo fails in milliseconds with a
 * message naming the option, not seconds later inside the engine. Not public.
 */

import { ConfigError, StorageUnsupportedError } from "./errors.js";
import { describe, findJsonProblem, isPlainObject, type JsonObject } from "./json.js";
import { isNode } from "./runtime/platform.js";
import { checkSqlitePath } from "./storage.js";
import { closest } from "./suggest.js";
import type { LedgerConfig, SqliteStorageConfig } from "./types/config.js";

const CONFIG_KEYS = ["id", "backend", "modules", "options", "storage", "acl", "owner", "checkpoint", "assetsURL", "worker"];

/** A checked configuration: storage resolved to memory or SQLite, the rest as JSON for the engine. */
export interface CheckedConfig {
  id: string;
  storage: { type: "none" } | SqliteStorageConfig;
  /** The `open` arguments other than `storage`. */
  openArgs: JsonObject;
}

/** Checks `config`; throws `INVALID_CONFIG` or `STORAGE_UNSUPPORTED`. */
export function checkConfig(config: unknown): CheckedConfig {
  if (!isPlainObject(config)) {
    throw new ConfigError(`createLedger takes a configuration object like { id: "my-ledger" }, got ${describe(config)}`);
  }
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key)) {
      const guess = closest(key, CONFIG_KEYS);
      throw new ConfigError(`unknown ledger option "${key}"${guess ? ` (did you mean "${guess}"?)` : ""}; known options: ${CONFIG_KEYS.join(", ")}`);
    }
  }
  const id = config["id"];
  if (typeof id !== "string" || id.trim() === "") {
    throw new ConfigError(`ledger id must be a non-empty string, got ${describe(id)}`);
  }
  checkBackend(config["backend"]);
  checkBrowserOptions(config["assetsURL"], config["worker"]);
  const storage = checkStorage(config["storage"]);
  const openArgs: Record<string, unknown> = { id };
  for (const key of ["modules", "options", "acl", "owner", "checkpoint"] as const) {
    if (config[key] !== undefined) openArgs[key] = config[key];
  }
  if (openArgs["modules"] !== undefined && !Array.isArray(openArgs["modules"])) {
    throw new ConfigError(`modules must be an array like [proofModule(), assetModule()], got ${describe(openArgs["modules"])}`);
  }
  if (openArgs["options"] !== undefined && !isPlainObject(openArgs["options"])) {
    throw new ConfigError(`options must be an object like { maxEntries: 1000 }, got ${describe(openArgs["options"])}`);
  }
  const acl = openArgs["acl"];
  if (acl !== undefined && acl !== "none" && acl !== "inMemory") {
    throw new ConfigError(`acl must be "none" or "inMemory", got ${describe(acl)}`);
  }
  const problem = findJsonProblem(openArgs, "config");
  if (problem) throw new ConfigError(`${problem.path} ${problem.problem}`);
  return { id, storage, openArgs: openArgs as JsonObject };
}

function checkBackend(backend: unknown): void {
  if (backend === undefined) return;
  if (!isPlainObject(backend)) {
    throw new ConfigError(`backend must be an object like { mode: "wasm" }, got ${describe(backend)}`);
  }
  if (backend["mode"] === "wasm") return;
  if (backend["mode"] === "http") {
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
  switch (storage["type"]) {
    case "none":
      return { type: "none" };
    case "sqlite": {
      checkSqlitePath(storage["path"]);
      const durability = storage["durability"] ?? "full";
      if (durability !== "full" && durability !== "fast") {
        throw new ConfigError(`storage.durability must be "full" or "fast", got ${describe(durability)}`);
      }
      return { type: "sqlite", path: storage["path"], durability };
    }
    case "postgres":
      throw new StorageUnsupportedError(
        "PostgreSQL storage is not supported yet; use sqliteStorage(path) under Node.js, or inMemoryStorage()",
      );
    default:
      throw new ConfigError(`storage.type must be "none", "sqlite" or "postgres", got ${describe(storage["type"])}`);
  }
}
