/**
 * What a platform provides to the runtime (docs/ARCHITECTURE.md, "Layers"). Node.js provides files,
 * locks, mounts and fsync (runtime/node/); browsers provide the URLs of their assets and memory storage
 * only (runtime/browser/). Not public.
 */

import type { PyodideAPI } from "pyodide";
import type { PostgresStorageConfig, SqliteStorageConfig } from "../types/config.js";
import type { HostStorage } from "./bridge-types.js";

/** Where the runtime's files are. */
export interface RuntimeAssets {
  /** Directory (Node) or URL (browser) holding pyodide.asm.wasm etc., with a trailing slash. */
  indexURL: string;
  /** The precompiled stdlib zip, or undefined for Pyodide's own. */
  stdLibURL: string | undefined;
  /**
   * The stdlib zip a start from the snapshot mounts instead: the stdlib without the modules the snapshot has
   * imported already (a third of it). Undefined: the same as {@link RuntimeAssets.stdLibURL}.
   */
  snapshotStdLibURL?: string | undefined;
  /**
   * A memory snapshot of a started runtime with the engine imported (private Pyodide API), or undefined.
   * The browser passes a promise, so that its download overlaps Pyodide's own fetches.
   * When loading from it fails, the runtime starts normally.
   */
  snapshot: Uint8Array | PromiseLike<Uint8Array> | undefined;
  /**
   * Reads (Node) or fetches (browser) the engine wheel's bytes: only a normal start installs it (a snapshot holds
   * the engine already), so a page started from the snapshot never downloads it.
   */
  wheel(): Promise<Uint8Array>;
  /** Version of the engine inside the wheel (from the build manifest). */
  engineVersion: string;
}

/** The platform services the runtime needs. */
export interface Host {
  /** Finds the runtime's files. */
  assets(): Promise<RuntimeAssets>;
  /** Prepares a freshly loaded Pyodide (e.g. installs the fsync hook). */
  prepare(pyodide: PyodideAPI): void;
  /** Takes the file lock and mounts the directory of a SQLite ledger. */
  openSqlite(config: SqliteStorageConfig, pyodide: PyodideAPI): HostStorage;
  /**
   * Checks that the PostgreSQL driver is there and says how the engine reaches the server; absent where no
   * connection can be made (browsers: `STORAGE_UNSUPPORTED`).
   */
  openPostgres?(config: PostgresStorageConfig): HostStorage;
  /**
   * Rewrites the runtime's own file paths in `text` (an engine message) into the host paths they stand
   * for; absent where the runtime sees no host files (browsers).
   */
  hostPaths?(pyodide: PyodideAPI, text: string): string;
}
