/**
 * Test helpers: the package as installed from its tarball (scripts/test.mjs sets NUCLEUS_CONSUMER_DIR),
 * child processes that use it, and temp dirs.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after } from "node:test";

/** The temporary project the tarball was installed into. */
export const consumerDir = process.env.NUCLEUS_CONSUMER_DIR ?? "";
if (!consumerDir) throw new Error("run the tests with `npm test` (it packs and installs the package first)");

/** The package's ESM entry, as a consumer imports it. */
export function loadPackage() {
  return import(pathToFileURL(join(consumerDir, "esm.mjs")).href);
}

/** A fresh temp dir, removed after the test file. */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "nucleus-js-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs `source` (an ES module, or CommonJS with ext "cjs") as a script inside the consumer project.
 * `prefix` wraps the node command, e.g. `["strace", "-f", "-e", "trace=fsync"]`.
 * @returns {Promise<{code: number|null, signal: string|null, stdout: string, stderr: string}>}
 */
export function runScript(source, { args = [], env = {}, prefix = [], ext = "mjs" } = {}) {
  const file = join(consumerDir, `script-${process.pid}-${Math.random().toString(36).slice(2)}.${ext}`);
  writeFileSync(file, source);
  const argv = [...prefix, process.execPath, file, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: consumerDir, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      rmSync(file, { force: true });
      resolve({ code, signal, stdout, stderr });
    });
  });
}
