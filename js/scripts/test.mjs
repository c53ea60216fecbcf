/**
 * `npm test`: packs the package, installs the tarball into a fresh temporary project (offline-capable:
 * `pyodide` comes from the npm cache once it has been installed here), with the `pg` driver (an optional peer
 * dependency) at the version package.json pins for tests, then runs `node --test test/`
 * with NUCLEUS_CONSUMER_DIR pointing at that project. The tests import the package from there, so they
 * exercise exactly what users install.
 *
 *   npm test                       build first when dist/ (or its engine assets) is missing
 *   npm test -- test/cli.test.mjs  only these test files
 *   NUCLEUS_TARBALL=x.tgz npm test test an existing tarball
 *   NUCLEUS_TEST_NODES=a:b npm test run the suite once with each of these Node binaries, in turn (default: the
 *                                  Node running this script). scripts/test.sh passes the machine's Node and
 *                                  tools/node24's. The package is built and packed once; each run gets its own
 *                                  fresh install and a PATH whose first directory holds only its `node`, so the
 *                                  `nucleus` bin (`#!/usr/bin/env node`) and every child process run on it too.
 *                                  Each run prints node's own summary; the exit status is non-zero when any fails.
 */

import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
  return r.stdout;
}

/** The Node binaries to run the suite with. */
const nodes = (process.env.NUCLEUS_TEST_NODES ?? "").split(delimiter).filter(Boolean);
if (!nodes.length) nodes.push(process.execPath);

/** `node` resolved to its real path, or undefined when it is not an executable file. */
function realNode(node) {
  try {
    accessSync(node, constants.X_OK);
    return realpathSync(node);
  } catch {
    return undefined;
  }
}

/** A fresh project in `dir` with the tarball installed, as a user would install it. */
function installConsumer(tarball, dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  writeFileSync(join(dir, "esm.mjs"), 'export * from "@onoal/nucleus";\n');
  writeFileSync(join(dir, "cjs.cjs"), 'module.exports = require("@onoal/nucleus");\n');
  console.log(`[test] installing ${tarball} into ${dir}`);
  // pg is an optional peer dependency: installed beside the package, at the version js/ pins for its tests.
  const pg = `pg@${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies.pg}`;
  run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, pg], dir);
}

const work = mkdtempSync(join(tmpdir(), "nucleus-js-test-"));
const results = [];
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
  const args = process.argv.slice(2);
  const files = args.length ? args : readdirSync(join(root, "test")).filter((f) => f.endsWith(".test.mjs")).map((f) => join("test", f));

  for (const [i, listed] of nodes.entries()) {
    const node = realNode(listed);
    if (!node) {
      console.error(`[test] ${listed}: not an executable Node binary (NUCLEUS_TEST_NODES)`);
      results.push({ label: listed, status: 1, seconds: 0 });
      continue;
    }
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout?.trim() || "(version unknown)";
    const label = `Node ${version} (${node})`;
    const started = performance.now();
    let status = 1;
    try {
      const consumer = join(work, `consumer-${i + 1}`);
      installConsumer(tarball, consumer);
      // A directory holding only `node`, first on PATH: whatever runs `node` by name runs this one.
      const bin = join(work, `bin-${i + 1}`);
      mkdirSync(bin);
      symlinkSync(node, join(bin, "node"));
      console.log(`[test] node --test on ${label}`);
      const r = spawnSync(node, ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files], {
        cwd: root,
        stdio: "inherit",
        env: { ...process.env, NUCLEUS_CONSUMER_DIR: consumer, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` },
      });
      status = r.status ?? 1;
    } catch (err) {
      console.error(`[test] ${err.message}`);
    }
    results.push({ label, status, seconds: (performance.now() - started) / 1000 });
  }
} catch (err) {
  console.error(`[test] ${err.message}`);
  results.push({ label: "setup", status: 1, seconds: 0 });
} finally {
  if (!process.env.NUCLEUS_KEEP_TEST_DIR) rmSync(work, { recursive: true, force: true });
  for (const { label, status, seconds } of results) {
    console.log(`[test] ${label}: ${status === 0 ? "passed" : `FAILED (exit ${status})`} in ${seconds.toFixed(0)} s`);
  }
  process.exitCode = results.length && results.every((r) => r.status === 0) ? 0 : 1;
}
