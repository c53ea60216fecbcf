/**
 * Opens the host side of a SQLite ledger under Node.js: resolve and check the path, create missing
 * directories, take the file lock, mount the directory into Pyodide. A read-only open does neither of
 * the first two: the file must exist, and nothing is created. Not public.
 */

import { existsSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { PyodideAPI } from "pyodide";
import { ConfigError, StorageError } from "../../errors.js";
import { checkSqlitePath } from "../../storage.js";
import type { SqliteStorageConfig } from "../../types/config.js";
import type { HostStorage } from "../bridge-types.js";
import { acquireLock } from "./lock.js";
import { mountHostDir } from "./mounts.js";

/** Prepares `config` for the engine's `open`; the caller must call `release()` when done or on failure. */
export function openSqliteOnNode(config: SqliteStorageConfig, pyodide: PyodideAPI): HostStorage {
  checkSqlitePath(config.path);
  const hostPath = resolveDbPath(config.path);
  const dir = dirname(hostPath);
  if (config.readOnly === true) return openReadOnly(hostPath, config, pyodide);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StorageError(`cannot create the directory ${dir} for ${hostPath}: ${(err as Error).message}`, { path: hostPath });
  }
  const lock = acquireLock(hostPath);
  try {
    const mountPoint = mountHostDir(pyodide, dir);
    return {
      bridge: { type: "sqlite", path: `${mountPoint}/${basename(hostPath)}`, durability: config.durability ?? "full", lock: false, readOnly: false },
      release: () => lock.release(),
    };
  } catch (err) {
    lock.release();
    throw new StorageError(`cannot make ${dir} available to the engine: ${(err as Error).message}`, { path: hostPath });
  }
}

/**
 * A read-only open: the file must exist (a read-only open never creates a ledger); no directory is made,
 * no lock taken. The engine opens it without writing (docs/FORMAT.md §5, read-only opening).
 */
function openReadOnly(hostPath: string, config: SqliteStorageConfig, pyodide: PyodideAPI): HostStorage {
  if (!existsSync(hostPath)) {
    throw new StorageError(`${hostPath} does not exist; a read-only open never creates a ledger`, { path: hostPath, reason: "missing" });
  }
  const dir = dirname(hostPath);
  let mountPoint: string;
  try {
    mountPoint = mountHostDir(pyodide, dir, "read");
  } catch (err) {
    throw new StorageError(`cannot make ${dir} available to the engine: ${(err as Error).message}`, { path: hostPath });
  }
  return {
    bridge: { type: "sqlite", path: `${mountPoint}/${basename(hostPath)}`, durability: config.durability ?? "full", lock: false, readOnly: true },
    release: () => {},
  };
}

/** Absolute path of the database (relative to the working directory), symlinks resolved when it exists. */
function resolveDbPath(path: string): string {
  const absolute = resolve(process.cwd(), path);
  let stat;
  try {
    stat = statSync(absolute);
  } catch {
    return absolute; // does not exist yet: the engine creates it
  }
  if (stat.isDirectory()) {
    throw new ConfigError(`sqliteStorage path ${absolute} is a directory; give a file path inside it, e.g. ${absolute}/ledger.db`, { path: absolute });
  }
  if (!stat.isFile()) {
    throw new ConfigError(`sqliteStorage path ${absolute} is not a regular file`, { path: absolute });
  }
  return realpathSync(absolute);
}
