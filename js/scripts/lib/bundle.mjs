/**
 * Bundles src/ with esbuild (ESM + CJS; `pyodide` becomes runtime/node/pyodide-loader.ts, which imports
 * Pyodide from the package's own dist/browser/, so the package needs no `pyodide` dependency) and emits declarations with tsc, twice: dist/*.d.ts for `import`, dist/cjs/*.d.ts (under a
 * `{"type":"commonjs"}` package.json) for `require`, so TypeScript resolves each in the right mode.
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { pythonExecutable } from "./wheel.mjs";

/** Resolves `pyodide` (only its types are imported elsewhere) to the loader reading dist/browser/pyodide.mjs. */
function nodePyodide(root) {
  const loader = join(root, "src", "runtime", "node", "pyodide-loader.ts");
  return {
    name: "nucleus-node-pyodide",
    setup(build) {
      build.onResolve({ filter: /^pyodide$/ }, () => ({ path: loader }));
    },
  };
}

/**
 * @param {string} root - the js/ folder
 * @param {string} version - the package version, injected as __NUCLEUS_VERSION__
 */
export async function bundle(root, version) {
  const common = {
    bundle: true,
    platform: "node",
    target: "node20",
    plugins: [nodePyodide(root)],
    define: { __NUCLEUS_VERSION__: JSON.stringify(version) },
    sourcemap: true,
    legalComments: "none",
    logLevel: "warning",
    absWorkingDir: root,
  };
  await esbuild.build({ ...common, entryPoints: ["src/index.ts"], format: "esm", outfile: "dist/index.js" });
  await esbuild.build({
    ...common,
    entryPoints: ["src/index.ts"],
    format: "cjs",
    outfile: "dist/index.cjs",
    // import.meta is empty in CommonJS; give it the file's URL so asset lookup works the same.
    banner: { js: '"use strict";\nconst __nucleus_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { ...common.define, "import.meta.url": "__nucleus_import_meta_url" },
  });
  // The `nucleus` bin answers --help and --version without starting the engine, from the engine's own texts.
  const answers = JSON.stringify(cliAnswers(join(root, "..", "py")));
  const cliDefine = { ...common.define, __NUCLEUS_CLI_ANSWERS__: answers };
  await esbuild.build({ ...common, define: cliDefine, entryPoints: ["src/cli.ts"], format: "esm", outfile: "dist/cli.js" });

  const require = createRequire(import.meta.url);
  const tsc = join(require.resolve("typescript/package.json"), "..", "bin", "tsc");
  const cjsTypes = join(root, "dist", "cjs");
  for (const outDir of ["dist", cjsTypes]) {
    const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json", "--outDir", outDir], { cwd: root, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`tsc failed:\n${result.stdout}${result.stderr}`);
  }
  mkdirSync(cjsTypes, { recursive: true });
  writeFileSync(join(cjsTypes, "package.json"), '{ "type": "commonjs" }\n');
}

/**
 * `nucleus.cli.quick_answers()` of the engine in `pyDir`: what the command prints for help and version lines.
 * @param {string} pyDir - the folder holding the `nucleus` package
 */
function cliAnswers(pyDir) {
  const code = "import json, nucleus.cli as c; print(json.dumps(c.quick_answers()))";
  const env = { ...process.env, PYTHONPATH: pyDir, PYTHONDONTWRITEBYTECODE: "1" };
  const result = spawnSync(pythonExecutable(), ["-c", code], { encoding: "utf8", env });
  if (result.status !== 0) throw new Error(`reading the CLI's help texts from the engine failed:\n${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout);
}
