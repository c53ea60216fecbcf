/**
 * Mounts host directories into Pyodide with NODEFS: one mount per host directory, reused by every ledger
 * in it, at `/nucleus/host/<n>`, and maps such paths back to the host's for messages. Read-only opens use
 * a second mount of the directory: SQLite keeps one lock table per file it sees in this process, and
 * through another mount the same host file is another file to it (another inode number), so a read-only
 * connection is not refused by the locks of a ledger this process has open for writing
 * (docs/ARCHITECTURE.md, "What Node.js changes"). Not public.
 */

import { realpathSync } from "node:fs";
import type { PyodideAPI } from "pyodide";

const MOUNT_BASE = "/nucleus/host";

/** A mount point, e.g. `/nucleus/host/3` in `/nucleus/host/3/l.db`. */
const MOUNT_POINT = /\/nucleus\/host\/(\d+)/g;

/** Which mount of a directory: the one writers use, or the one read-only opens use. */
export type MountUse = "write" | "read";

/** One Pyodide instance's mounts, both ways. */
interface MountTable {
  /** `<use>:<host directory (real path)>` → mount point */
  byDir: Map<string, string>;
  /** mount number → host directory */
  byNumber: Map<string, string>;
}

const mounts = new WeakMap<PyodideAPI, MountTable>();

/**
 * The in-runtime path of `hostDir` for `use` (`"read"`: read-only opens), mounting it on first use.
 * `hostDir` must exist.
 */
export function mountHostDir(pyodide: PyodideAPI, hostDir: string, use: MountUse = "write"): string {
  const real = realpathSync(hostDir);
  let table = mounts.get(pyodide);
  if (!table) {
    table = { byDir: new Map(), byNumber: new Map() };
    mounts.set(pyodide, table);
  }
  const key = `${use}:${real}`;
  const existing = table.byDir.get(key);
  if (existing) return existing;
  const n = String(table.byDir.size);
  const point = `${MOUNT_BASE}/${n}`;
  pyodide.mountNodeFS(point, real);
  table.byDir.set(key, point);
  table.byNumber.set(n, real);
  return point;
}

/**
 * `text` with every mount point replaced by the host directory mounted there, so that an engine message
 * such as `/nucleus/host/0/l.db is not a Nucleus ledger` names the user's file instead.
 */
export function hostPathsIn(pyodide: PyodideAPI, text: string): string {
  const table = mounts.get(pyodide);
  if (!table || !text.includes(MOUNT_BASE)) return text;
  return text.replace(MOUNT_POINT, (point, n: string) => table.byNumber.get(n) ?? point);
}
