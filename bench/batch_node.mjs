/**
 * The 10,000-record appendBatch under Node.js, split into the first heavy batch of a process (which pays
 * for V8 compiling the engine's WebAssembly to optimised code) and the steady batches after it. Each run
 * is a fresh process; prints one JSON line per run, then medians (wall and CPU ms per batch).
 *
 *   node bench/batch_node.mjs                      # 5 processes × 6 batches, SQLite (durability full)
 *   node bench/batch_node.mjs --memory --runs 10   # in-memory ledgers: no disk in the numbers
 *
 * Options: --runs N (processes), --batches N (per process), --memory, --package DIR (default ../js, built).
 * CPU time counts every thread of the process, so a first batch can show more CPU than wall time.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { makeRecord } from "./common.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    batches: { type: "string", default: "6" },
    memory: { type: "boolean", default: false },
    package: { type: "string", default: join(HERE, "..", "js") },
    child: { type: "boolean", default: false },
  },
});

/** One process: open a ledger (runtime start, untimed), then time each batch into a fresh ledger. */
async function child() {
  const { createLedger, sqliteStorage } = await import(pathToFileURL(join(resolve(opts.package), "dist", "index.js")).href);
  const dir = mkdtempSync(join(os.tmpdir(), "nucleus-batch-"));
  const storage = (name) => (opts.memory ? {} : { storage: sqliteStorage(join(dir, name)) });
  const out = { wall: [], cpu: [] };
  try {
    await (await createLedger({ id: "bench", ...storage("start.db") })).close();
    for (let b = 0; b < Number(opts.batches); b++) {
      const ledger = await createLedger({ id: "bench", ...storage(`b${b}.db`) });
      const records = Array.from({ length: 10_000 }, (_, k) => makeRecord(k));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await ledger.appendBatch(records);
      out.wall.push(Math.round(performance.now() - t0));
      const c = process.cpuUsage(c0);
      out.cpu.push(Math.round((c.user + c.system) / 1000));
      await ledger.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (opts.child) {
  await child();
} else {
  const runs = [];
  const args = [fileURLToPath(import.meta.url), "--child", "--batches", opts.batches, "--package", opts.package];
  if (opts.memory) args.push("--memory");
  for (let r = 0; r < Number(opts.runs); r++) {
    const p = spawnSync(process.execPath, args, { encoding: "utf8" });
    if (p.status !== 0) throw new Error(`run ${r} failed: ${p.stderr}`);
    console.log(p.stdout.trim());
    runs.push(JSON.parse(p.stdout));
  }
  const first = runs.map((r) => r.wall[0]);
  const steady = runs.flatMap((r) => r.wall.slice(1));
  const rate = (ms) => Math.round(10_000 / (ms / 1000)).toLocaleString("en-US");
  console.log(`${opts.memory ? "memory" : "SQLite (full)"}, ${runs.length} processes, load ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs`);
  console.log(`first batch:  median ${median(first)} ms (${rate(median(first))} entries/s), cpu ${median(runs.map((r) => r.cpu[0]))} ms`);
  if (steady.length) {
    console.log(`steady batch: median ${median(steady)} ms (${rate(median(steady))} entries/s), cpu ${median(runs.flatMap((r) => r.cpu.slice(1)))} ms`);
  }
}
