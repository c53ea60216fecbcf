/**
 * `npm run build`: engine rules → engine wheel → bytecode inside Pyodide → JS bundles → declarations.
 *
 *   node scripts/build.mjs            everything
 *   node scripts/build.mjs --js-only  only the bundles and declarations (engine/ and src/generated/ stay as they are)
 *
 * Writes src/generated/engine-rules.ts (the engine's rules the TypeScript side checks early, generated from
 * the Python engine by scripts/lib/engine_rules.py; committed, and kept in step by
 * tests_py/test_engine_rules.py), engine/ (wheel, precompiled stdlib, snapshot, manifest.json: a build
 * intermediate, not shipped) and dist/; neither of the last two is committed. dist/browser/ gets copies of the
 * engine files and is the package's one shipped home for them: Node and browsers both load the engine from there.
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle } from "./lib/bundle.mjs";
import { bundleBrowser } from "./lib/browser.mjs";
import { makeSnapshot, precompile } from "./lib/precompile.mjs";
import { buildWheel, pythonExecutable } from "./lib/wheel.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = resolve(root, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const jsOnly = process.argv.includes("--js-only");
const started = performance.now();
const step = (msg) => console.log(`[build ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);

/** Writes src/generated/engine-rules.ts from the engine in ../py, so that no rule is copied by hand. */
function generateEngineRules() {
  const out = join(root, "src", "generated", "engine-rules.ts");
  step(`generating ${out} from the engine's constants`);
  const python = pythonExecutable();
  const result = spawnSync(python, [join(root, "scripts", "lib", "engine_rules.py"), join(repoRoot, "py")], { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${python} scripts/lib/engine_rules.py failed (exit ${result.status}): ${result.error?.message ?? result.stderr}`);
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, result.stdout);
}

async function buildEngine() {
  generateEngineRules();
  const engineDir = join(root, "engine");
  step(`building the engine wheel from ${repoRoot}`);
  const wheel = buildWheel(repoRoot); // first: a failure here leaves the previous engine/ in place
  try {
    rmSync(engineDir, { recursive: true, force: true });
    mkdirSync(engineDir, { recursive: true });
    if (wheel.version !== pkg.version) {
      throw new Error(`engine wheel ${wheel.name} has version ${wheel.version}, but package.json says ${pkg.version}; make them equal`);
    }
    step(`precompiling the stdlib and ${wheel.name} inside Pyodide`);
    const outWheel = join(engineDir, wheel.name);
    copyFileSync(wheel.path, outWheel);
    const report = await precompile(wheel.path, outWheel, join(engineDir, "python_stdlib.zip"));
    step(`compiled ${report.stdlib.compiled} stdlib modules (${report.stdlib.kept} kept as source), ${report.wheel.compiled} engine modules`);
    step("making a memory snapshot of the started engine");
    const snap = await makeSnapshot(outWheel, join(engineDir, "python_stdlib.zip"), join(engineDir, "snapshot.bin"), join(engineDir, "snapshot_stdlib.zip"));
    step(`snapshot: ${(snap.size / 1e6).toFixed(1)} MB; its stdlib keeps ${snap.stdlib.kept} files, the rest it has imported`);
    const manifest = {
      engineVersion: wheel.version,
      wheel: wheel.name,
      stdlib: "python_stdlib.zip",
      snapshot: "snapshot.bin",
      snapshotStdlib: "snapshot_stdlib.zip",
      pyodide: report.pyodide,
    };
    writeFileSync(join(engineDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  } finally {
    wheel.cleanup();
  }
}

try {
  if (!jsOnly) await buildEngine();
  rmSync(join(root, "dist"), { recursive: true, force: true });
  step("bundling with esbuild and emitting declarations with tsc");
  await bundle(root, pkg.version);
  step("bundling the browser build (dist/browser/)");
  await bundleBrowser(root, pkg.version);
  step("done");
} catch (err) {
  console.error(`build failed: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
}
