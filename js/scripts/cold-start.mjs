/**
 * Measures cold start: process start → `createLedger` (SQLite, in a temp dir) resolved, over N fresh
 * processes, with and without the memory snapshot. Prints medians and writes nothing.
 *
 *   node scripts/cold-start.mjs [N=7]
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const runs = Number(process.argv[2] ?? 7);
const dir = mkdtempSync(join(tmpdir(), "nucleus-cold-"));
const script = join(root, `.cold-start-${process.pid}.mjs`);
writeFileSync(script, `
import { createLedger, runtimeInfo, sqliteStorage } from "@onoal/nucleus";
const ledger = await createLedger({ id: "cold", storage: sqliteStorage(process.argv[2]) });
const ready = performance.now();
const info = await runtimeInfo();
await ledger.close();
console.log(JSON.stringify({ ready, mode: info.startMode, timings: info.timings }));
`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const [label, env] of [["snapshot", {}], ["no snapshot", { NUCLEUS_NO_SNAPSHOT: "1" }]]) {
    const samples = [];
    let mode = "";
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(process.execPath, [script, join(dir, `${i}-${label.length}.db`)], { env: { ...process.env, ...env }, encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      const out = JSON.parse(r.stdout);
      samples.push(out.ready);
      mode = out.mode;
    }
    console.log(`${label.padEnd(12)} (${mode}): median ${median(samples).toFixed(0)} ms, min ${Math.min(...samples).toFixed(0)} ms, max ${Math.max(...samples).toFixed(0)} ms over ${runs} runs`);
  }
} finally {
  rmSync(script, { force: true });
  rmSync(dir, { recursive: true, force: true });
}
