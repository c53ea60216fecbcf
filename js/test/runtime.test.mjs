/** The runtime: starts offline from local files, from the snapshot or without it, and falls back when the snapshot is bad. */

import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { consumerDir, runScript } from "./helpers/consumer.mjs";

/** Opens a ledger with fetch disabled and prints runtimeInfo(). */
const script = (specifier) => `
globalThis.fetch = () => Promise.reject(new Error("network access attempted"));
const { createLedger, runtimeInfo } = await import(${JSON.stringify(specifier)});
const ledger = await createLedger({ id: "offline" });
await ledger.append({ id: "a", stream: "s", payload: { ok: true } });
await ledger.verify();
await ledger.close();
console.log(JSON.stringify(await runtimeInfo()));
`;

test("starts from the snapshot, with no network access", async () => {
  const r = await runScript(script("@onoal/nucleus"));
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.startMode, "snapshot");
  assert.equal(info.snapshotError, undefined);
});

test("NUCLEUS_NO_SNAPSHOT=1 starts normally (precompiled stdlib, wheel unpacked), with no network access", async () => {
  const r = await runScript(script("@onoal/nucleus"), { env: { NUCLEUS_NO_SNAPSHOT: "1" } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).startMode, "normal");
});

test("a corrupt snapshot falls back to a normal start and says why", async () => {
  const copy = join(consumerDir, "node_modules", "nucleus-bad-snapshot");
  cpSync(join(consumerDir, "node_modules", "@onoal", "nucleus"), copy, { recursive: true });
  writeFileSync(join(copy, "dist", "browser", "snapshot.bin"), Buffer.alloc(4096, 7));
  const r = await runScript(script(join(copy, "dist", "index.js")));
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.startMode, "normal");
  assert.equal(typeof info.snapshotError, "string");
});

test("a start from the snapshot needs only its own stdlib zip; without that zip the start is normal", async () => {
  const copy = join(consumerDir, "node_modules", "nucleus-snapshot-files");
  cpSync(join(consumerDir, "node_modules", "@onoal", "nucleus"), copy, { recursive: true });
  const dir = join(copy, "dist", "browser");
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  assert.equal(typeof manifest.snapshotStdlib, "string");
  const stdlib = readFileSync(join(dir, manifest.stdlib));
  rmSync(join(dir, manifest.stdlib));
  rmSync(join(dir, manifest.wheel));
  let r = await runScript(script(join(copy, "dist", "index.js")));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).startMode, "snapshot");
  // The other way round: no snapshot stdlib, so no start from the snapshot; the normal start needs the wheel back.
  writeFileSync(join(dir, manifest.stdlib), stdlib);
  cpSync(join(consumerDir, "node_modules", "@onoal", "nucleus", "dist", "browser", manifest.wheel), join(dir, manifest.wheel));
  rmSync(join(dir, manifest.snapshotStdlib));
  r = await runScript(script(join(copy, "dist", "index.js")));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).startMode, "normal");
});

test("Pyodide and the engine files ship once, in dist/browser/, with the Pyodide version they fit", () => {
  const pkg = join(consumerDir, "node_modules", "@onoal", "nucleus");
  assert.equal(existsSync(join(pkg, "engine")), false);
  // No second copy of Pyodide's files: the package loads Pyodide from its own dist/browser/.
  assert.equal(existsSync(join(consumerDir, "node_modules", "pyodide")), false);
  const manifest = JSON.parse(readFileSync(join(pkg, "dist", "browser", "manifest.json"), "utf8"));
  const loader = readFileSync(join(pkg, "dist", "browser", "pyodide.mjs"), "utf8");
  assert.ok(loader.includes(manifest.pyodide), `pyodide.mjs is Pyodide ${manifest.pyodide}`);
  for (const file of [manifest.wheel, manifest.stdlib, manifest.snapshot, "pyodide.asm.wasm"]) {
    assert.ok(existsSync(join(pkg, "dist", "browser", file)), file);
  }
});
