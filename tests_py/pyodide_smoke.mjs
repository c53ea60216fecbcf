// Runs the engine inside real Pyodide (CPython 3.14 on WebAssembly) under Node: copies py/nucleus into
// Pyodide's file system, then appends, queries, verifies, and reopens a SQLite ledger on a NODEFS mount of
// a host directory. Prints one JSON line with what it saw; tests_py/test_pyodide.py checks it.
// Usage: node tests_py/pyodide_smoke.mjs <pyodide package dir> <host temp dir>
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL, fileURLToPath } from "node:url";

const [pyodideDir, hostDir] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const { loadPyodide } = require(path.join(pyodideDir, "pyodide.js"));
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep });
const site = "/home/pyodide/engine";
const copy = (hostPath, pyPath) => {
  pyodide.FS.mkdirTree(pyPath);
  for (const name of fs.readdirSync(hostPath)) {
    const full = path.join(hostPath, name);
    if (fs.statSync(full).isDirectory()) {
      if (name !== "__pycache__") copy(full, `${pyPath}/${name}`);
    } else if (name.endsWith(".py")) {
      pyodide.FS.writeFile(`${pyPath}/${name}`, fs.readFileSync(full));
    }
  }
};
copy(path.join(repo, "py", "nucleus"), `${site}/nucleus`);

let fsyncs = 0;
const nodefs = pyodide.FS.filesystems.NODEFS;
nodefs.stream_ops.fsync = (stream) => { fsyncs += 1; fs.fsyncSync(stream.nfd); };
pyodide.FS.mkdirTree("/mnt/host");
pyodide.FS.mount(nodefs, { root: hostDir }, "/mnt/host");

const result = pyodide.runPython(`
import sys, json
sys.path.insert(0, "${site}")
import nucleus
out = {"python": sys.version.split()[0], "platform": sys.platform}
mem = nucleus.Ledger.open("smoke")
hashes = mem.append_batch([{"id": f"r{i}", "stream": "s", "payload": {"i": i, "f": 0.1 * i}} for i in range(50)])
out["memory_len"] = len(mem)
out["query_total"] = mem.query(stream="s", limit=5).total
mem.verify()
with nucleus.Ledger.open("smoke", nucleus.SqliteStorage("/mnt/host/smoke.db", lock=False)) as disk:
    disk.import_entries(mem.export())
    disk.append({"id": "last", "stream": "s", "payload": {"ok": True}})
    out["disk_len"] = len(disk)
with nucleus.Ledger.open("smoke", nucleus.SqliteStorage("/mnt/host/smoke.db", lock=False)) as disk:
    out["reopened_len"] = len(disk)
    out["same_prefix"] = disk.get_entry(hashes[-1]).seq == 49
    out["verified"] = disk.verify_storage()
json.dumps(out)
`);
console.log(JSON.stringify({ ...JSON.parse(result), fsyncs }));
