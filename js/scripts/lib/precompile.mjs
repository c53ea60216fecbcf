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
  const ns = py.globals.get("dict")();
  py.runPython(readFileSync(join(here, "precompile.py"), "utf8"), { globals: ns });
  const site = String(py.runPython("import sysconfig; sysconfig.get_paths()['purelib']"));
  const archive = String(py.runPython("import sys; [p for p in sys.path if p.endswith('.zip')][0]"));

  py.FS.mkdirTree("/build");
  py.FS.writeFile("/build/stdlib.zip", readFileSync(join(pyodideDir, "python_stdlib.zip")));
  py.FS.writeFile("/build/in.whl", readFileSync(wheelPath));
  const run = (expr) => JSON.parse(py.runPython(`import json; json.dumps(${expr})`, { globals: ns }));
  const stdlib = run(`stdlib_to_pyc("/build/stdlib.zip", "/build/stdlib.pyc.zip", ${JSON.stringify(archive)})`);
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
 * @returns {Promise<number>} the snapshot's size in bytes
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
  const snapshot = py.makeMemorySnapshot();
  writeFileSync(outSnapshot, snapshot);
  return snapshot.length;
}
