/**
 * The host-level lock of a ledger file: `<db>.lock`, created atomically (`O_CREAT | O_EXCL`) and holding
 * `{"pid", "hostname", "createdAt", "tool"}` as JSON. Emscripten's own file locks are fake, so this file
 * is what keeps a second writer out. The Python engine on CPython uses the same protocol, so the two
 * exclude each other.
 *
 * - A lock whose process is alive on this host (`process.kill(pid, 0)`) means `LEDGER_LOCKED`.
 * - A lock whose process is gone is stale: it is removed (only if unchanged since it was read) and the
 *   acquisition retried once.
 * - A lock from another host cannot be checked and counts as held.
 * - An unreadable lock younger than a few seconds may be mid-write by its creator: held; older: stale.
 *
 * Locks are released by `close()` and, as a last resort, on the process's `exit` event. Not public.
 */

import { closeSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { LedgerLockedError, StorageError } from "../../errors.js";

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** Milliseconds since the epoch (the Python engine writes the same). */
  createdAt: number;
  tool: string;
}

/** An acquired lock. */
export interface HeldLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** How old an unparsable lock file must be before it counts as stale, in ms. */
const PARTIAL_WRITE_GRACE_MS = 5000;

const held = new Set<HeldLock>();
let exitHookInstalled = false;

/** The lock file's path for a database path. */
export function lockPathFor(dbPath: string): string {
  return `${dbPath}.lock`;
}

/** Takes the lock of `dbPath` or throws `LEDGER_LOCKED` naming the holder. */
export function acquireLock(dbPath: string): HeldLock {
  const path = lockPathFor(dbPath);
  for (let attempt = 0; attempt < 2; attempt++) {
    const lock = tryCreate(path);
    if (lock) return lock;
    const { text, info } = readLock(path);
    if (text === undefined) continue; // vanished between create and read: try again
    if (!isStale(path, info)) throw lockedError(dbPath, path, info);
    removeIfUnchanged(path, text);
  }
  throw lockedError(dbPath, path, readLock(path).info);
}

function tryCreate(path: string): HeldLock | undefined {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw new StorageError(`cannot create the lock file ${path}: ${(err as Error).message}`, { path });
  }
  const info: LockInfo = { pid: process.pid, hostname: hostname(), createdAt: Date.now(), tool: "nucleus-js" };
  const text = JSON.stringify(info);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const lock: HeldLock = {
    path,
    info,
    release() {
      if (!held.delete(lock)) return;
      removeIfUnchanged(path, text);
    },
  };
  held.add(lock);
  installExitHook();
  return lock;
}

function readLock(path: string): { text: string | undefined; info: LockInfo | undefined } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { text: undefined, info: undefined };
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo>;
    if (typeof parsed.pid === "number" && Number.isSafeInteger(parsed.pid)) {
      return { text, info: { pid: parsed.pid, hostname: String(parsed.hostname ?? ""), createdAt: typeof parsed.createdAt === "number" ? parsed.createdAt : Number.NaN, tool: String(parsed.tool ?? "") } };
    }
  } catch {
    // unparsable: handled by the caller
  }
  return { text, info: undefined };
}

function isStale(path: string, info: LockInfo | undefined): boolean {
  if (!info) {
    try {
      return Date.now() - statSync(path).mtimeMs > PARTIAL_WRITE_GRACE_MS;
    } catch {
      return true;
    }
  }
  if (info.hostname !== hostname()) return false;
  return !processAlive(info.pid);
}

/** Whether `pid` is a live process on this host. EPERM means alive but owned by someone else. */
export function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Unlinks `path` only if it still holds `text`, narrowing the race with another remover. */
function removeIfUnchanged(path: string, text: string): void {
  try {
    if (readFileSync(path, "utf8") === text) unlinkSync(path);
  } catch {
    // already gone
  }
}

function lockedError(dbPath: string, path: string, info: LockInfo | undefined): LedgerLockedError {
  if (!info) {
    return new LedgerLockedError(`${dbPath} is locked: ${path} exists and is being written; try again`, { path: dbPath, lockFile: path });
  }
  const sameHost = info.hostname === hostname();
  const self = sameHost && info.pid === process.pid ? ", i.e. another ledger open in this process" : "";
  const host = sameHost ? info.hostname : `${info.hostname}, another host`;
  return new LedgerLockedError(
    `${dbPath} is locked by process ${info.pid} (${host})${self} ${since(info.createdAt)}; close that ledger ` +
      `first, or delete ${path} if you are sure that process is gone`,
    { path: dbPath, lockFile: path, pid: info.pid, hostname: info.hostname },
  );
}

function since(createdAt: number): string {
  return Number.isFinite(createdAt) ? ` since ${new Date(createdAt).toISOString()}` : "";
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const lock of [...held]) lock.release();
  });
}
