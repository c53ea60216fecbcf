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
 * @param {string} outStdlib - where to write the stdlib a start from the snapshot mounts: `stdlibPath` without the
 *   modules the snapshot has imported
 * @returns {Promise<{size: number, stdlib: {kept: number, dropped: number}}>} the size in bytes of the snapshot
 *   written (its compact form, see `compactSnapshot`), and how many files of the stdlib zip the snapshot's keeps
 */
export async function makeSnapshot(wheelPath, stdlibPath, outSnapshot, outStdlib) {
  const require = createRequire(import.meta.url);
  const pyodideDir = dirname(require.resolve("pyodide/package.json"));
  const { loadPyodide } = await import("pyodide");
  // The memory of the freshly instantiated wasm, as src/runtime/snapshot.ts (`withFreshInstance`) sees it at run time.
  let fresh;
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (...args) =>
    instantiate.apply(WebAssembly, args).then((result) => {
      const { memory, Py_Initialize: start } = (result.instance ?? result).exports;
      if (memory instanceof WebAssembly.Memory && typeof start === "function") fresh ??= new Uint8Array(memory.buffer).slice();
      return result;
    });
  let py;
  try {
    py = await loadPyodide({ indexURL: pyodideDir + "/", stdLibURL: stdlibPath, packages: [], _makeSnapshot: true });
  } finally {
    WebAssembly.instantiate = instantiate;
  }
  if (!fresh) throw new Error("did not see Pyodide instantiate its wasm: has loadPyodide changed? (scripts/lib/precompile.mjs)");
  // Only what the engine itself imports goes into the snapshot's heap: site (imported by Pyodide's start) rather
  // than sysconfig (whose 75 KB table of build settings would stay in the heap), os.walk rather than pkgutil.
  const site = String(py.runPython("import site; site.getsitepackages()[0]"));
  py.unpackArchive(new Uint8Array(readFileSync(wheelPath)), "wheel", { extractDir: site });
  // Import every engine module now, so none is compiled or even read at start-up.
  py.runPython(`
import importlib, os, sqlite3, nucleus._bridge
for folder, _, files in os.walk(${JSON.stringify(site)} + "/nucleus"):
    package = os.path.relpath(folder, ${JSON.stringify(site)}).replace(os.sep, ".")
    for name in sorted(files):
        if name.endswith(".py"):
            importlib.import_module(package if name == "__init__.py" else f"{package}.{name[:-3]}")
del folder, files, package, name
`);
  // What a start from the snapshot needs of the stdlib: only what it has not imported yet. zipimport forgets the
  // zip's directory (it reads the directory of whatever zip is there at the next import), so the snapshot does not
  // depend on the zip's layout and starts with `outStdlib`, the stdlib zip minus the modules imported here and
  // minus the modules the interpreter has frozen inside it (the frozen copy wins over the zip's: os, codecs, ...).
  const imported = JSON.parse(String(py.runPython(`
import gc, json, sys, zipfile, zipimport
from importlib.machinery import FrozenImporter
archive = [p for p in sys.path if p.endswith(".zip")][0]
files = []
for name in zipfile.ZipFile(archive).namelist():
    if not name.endswith(".pyc"):
        continue
    module = name[:-len(".pyc")].replace("/", ".").removesuffix(".__init__")
    spec = FrozenImporter.find_spec(module) if not name.endswith("__init__.pyc") else None
    if module in sys.modules or (spec is not None and spec.submodule_search_locations is None):
        files.append(name)
zipimport._zip_directory_cache.clear()
del archive, name, module, spec
gc.collect()
json.dumps(files)
`)));
  const full = py.makeMemorySnapshot();
  const snapshot = compactSnapshot(full, fresh);
  writeFileSync(outSnapshot, snapshot);
  py.FS.writeFile("/build-snapshot-in.zip", readFileSync(stdlibPath));
  const ns = py.globals.get("dict")();
  py.runPython(readFileSync(join(here, "precompile.py"), "utf8"), { globals: ns });
  const stdlib = JSON.parse(String(py.runPython(
    `import json; json.dumps(zip_without("/build-snapshot-in.zip", "/build-snapshot-out.zip", ${JSON.stringify(imported)}))`,
    { globals: ns },
  )));
  ns.destroy();
  writeFileSync(outStdlib, py.FS.readFile("/build-snapshot-out.zip"));
  return { size: snapshot.length, stdlib };
}

/**
 * Pyodide's snapshot without its all-zero pages and without the pages equal to `fresh` (the memory of the freshly
 * instantiated wasm), in the layout src/runtime/snapshot.ts (`expandSnapshot`) reads: "NUCSNAP2", u32 expanded
 * length, u32 page size, u32 header length, u32 run count, (u32 first page, u32 pages, u32 kind) per run, Pyodide's
 * header, the stored runs' bytes. Kind 0: stored; 1: from the fresh instance; 2: stored XOR the fresh instance (the
 * few pages of static data the start changed: mostly zeros then, 15 KB rather than 65 KB with brotli). Pages count
 * from the header's end.
 *
 * @param {Uint8Array} full - `makeMemorySnapshot()`'s bytes
 * @param {Uint8Array} fresh - the memory of a freshly instantiated pyodide.asm.wasm
 * @returns {Uint8Array}
 */
export function compactSnapshot(full, fresh) {
  const PAGE = 4096;
  const header = new DataView(full.buffer, full.byteOffset).getUint32(4, true); // Pyodide's: magic, header length, ...
  const memory = full.subarray(header);
  const pages = Math.ceil(memory.length / PAGE);
  const kindOf = (p) => {
    const page = memory.subarray(p * PAGE, (p + 1) * PAGE);
    if (page.every((b) => b === 0)) return -1;
    const base = fresh.subarray(p * PAGE, p * PAGE + page.length);
    if (base.length !== page.length || base.every((b) => b === 0)) return 0;
    return Buffer.compare(base, page) === 0 ? 1 : 2;
  };
  const runs = [];
  for (let p = 0; p < pages; p++) {
    const kind = kindOf(p);
    if (kind < 0) continue;
    const last = runs.at(-1);
    if (last && last[0] + last[1] === p && last[2] === kind) last[1]++;
    else runs.push([p, 1, kind]);
  }
  const head = Buffer.alloc(24 + runs.length * 12);
  head.write("NUCSNAP2", 0, "latin1");
  head.writeUInt32LE(full.length, 8);
  head.writeUInt32LE(PAGE, 12);
  head.writeUInt32LE(header, 16);
  head.writeUInt32LE(runs.length, 20);
  runs.forEach(([start, count, kind], i) => {
    head.writeUInt32LE(start, 24 + i * 12);
    head.writeUInt32LE(count, 28 + i * 12);
    head.writeUInt32LE(kind, 32 + i * 12);
  });
  const parts = runs
    .filter(([, , kind]) => kind !== 1)
    .map(([start, count, kind]) => {
      const bytes = memory.subarray(start * PAGE, Math.min((start + count) * PAGE, memory.length));
      return kind === 0 ? bytes : bytes.map((b, i) => b ^ fresh[start * PAGE + i]);
    });
  return Buffer.concat([head, full.subarray(0, header), ...parts]);
}
