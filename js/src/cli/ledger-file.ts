/**
 * A ledger file as the `nucleus` command sees it: where it is, who holds its lock, what it holds (read
 * by the engine without opening a ledger, so broken files can be inspected too), and opening it as a
 * ledger whose id is read from the file: read-only for the commands that only read (no lock, no file
 * created or changed), with its lock for those that write.
 */

import { existsSync, readFileSync, realpathSync, rmdirSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, resolve } from "node:path";
import { createLedger } from "../create-ledger.js";
import { NucleusError } from "../errors.js";
import type { JsonObject, JsonValue } from "../json.js";
import { acquireLock, type HeldLock, lockPathFor, processAlive } from "../runtime/node/lock.js";
import { mountHostDir, type MountUse } from "../runtime/node/mounts.js";
import { getRuntime, type Runtime } from "../runtime/runtime.js";
import { sqliteStorage } from "../storage.js";
import type { Ledger } from "../types/ledger.js";
import { checkRecord } from "../validate.js";
import { UsageError } from "./args.js";

/** A failure that makes the file unusable for the command (exit status 2), with a code like the API's. */
export class UnusableError extends Error {
  /** @param message - what is wrong @param code - a stable code, e.g. `NOT_FOUND` */
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "UnusableError";
  }
}

/** A database path on the host. */
export interface DbFile {
  /** As the user typed it (for messages). */
  arg: string;
  /** Absolute, symlinks resolved when it exists. */
  path: string;
  /** Whether the file exists. */
  exists: boolean;
}

/** Resolves `arg`; a missing file is an {@link UnusableError} unless `mayCreate`. A directory always is. */
export function dbFile(arg: string, command: string, mayCreate = false): DbFile {
  if (arg.trim() === "") throw new UsageError("the database path is empty", command);
  const absolute = resolve(process.cwd(), arg);
  if (!existsSync(absolute)) {
    if (mayCreate) return { arg, path: absolute, exists: false };
    throw new UnusableError(`${arg}: no such file`, "NOT_FOUND");
  }
  const stat = statSync(absolute);
  if (stat.isDirectory()) throw new UnusableError(`${arg} is a directory, not a ledger file`, "IS_A_DIRECTORY");
  if (!stat.isFile()) throw new UnusableError(`${arg} is not a regular file`, "NOT_A_FILE");
  return { arg, path: realpathSync(absolute), exists: true };
}

/** Who holds a file's lock, as `<db>.lock` says. */
export interface LockHolder {
  pid: number | null;
  hostname: string | null;
  createdAt: number | null;
  tool: string | null;
  /** `true` alive, `false` gone (a stale lock the next opener replaces), `null` cannot tell (other host). */
  alive: boolean | null;
}

/** The holder of `db`'s lock, or null when it is not locked. */
export function lockHolder(db: DbFile): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(lockPathFor(db.path), "utf8");
  } catch {
    return null;
  }
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") data = parsed as Record<string, unknown>;
  } catch {
    // a lock being written, or garbage: report what we can
  }
  const pid = typeof data["pid"] === "number" ? data["pid"] : null;
  const host = typeof data["hostname"] === "string" ? data["hostname"] : null;
  const sameHost = host === null || host === hostname();
  return {
    pid,
    hostname: host,
    createdAt: typeof data["createdAt"] === "number" ? data["createdAt"] : null,
    tool: typeof data["tool"] === "string" ? data["tool"] : null,
    alive: pid === null || !sameHost ? null : processAlive(pid),
  };
}

/** What `inspect` reports about a ledger file (docs/BRIDGE.md). */
export interface Inspection {
  ledgerId: string | null;
  formatVersion: number;
  schemaVersion: number;
  owner: string | null;
  entries: number;
  latestHash: string | null;
  firstTimestamp: number | null;
  lastTimestamp: number | null;
  streams: { stream: string; entries: number }[];
  /** What the read-only reading of the file cannot promise. */
  caveats: string[];
}

/** The engine runtime of this process, started on first use. */
export async function engine(): Promise<Runtime> {
  return getRuntime();
}

/** The path of `db` inside the runtime (its directory mounted for `use` on first use). */
function runtimePath(runtime: Runtime, db: DbFile, use: MountUse = "read"): string {
  return `${mountHostDir(runtime.pyodide, dirname(db.path), use)}/${basename(db.path)}`;
}

/** Reads what the file holds, without verifying or writing it. */
export function inspect(runtime: Runtime, db: DbFile): Inspection {
  return runtime.call("inspect", undefined, { path: runtimePath(runtime, db) }) as unknown as Inspection;
}

/** Where a chunked verification stands: the verified prefix. */
export interface VerifiedPrefix {
  size: number;
  hash: string | null;
  timestamp: number;
  done: boolean;
  /** What the read-only reading of the file cannot promise. */
  caveats: string[];
}

/** Verifies up to `limit` entries after `from`, read-only; throws `CHAIN_INVALID` at the first fault. */
export function verifyChunk(
  runtime: Runtime,
  db: DbFile,
  from: VerifiedPrefix | null,
  limit: number,
  checkpoint?: JsonValue,
): VerifiedPrefix {
  const args: JsonObject = { path: runtimePath(runtime, db), limit };
  if (from) args["from"] = { size: from.size, hash: from.hash, timestamp: from.timestamp };
  if (checkpoint !== undefined) args["checkpoint"] = checkpoint;
  return runtime.call("verifyFile", undefined, args) as unknown as VerifiedPrefix;
}

/** Takes the file's lock (the same lock a ledger takes) or throws `LEDGER_LOCKED`. */
export function lockFile(db: DbFile): HeldLock {
  return acquireLock(db.path);
}

/**
 * Opens the ledger in `db` with the API (lock, verify), its id read from the file. A new file needs
 * `createId`; an existing file whose id differs from `expectId` is refused by the engine (`LEDGER_MISMATCH`).
 * `readOnly` opens an existing file without its lock and without writing anything.
 */
export async function openLedger(db: DbFile, options: { createId?: string; expectId?: string; readOnly?: boolean } = {}): Promise<Ledger> {
  const runtime = await engine();
  let id: string | undefined;
  if (db.exists) {
    const found = inspect(runtime, db).ledgerId;
    if (found === null) throw new UnusableError(`${db.arg} holds no ledger id; it was not written by Nucleus`, "NOT_A_LEDGER");
    id = options.expectId ?? found;
  } else {
    id = options.createId;
    if (id === undefined) throw new UnusableError(`${db.arg}: no such file`, "NOT_FOUND");
  }
  return createLedger({ id, storage: sqliteStorage(db.path, options.readOnly ? { readOnly: true } : {}) });
}

/** Reads made again from a new open when another process's checkpoint changed the file under them. */
const READ_ATTEMPTS = 3;

/**
 * Opens the ledger in `db` read-only (see {@link openLedger}: no lock, nothing written), runs `use` on it
 * and closes it. Should another process checkpoint the file meanwhile (`STORAGE_ERROR`, reason
 * `changed`), it opens the file again, which verifies it again, and runs `use` again, up to three times.
 */
export async function withReadOnlyLedger<T>(db: DbFile, use: (ledger: Ledger) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ledger = await openLedger(db, { readOnly: true });
    try {
      return await use(ledger);
    } catch (err) {
      if (!(err instanceof NucleusError && err.details["reason"] === "changed" && attempt < READ_ATTEMPTS)) throw err;
    } finally {
      await ledger.close();
    }
  }
}

/** Copies the format-1 ledger `ledgerId` in `source` into the new format-2 file `target` (`upgradeFile`). */
export function upgradeFile(runtime: Runtime, source: DbFile, target: DbFile, ledgerId: string): { size: number; hash: string | null } {
  const args = { source: runtimePath(runtime, source), target: runtimePath(runtime, target, "write"), ledgerId };
  return runtime.call("upgradeFile", undefined, args) as unknown as { size: number; hash: string | null };
}

/**
 * Refuses `record` (and `ledgerId`, when given) as appending it would, without opening or creating
 * anything: the package's own checks, then the engine's (`validateRecord`). Only the rules that need the
 * ledger's entries (a timestamp going back) are left to the append itself.
 */
export function validateRecord(runtime: Runtime, record: unknown, ledgerId?: string): void {
  const args: JsonObject = { record: checkRecord(record) };
  if (ledgerId !== undefined) args["ledgerId"] = ledgerId;
  runtime.call("validateRecord", undefined, args);
}

/** Verifies an export whole for a new ledger `ledgerId`, writing nothing (`validateExport`). */
export function validateExport(runtime: Runtime, text: string, ledgerId: string): void {
  runtime.call("validateExport", undefined, { data: text, ledgerId });
}

/**
 * Opens the ledger in `db` (see {@link openLedger}), runs `use` on it and closes it. A command checks its
 * input before it gets here; should `use` (or opening) fail anyway, a file that did not exist is removed
 * again with its `-wal` and `-shm` and the directories made for it: a refused command leaves nothing.
 */
export async function withLedger<T>(
  db: DbFile,
  options: { createId?: string; expectId?: string },
  use: (ledger: Ledger) => Promise<T>,
): Promise<T> {
  const made = db.exists ? [] : missingDirs(dirname(db.path));
  let ok = false;
  try {
    const ledger = await openLedger(db, options);
    try {
      const result = await use(ledger);
      ok = true;
      return result;
    } finally {
      await ledger.close();
    }
  } finally {
    if (!ok && !db.exists) removeCreated(db.path, made);
  }
}

/** `dir` and its ancestors that do not exist, deepest first. */
function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.push(d);
  return missing;
}

function removeCreated(path: string, dirs: string[]): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  for (const dir of dirs) {
    try {
      rmdirSync(dir); // only while empty: anything else put there meanwhile stays
    } catch {
      return;
    }
  }
}
