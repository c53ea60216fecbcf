/**
 * The browser build: dist/browser/, one folder to serve from the app's own origin (docs/BROWSER.md).
 *
 *   nucleus.js          the package as one ESM module (src/browser.ts), no `node:` imports
 *   nucleus-worker.js   the worker behind `createLedger({ worker: true })`
 *   pyodide.mjs, pyodide.asm.mjs, pyodide.asm.wasm, pyodide-lock.json   from the pinned `pyodide` package (the
 *                       lock file without its package list: the runtime loads no packages)
 *   python_stdlib.zip   the stdlib precompiled to bytecode (engine/), else Pyodide's own
 *   nucleus_ledger-<version>-py3-none-any.whl   the engine (engine/)
 *   snapshot.bin        a memory snapshot of a started engine (engine/, optional: start ~2× faster)
 *   snapshot_stdlib.zip the stdlib a start from the snapshot mounts: python_stdlib.zip without the modules the
 *                       snapshot has imported already (with the snapshot only)
 *   manifest.json       which of these files the folder holds, and the Pyodide version they fit;
 *                       the runtime reads it first
 *
 * This folder is the package's only copy of the engine assets: the Node runtime reads the wheel, the
 * stdlib and the snapshot from here too (src/runtime/node/assets.ts). engine/ is a build intermediate
 * (kept so that `--js-only` can rebuild dist/) and is not shipped.
 *
 * Three modules differ from the Node bundle, swapped in by a plugin: runtime/select-host.ts becomes
 * runtime/browser/select-host.ts, runtime/crypto.ts (`node:crypto`) runtime/browser/crypto.ts (WebCrypto), and the `pyodide` package becomes runtime/browser/pyodide-loader.ts,
 * which imports pyodide.mjs from the assets folder at run time.
 */

import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as esbuild from "esbuild";

/** Pyodide's files a page needs (pyodide.js, the console pages and the source maps are not). */
export const PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "pyodide-lock.json"];

/** Redirects the platform modules to their browser versions. */
function browserModules(root) {
  const browserDir = join(root, "src", "runtime", "browser");
  return {
    name: "nucleus-browser-modules",
    setup(build) {
      build.onResolve({ filter: /^pyodide$/ }, () => ({ path: join(browserDir, "pyodide-loader.ts") }));
      for (const name of ["select-host", "crypto"]) {
        build.onResolve({ filter: new RegExp(`(^|/)${name}\\.js$`) }, (args) =>
          args.importer.startsWith(browserDir) ? undefined : { path: join(browserDir, `${name}.ts`) },
        );
      }
      build.onResolve({ filter: /^node:/ }, (args) => ({
        errors: [{ text: `${args.path} imported by ${args.importer} would reach the browser bundle` }],
      }));
    },
  };
}

/**
 * @param {string} root - the js/ folder (engine/ must have been built)
 * @param {string} version - the package version, injected as __NUCLEUS_VERSION__
 * @returns {Promise<string[]>} the files written to dist/browser/
 */
export async function bundleBrowser(root, version) {
  const out = join(root, "dist", "browser");
  mkdirSync(out, { recursive: true });
  const engineDir = join(root, "engine");
  const manifestPath = join(engineDir, "manifest.json");
  if (!existsSync(manifestPath)) throw new Error(`${manifestPath} is missing: run a full build (without --js-only) first`);
  const engine = JSON.parse(readFileSync(manifestPath, "utf8"));
  const require = createRequire(import.meta.url);
  const pyodideDir = dirname(require.resolve("pyodide/package.json"));
  const pyodide = require("pyodide/package.json").version;
  const stdlib = engine.stdlib && engine.pyodide === pyodide ? engine.stdlib : null;
  // The snapshot holds the stdlib's zip offsets: only valid with the very stdlib it was made with.
  const snapshot =
    stdlib && engine.snapshot && engine.snapshotStdlib && existsSync(join(engineDir, engine.snapshot)) ? "snapshot.bin" : null;
  // `pyodide`: the version the folder's stdlib (precompiled, or Pyodide's own copied below) and snapshot
  // fit; Node compares it with the installed `pyodide` before using them.
  const snapshotStdlib = snapshot ? "snapshot_stdlib.zip" : null;
  const manifest = { engineVersion: engine.engineVersion, wheel: engine.wheel, stdlib: "python_stdlib.zip", snapshot, snapshotStdlib, pyodide };

  const common = {
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    define: {
      __NUCLEUS_VERSION__: JSON.stringify(version),
    },
    plugins: [browserModules(root)],
    sourcemap: true,
    legalComments: "none",
    logLevel: "warning",
    absWorkingDir: root,
  };
  await esbuild.build({ ...common, entryPoints: ["src/browser.ts"], outfile: join(out, "nucleus.js") });
  await esbuild.build({ ...common, entryPoints: ["src/runtime/browser/worker-main.ts"], outfile: join(out, "nucleus-worker.js") });

  for (const file of PYODIDE_FILES) copyFileSync(join(pyodideDir, file), join(out, file));
  // Pyodide reads its lock file at every start only to know the packages it could load; the runtime loads none
  // (packages: []), so the folder's copy keeps the header Pyodide checks and no package list: 150 bytes, not 119 KB.
  const lock = JSON.parse(readFileSync(join(pyodideDir, "pyodide-lock.json"), "utf8"));
  writeFileSync(join(out, "pyodide-lock.json"), JSON.stringify({ info: lock.info, packages: {} }) + "\n");
  copyFileSync(stdlib ? join(engineDir, stdlib) : join(pyodideDir, "python_stdlib.zip"), join(out, "python_stdlib.zip"));
  copyFileSync(join(engineDir, engine.wheel), join(out, engine.wheel));
  if (snapshot) {
    copyFileSync(join(engineDir, engine.snapshot), join(out, snapshot));
    copyFileSync(join(engineDir, engine.snapshotStdlib), join(out, snapshotStdlib));
  }
  writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  const files = ["nucleus.js", "nucleus-worker.js", ...PYODIDE_FILES, "python_stdlib.zip", engine.wheel, "manifest.json"];
  return snapshot ? [...files, snapshot, snapshotStdlib] : files;
}
