/**
 * The host-level lock of a ledger file: `<db>.lock`, holding `{"pid", "hostname", "createdAt", "tool"}` as
 * JSON. Emscripten's own file locks are fake (docs/ARCHITECTURE.md, "What Node.js changes"), so this file is
 * what keeps a second writer out. The protocol is specified in docs/FORMAT.md §5 and implemented identically
 * by the Python engine on CPython (py/nucleus/storage/_lock.py), so the two exclude each other. In short:
 *
 * - A lock (and a takeover claim, below) is published by writing its JSON to a private temp file
 *   `<db>.lock.tmp.<pid>.<hex>` and `link()`-ing that to the final name: the link fails if the name exists,
 *   and a reader never sees a half-written file.
 * - A file whose holder is a dead process on this host is stale. It is never unlinked on sight: only the
 *   process that published the claim `<db>.lock.takeover.<inode of that file>` may unlink it, after checking
 *   under the claim that the same inode with the same bytes is still there and still stale.
 * - A claim is itself a lock file: a dead holder's claim is removed the same way, under a claim named after
 *   the claim's own inode.
 * - A lock from another host cannot be checked and counts as held.
 *
 * Locks are released by `close()` and, as a last resort, on the process's `exit` event. Not public.
 */

import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
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

/** An unparsable lock this young may be mid-write by a creator that could not use link() (see publish). */
const PARTIAL_WRITE_GRACE_MS = 5000;
/** A temp file this old was left by a crash; deleting a live one would only fail its creator's link(). */
const TEMP_GRACE_MS = 60_000;
/** How long an opener waits for another process's takeover to finish before reporting who is at it. */
const TAKEOVER_WAIT_MS = 1000;
/** A claim on a claim on a claim...: each level needs another crash in the takeover window, so few suffice. */
const MAX_CLAIM_DEPTH = 4;
const MAX_PID = 2 ** 31 - 1;
/** link() errors that mean "this file system has no hard links": publish by O_EXCL creation instead. */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

/** One file read through one descriptor, so the inode and the bytes belong together. */
interface Snapshot {
  /** Decimal, as in claim names (a bigint: inode numbers can exceed 2^53). */
  ino: string;
  data: Buffer;
  ageMs: number;
  /** Undefined: not a JSON object with a valid pid. */
  info: LockInfo | undefined;
}

/** A lock we cannot read (another user's, a directory...): an age of 0 makes it count as held, never stale. */
const UNREADABLE: Snapshot = { ino: "-1", data: Buffer.alloc(0), ageMs: 0, info: undefined };

const held = new Set<HeldLock>();
let exitHookInstalled = false;

/** The lock file's path for a database path. */
export function lockPathFor(dbPath: string): string {
  return `${dbPath}.lock`;
}

/** Takes the lock of `dbPath` or throws `LEDGER_LOCKED` naming the holder. */
export function acquireLock(dbPath: string): HeldLock {
  const path = lockPathFor(dbPath);
  const info: LockInfo = { pid: process.pid, hostname: hostname(), createdAt: Date.now(), tool: "nucleus-js" };
  const data = Buffer.from(JSON.stringify(info));
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  let snap: Snapshot | undefined;
  for (let attempt = 0; attempt < 1000; attempt++) {
    let ino: string | undefined;
    try {
      ino = publish(path, path, data);
    } catch (err) {
      // A read-only directory with a live lock in it: say who holds it rather than "read-only".
      const current = read(path);
      if (current && !isStale(current)) throw lockedError(dbPath, path, current.info);
      throw err;
    }
    if (ino !== undefined) return hold(path, info, ino, data);
    snap = read(path);
    if (!snap) continue; // released between our link and our read
    if (!isStale(snap)) throw lockedError(dbPath, path, snap.info);
    const claim = removeStale(path, path, snap, 0);
    if (!claim) continue;
    if (Date.now() > deadline) {
      throw new LedgerLockedError(
        `${dbPath} has a stale lock (${describe(snap.info)} is gone) that ${describe(claim.info)} is taking over; ` +
          `try again (if that process is not a Nucleus process, delete ${path}.takeover.${snap.ino})`,
        { path: dbPath, lockFile: path },
      );
    }
    sleep(1 + Math.random() * 4);
  }
  throw lockedError(dbPath, path, snap?.info);
}

function hold(path: string, info: LockInfo, ino: string, data: Buffer): HeldLock {
  const lock: HeldLock = {
    path,
    info,
    release() {
      if (!held.delete(lock)) return;
      // While we live nobody may remove our lock (it is not stale), so if it is still ours by inode and
      // bytes it stays ours until this unlink; a lock someone else created in its place is left alone.
      const now = read(path);
      if (now && now.ino === ino && now.data.equals(data)) unlinkQuietly(path);
    },
  };
  held.add(lock);
  installExitHook();
  sweep(path);
  return lock;
}

function holderBytes(): Buffer {
  return Buffer.from(JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: Date.now(), tool: "nucleus-js" }));
}

function parseHolder(data: Buffer): LockInfo | undefined {
  let parsed: unknown;
  try {
    // Fatal and BOM-preserving, so bytes Python's strict decoder refuses are refused here too.
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(data));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const p = parsed as Record<string, unknown>;
  const pid = p["pid"];
  // kill(0 or a negative pid) would probe a process group, not a holder.
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0 || pid > MAX_PID) return undefined;
  return {
    pid,
    // "" for a missing or odd name: never this host's name, so such a lock is never stale (as in Python).
    hostname: typeof p["hostname"] === "string" ? p["hostname"] : "",
    createdAt: typeof p["createdAt"] === "number" ? p["createdAt"] : Number.NaN,
    tool: typeof p["tool"] === "string" ? p["tool"] : "",
  };
}

/** The file at `path`, or undefined when there is none. */
function read(path: string): Snapshot | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? undefined : UNREADABLE;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const data = readFileSync(fd);
    return { ino: st.ino.toString(), data, ageMs: Date.now() - Number(st.mtimeMs), info: parseHolder(data) };
  } catch {
    return UNREADABLE;
  } finally {
    closeSync(fd);
  }
}

function isStale(snap: Snapshot): boolean {
  if (!snap.info) return snap.ageMs > PARTIAL_WRITE_GRACE_MS;
  if (snap.info.hostname !== hostname()) return false; // another machine's process cannot be checked from here
  return !processAlive(snap.info.pid);
}

/** Whether `pid` is a live process on this host. EPERM means alive but owned by someone else. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid > MAX_PID) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive under another user; anything else but ESRCH: cannot tell, so never steal.
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

function storageError(action: string, path: string, err: unknown): StorageError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === "EACCES" || code === "EROFS" ? "read_only" : "io";
  return new StorageError(`cannot ${action} ${path}: ${(err as Error).message}`, { path, reason });
}

/** Creates `path` (O_EXCL) holding `data`, synced; its inode. Throws EEXIST when it exists. */
function writeNew(path: string, data: Buffer): string {
  const fd = openSync(path, "wx", 0o644);
  let ino: string;
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
    fsyncSync(fd);
    ino = fstatSync(fd, { bigint: true }).ino.toString();
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(path);
    throw err;
  }
  closeSync(fd);
  return ino;
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException).code === code;
}

/** Creates `target` holding `data` as one atomic step; its inode, or undefined if `target` exists. */
function publish(lockPath: string, target: string, data: Buffer): string | undefined {
  const temp = `${lockPath}.tmp.${process.pid}.${randomBytes(8).toString("hex")}`;
  let ino: string;
  try {
    ino = writeNew(temp, data);
  } catch (err) {
    throw storageError("create the lock file", lockPath, err);
  }
  try {
    linkSync(temp, target);
    return ino;
  } catch (err) {
    if (isCode(err, "EEXIST")) return undefined;
    if (!NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code ?? "")) throw storageError("create the lock file", target, err);
  } finally {
    unlinkQuietly(temp);
  }
  // Without hard links a reader can see the file before its bytes: the partial-write grace covers that.
  try {
    return writeNew(target, data);
  } catch (err) {
    if (isCode(err, "EEXIST")) return undefined;
    throw storageError("create the lock file", target, err);
  }
}

/**
 * Removes `target` if it still is the stale file `snap`, under the claim on its inode. Returns undefined
 * when the caller should look again, or the claim of the live process doing it instead.
 */
function removeStale(lockPath: string, target: string, snap: Snapshot, depth: number): Snapshot | undefined {
  const claim = `${lockPath}.takeover.${snap.ino}`;
  if (publish(lockPath, claim, holderBytes()) === undefined) {
    const other = read(claim);
    if (!other) return undefined;
    if (depth >= MAX_CLAIM_DEPTH || !isStale(other)) return other;
    return removeStale(lockPath, claim, other, depth + 1);
  }
  try {
    // Nobody else can unlink target now (its holder is dead and the claim is ours), so check-then-unlink
    // is exact. Staleness is checked again for a file that was unparsable and is now complete.
    const now = read(target);
    if (now && now.ino === snap.ino && now.data.equals(snap.data) && isStale(now)) {
      try {
        unlinkSync(target);
      } catch (err) {
        if (!isCode(err, "ENOENT")) throw storageError("remove the stale lock file", target, err);
      }
    }
  } finally {
    unlinkQuietly(claim);
  }
  return undefined;
}

/** Removes what crashed processes left: old temp files, and claims of dead processes. */
function sweep(lockPath: string): void {
  const directory = dirname(lockPath);
  const base = basename(lockPath);
  const tempPrefix = `${base}.tmp.`;
  const claimPrefix = `${base}.takeover.`;
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(directory, name);
    try {
      if (name.startsWith(tempPrefix)) {
        // Only its dead creator would ever link or unlink it.
        if (Date.now() - statSync(path).mtimeMs > TEMP_GRACE_MS) unlinkSync(path);
      } else if (name.startsWith(claimPrefix) && /^[0-9]+$/.test(name.slice(claimPrefix.length))) {
        const snap = read(path);
        if (snap && isStale(snap)) removeStale(lockPath, path, snap, 1);
      }
    } catch {
      // best effort: a leftover never blocks the lock, it only takes room
    }
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Blocks for `ms` (the lock API is synchronous, like the Python engine's). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function describe(info: LockInfo | undefined): string {
  return info ? `process ${info.pid} (${info.hostname})` : "another process";
}

function lockedError(dbPath: string, path: string, info: LockInfo | undefined): LedgerLockedError {
  if (!info) {
    return new LedgerLockedError(`${dbPath} is locked: ${path} exists and is being written; try again`, { path: dbPath, lockFile: path });
  }
  const sameHost = info.hostname === hostname();
  const self = sameHost && info.pid === process.pid ? ", i.e. another ledger open in this process" : "";
  const host = sameHost ? info.hostname : `${info.hostname}, another host`;
  return new LedgerLockedError(
    `${dbPath} is locked by process ${info.pid} (${host})${self}${since(info.createdAt)}; close that ledger ` +
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
