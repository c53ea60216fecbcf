/**
 * Precompiles Pyodide's stdlib and the engine wheel to bytecode inside Pyodide itself (Python 3.14:
 * the host's python3 would write the wrong bytecode). A precompiled stdlib passed as `stdLibURL` cuts
 * `loadPyodide` from ~4.5 s to ~1.4 s on this machine.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * @param {string} wheelPath - the wheel built by `python -m build`
 * @param {string} outWheel - where to write the wheel with .pyc added
 * @param {string} outStdlib - where to write the precompiled stdlib zip
 * @returns {Promise<{pyodide: string, stdlib: object, wheel: object}>}
 */
export async function precompile(wheelPath, outWheel, outStdlib) {
  const require = createRequire(import.meta.url);
  const pyodideDir = dirname(require.resolve("pyodide/package.json"));
  const { loadPyodide, version } = await import("pyodide");
  const py = await loadPyodide({ indexURL: pyodideDir + "/", packages: [] });
  // What Pyodide imports to start (before this build imports anything): a root of the stdlib kept.
  const startup = JSON.parse(String(py.runPython("import json, sys; json.dumps(sorted(sys.modules))")));
  const ns = py.globals.get("dict")();
  py.runPython(readFileSync(join(here, "precompile.py"), "utf8"), { globals: ns });
  const site = String(py.runPython("import sysconfig; sysconfig.get_paths()['purelib']"));
  const archive = String(py.runPython("import sys; [p for p in sys.path if p.endswith('.zip')][0]"));

  py.FS.mkdirTree("/build");
  py.FS.writeFile("/build/stdlib.zip", readFileSync(join(pyodideDir, "python_stdlib.zip")));
  py.FS.writeFile("/build/in.whl", readFileSync(wheelPath));
  const run = (expr) => JSON.parse(py.runPython(`import json; json.dumps(${expr})`, { globals: ns }));
  // The roots of the stdlib kept: what Pyodide imported to start, and every engine module.
  py.unpackArchive(new Uint8Array(readFileSync(wheelPath)), "wheel", { extractDir: "/build/engine" });
  // Also what the runtime's and this build's own Python lines import (runtime.ts, makeSnapshot below).
  const own = ["sysconfig", "importlib", "pkgutil", "sqlite3"];
  const roots = run(`${JSON.stringify([...startup, ...own])} + [m.name for m in __import__("pkgutil").walk_packages(["/build/engine/nucleus"], "nucleus.")] + ["nucleus"]`);
  const keep = run(`stdlib_needed("/build/stdlib.zip", "/build/engine", ${JSON.stringify(roots)})`);
  const stdlib = run(`stdlib_to_pyc("/build/stdlib.zip", "/build/stdlib.pyc.zip", ${JSON.stringify(archive)}, ${JSON.stringify(keep)})`);
  const wheel = run(`wheel_add_pyc("/build/in.whl", "/build/out.whl", ${JSON.stringify(site)})`);
  writeFileSync(outStdlib, py.FS.readFile("/build/stdlib.pyc.zip"));
  writeFileSync(outWheel, py.FS.readFile("/build/out.whl"));
  ns.destroy();
  return { pyodide: version, stdlib, wheel };
}

/**
 * Makes a memory snapshot of a runtime that has the engine imported, loaded exactly as the package loads
 * it at run time (same stdlib zip: zipimport caches file offsets inside the heap). `_makeSnapshot` and
 * `makeMemorySnapshot` are private Pyodide APIs: the package pins Pyodide exactly and falls back to a
 * normal start when loading the snapshot fails.
 *
 * @param {string} wheelPath - the precompiled wheel
 * @param {string} stdlibPath - the precompiled stdlib zip
 * @param {string} outSnapshot - where to write the snapshot
 * @returns {Promise<number>} the size in bytes of the snapshot written (its compact form, see `compactSnapshot`)
 */
export async function makeSnapshot(wheelPath, stdlibPath, outSnapshot) {
  const require = createRequire(import.meta.url);
  const pyodideDir = dirname(require.resolve("pyodide/package.json"));
  const { loadPyodide } = await import("pyodide");
  const py = await loadPyodide({ indexURL: pyodideDir + "/", stdLibURL: stdlibPath, packages: [], _makeSnapshot: true });
  const site = String(py.runPython("import sysconfig; sysconfig.get_paths()['purelib']"));
  py.unpackArchive(new Uint8Array(readFileSync(wheelPath)), "wheel", { extractDir: site });
  // Import every engine module now, so none is compiled or even read at start-up.
  py.runPython(`
import importlib, pkgutil, sqlite3, nucleus, nucleus._bridge
for m in pkgutil.walk_packages(nucleus.__path__, "nucleus."):
    importlib.import_module(m.name)
`);
  const snapshot = compactSnapshot(py.makeMemorySnapshot());
  writeFileSync(outSnapshot, snapshot);
  return snapshot.length;
}

/**
 * Pyodide's snapshot without its all-zero pages, in the layout src/runtime/snapshot.ts (`expandSnapshot`) reads:
 * "NUCSNAP1", u32 expanded length, u32 page size, u32 run count, (u32 first page, u32 pages) per run, the runs' bytes.
 *
 * @param {Uint8Array} full - `makeMemorySnapshot()`'s bytes
 * @returns {Uint8Array}
 */
export function compactSnapshot(full) {
  const PAGE = 4096;
  const pages = Math.ceil(full.length / PAGE);
  const zero = (p) => full.subarray(p * PAGE, (p + 1) * PAGE).every((b) => b === 0);
  const runs = [];
  for (let p = 0; p < pages; p++) {
    if (zero(p)) continue;
    const last = runs.at(-1);
    if (last && last[0] + last[1] === p) last[1]++;
    else runs.push([p, 1]);
  }
  const head = Buffer.alloc(20 + runs.length * 8);
  head.write("NUCSNAP1", 0, "latin1");
  head.writeUInt32LE(full.length, 8);
  head.writeUInt32LE(PAGE, 12);
  head.writeUInt32LE(runs.length, 16);
  runs.forEach(([start, count], i) => {
    head.writeUInt32LE(start, 20 + i * 8);
    head.writeUInt32LE(count, 24 + i * 8);
  });
  const parts = runs.map(([start, count]) => full.subarray(start * PAGE, Math.min((start + count) * PAGE, full.length)));
  return Buffer.concat([head, ...parts]);
}
