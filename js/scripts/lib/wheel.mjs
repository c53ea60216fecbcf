/**
 * Builds the engine wheel from the repository root with pypa `build` (offline-capable once its
 * build requirements are in pip's cache). `pyodide build` is not used: it downloads a cross-build
 * environment first and fails offline, and a pure-Python wheel does not need it.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Python used for the build: $PYTHON, else `python3`. */
export function pythonExecutable() {
  return process.env.PYTHON || "python3";
}

/**
 * Runs `python -m build --wheel` on `repoRoot` and returns the wheel's path (in a temp dir).
 * @param {string} repoRoot - the folder holding pyproject.toml
 * @returns {{path: string, name: string, version: string, cleanup: () => void}}
 */
export function buildWheel(repoRoot) {
  const python = pythonExecutable();
  const probe = spawnSync(python, ["-c", "import build"], { encoding: "utf8" });
  if (probe.error) {
    throw new Error(`cannot run ${python} (${probe.error.message}); install Python 3.11+ or set PYTHON=/path/to/python`);
  }
  if (probe.status !== 0) {
    throw new Error(`the Python package "build" is missing for ${python}: run \`${python} -m pip install build\` (or \`pip install build\`) and build again`);
  }
  const out = mkdtempSync(join(tmpdir(), "nucleus-wheel-"));
  const result = spawnSync(python, ["-m", "build", "--wheel", "--outdir", out, repoRoot], {
    encoding: "utf8",
    cwd: repoRoot,
  });
  if (result.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`\`${python} -m build --wheel\` failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  const wheels = readdirSync(out).filter((f) => f.endsWith(".whl"));
  if (wheels.length !== 1) throw new Error(`expected one wheel in ${out}, found: ${wheels.join(", ") || "none"}`);
  const name = wheels[0];
  // name-version-python-abi-platform.whl (PEP 427)
  const version = name.split("-")[1];
  return { path: join(out, name), name, version, cleanup: () => rmSync(out, { recursive: true, force: true }) };
}
