/**
 * `npm test`: packs the package, installs the tarball into a fresh temporary project (offline-capable:
 * `pyodide` comes from the npm cache once it has been installed here), then runs `node --test test/`
 * with NUCLEUS_CONSUMER_DIR pointing at that project. The tests import the package from there, so they
 * exercise exactly what users install.
 *
 *   npm test                       build first when dist/ (or its engine assets) is missing
 *   NUCLEUS_TARBALL=x.tgz npm test test an existing tarball
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
  return r.stdout;
}

const work = mkdtempSync(join(tmpdir(), "nucleus-js-test-"));
let status = 1;
try {
  let tarball = process.env.NUCLEUS_TARBALL && resolve(process.env.NUCLEUS_TARBALL);
  if (!tarball) {
    if (!existsSync(join(root, "dist", "index.js")) || !existsSync(join(root, "dist", "browser", "manifest.json"))) {
      console.log("[test] dist/ or dist/browser/ missing: building");
      run(process.execPath, [join(root, "scripts", "build.mjs")], root);
    }
    run(npm, ["pack", "--silent", "--pack-destination", work], root);
    tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz")));
  }
  const consumer = join(work, "consumer");
  run("mkdir", ["-p", consumer], work);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  writeFileSync(join(consumer, "esm.mjs"), 'export * from "@onoal/nucleus";\n');
  writeFileSync(join(consumer, "cjs.cjs"), 'module.exports = require("@onoal/nucleus");\n');
  console.log(`[test] installing ${tarball} into ${consumer}`);
  run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], consumer);

  const files = readdirSync(join(root, "test")).filter((f) => f.endsWith(".test.mjs")).map((f) => join("test", f));
  const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...files], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NUCLEUS_CONSUMER_DIR: consumer },
  });
  status = r.status ?? 1;
} catch (err) {
  console.error(`[test] ${err.message}`);
} finally {
  if (!process.env.NUCLEUS_KEEP_TEST_DIR) rmSync(work, { recursive: true, force: true });
  process.exitCode = status;
}
