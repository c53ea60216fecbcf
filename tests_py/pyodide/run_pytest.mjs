// Runs the pytest suite (tests_py) inside real Pyodide (CPython 3.14 on WebAssembly) under Node.
// Installs the pure-Python wheels in <wheel dir> (pytest, hypothesis, rfc8785 and their dependencies; see
// requirements.txt beside this file) by unpacking them into site-packages, as the npm package installs the
// engine: nothing is loaded by name. The repository is mounted (NODEFS) at its own host path, so the tests
// read the real py/nucleus, vectors/ and fixtures; tmp_path lives on a NODEFS mount of <host temp dir>, the
// file system the engine's SQLite uses under Node. PostgreSQL goes through the package's own channel; the cluster is
// the one whose socket DSN is in $NUCLEUS_TEST_PG_DSN (test_pyodide_pytest.py starts one; without it the PostgreSQL
// tests fail, saying so). Prints pytest's own output; exits with pytest's code.
// Usage: node tests_py/pyodide/run_pytest.mjs <pyodide package dir> <wheel dir> <host temp dir> [pytest args...]
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const [pyodideDir, wheelDir, hostTmp, ...pytestArgs] = process.argv.slice(2);
if (!pyodideDir || !wheelDir || !hostTmp) {
  console.error("usage: node run_pytest.mjs <pyodide package dir> <wheel dir> <host temp dir> [pytest args...]");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { loadPyodide } = require(path.join(path.resolve(pyodideDir), "pyodide.js"));
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const pyodide = await loadPyodide({
  indexURL: path.resolve(pyodideDir) + path.sep,
  packages: [],
});
// pytest's own output, byte for byte (the default handlers split it into lines).
pyodide.setStdout({ write: (buf) => fs.writeSync(1, buf) });
pyodide.setStderr({ write: (buf) => fs.writeSync(2, buf) });
const sitePackages = String(pyodide.runPython("import sysconfig; sysconfig.get_paths()['purelib']"));
const wheels = fs.readdirSync(wheelDir).filter((name) => name.endsWith(".whl"));
if (wheels.length === 0) {
  console.error(`no wheels in ${wheelDir}`);
  process.exit(2);
}
for (const name of wheels) {
  pyodide.unpackArchive(new Uint8Array(fs.readFileSync(path.join(wheelDir, name))), "wheel", {
    extractDir: sitePackages,
  });
}

// As in the npm package (js/src/runtime/node): route Python's os.fsync on a NODEFS file to the host.
const nodefs = pyodide.FS.filesystems.NODEFS;
nodefs.stream_ops.fsync = (stream) => fs.fsyncSync(stream.nfd);
const mount = (hostDir, pyDir) => {
  pyodide.FS.mkdirTree(pyDir);
  pyodide.FS.mount(nodefs, { root: hostDir }, pyDir);
};
mount(repo, repo);
mount(path.resolve(hostTmp), "/mnt/tmp");
pyodide.globals.set("ENGINE", path.join(repo, "py"));
pyodide.runPython(`
import sys
sys.dont_write_bytecode = True  # no Pyodide .pyc files in the host repository
sys.path.insert(0, ENGINE)
`);

// As in the npm package (js/src/runtime/node): lend the verifier the host's SHA-256 and record scanner, and the
// engine Node's Ed25519, straight from their TypeScript source (esbuild, a dev dependency of js/), so the suite
// holds them to the Python rules.
const esbuild = createRequire(path.join(repo, "js", "package.json"))("esbuild");
/** One module of js/src, bundled and imported; `import.meta.url` stays its source file's (to resolve `pg` from). */
const fromSource = async (...parts) => {
  const entry = path.join(repo, "js", "src", ...parts);
  const text = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    external: ["pyodide"],
    define: { "import.meta.url": JSON.stringify(pathToFileURL(entry).href) },
  }).outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(text).toString("base64")}`);
};
const { lendPrimitives } = await fromSource("runtime", "host-primitives.ts");
const { nodeEd25519, nodeSha256 } = await fromSource("runtime", "crypto.ts");
lendPrimitives(pyodide, nodeSha256, nodeEd25519);
// And its PostgreSQL channel (node-postgres, a dev dependency of js/, in a worker thread).
const { installPgChannel } = await fromSource("runtime", "node", "pg-channel.ts");
installPgChannel(pyodide);
pyodide.globals.set("PG_DSN", process.env.NUCLEUS_TEST_PG_DSN ?? null);
pyodide.runPython(`
import os
if PG_DSN:
    os.environ["NUCLEUS_TEST_PG_DSN"] = PG_DSN
`);

pyodide.globals.set("ROOT", repo);
pyodide.globals.set("ARGS", pyodide.toPy(pytestArgs));
const code = pyodide.runPython(`
import os
os.chdir(ROOT)
import pytest
int(pytest.main([*ARGS, "--basetemp=/mnt/tmp/pytest", "-p", "no:cacheprovider"]))
`);
process.exit(code);
