/**
 * Mounts host directories into Pyodide with NODEFS: one mount per host directory, reused by every ledger
 * in it, at `/nucleus/host/<n>`. Not public.
 */

import { realpathSync } from "node:fs";
import type { PyodideAPI } from "pyodide";

const MOUNT_BASE = "/nucleus/host";

/** host directory (real path) → mount point, per Pyodide instance. */
const mounts = new WeakMap<PyodideAPI, Map<string, string>>();

/** The in-runtime path of `hostDir`, mounting it on first use. `hostDir` must exist. */
export function mountHostDir(pyodide: PyodideAPI, hostDir: string): string {
  const real = realpathSync(hostDir);
  let table = mounts.get(pyodide);
  if (!table) {
    table = new Map();
    mounts.set(pyodide, table);
  }
  const existing = table.get(real);
  if (existing) return existing;
  const point = `${MOUNT_BASE}/${table.size}`;
  pyodide.mountNodeFS(point, real);
  table.set(real, point);
  return point;
}
