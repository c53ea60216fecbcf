/**
 * Benchmarks of @onoal/nucleus under Node.js (the engine in Pyodide). Prints a table in the style of
 * bench_py.py and writes bench/results/node.json (the shape of common.py).
 *
 *   node bench/bench_node.mjs            # full run (~2–3 minutes on 2 cores; building the 100K ledger dominates)
 *   node bench/bench_node.mjs --quick    # fewer samples, a smoke check
 *
 * Options: --out FILE (JSON path), --workdir DIR (where ledgers are built; fsync cost is that disk's),
 * --keep (leave the ledgers), --package DIR (the package to load; default ../js, which must be built).
 */

import { spawnSync } from "node:child_process";
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { fmt, loadavg, makeRecord, median, percentile } from "./common.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string", default: join(HERE, "results", "node.json") },
    workdir: { type: "string" },
    keep: { type: "boolean", default: false },
    package: { type: "string", default: join(HERE, "..", "js") },
  },
});
const pkgDir = resolve(opts.package);
const entry = pathToFileURL(join(pkgDir, "dist", "index.js")).href;

// The targets of issue 3 (Pyodide under Node), keyed by the result ids common.py uses.
const TARGETS = {
  cold_start: { op: "<=", value: 1000 }, // ms, median, process start → createLedger ready
  "append.sqlite_full": { op: "<=", value: 2 }, // ms, median
  "append.sqlite_fast": { op: "<=", value: 0.5 }, // ms, median
  "batch10k.sqlite": { op: ">=", value: 20_000 }, // entries/s
  "open_verify.10k": { op: "<=", value: 150 }, // ms, median
  "open_verify.100k": { op: "<=", value: 1500 }, // ms, median
  "query.module_100k": { op: "<=", value: 5 }, // ms, median (issue 11)
};

// Samples per workload: [full, quick].
const PLAN = {
  cold: [7, 3],
  append_memory: [3000, 300],
  append_full: [500, 100],
  append_fast: [2000, 300],
  batch_reps: [5, 2],
  open_10k: [10, 3],
  open_100k: [5, 2],
  floor_fsync: [300, 50],
  module_query: [200, 20],
};
const n = (key) => PLAN[key][opts.quick ? 1 : 0];

const records = (start, count, base) => Array.from({ length: count }, (_, k) => makeRecord(start + k, base));

// -- statistics and results (mirrors common.py) ----------------------------------------------------------

function meets(value, target) {
  switch (target.op) {
    case "<": return value < target.value;
    case "<=": return value <= target.value;
    case ">=": return value >= target.value;
    case ">": return value > target.value;
    default: throw new Error(`unknown target op ${target.op}`);
  }
}

function result(id, label, unit, value, { samples, cpu, note = "" } = {}) {
  const target = TARGETS[id] ?? null;
  const many = samples && samples.length > 1;
  return {
    id, label, unit, value,
    median: many ? median(samples) : null,
    p95: many ? percentile(samples, 95) : null,
    n: samples ? samples.length : 1,
    cpu_ms: cpu && cpu.length ? median(cpu) : null,
    target,
    pass: target === null ? null : meets(value, target),
    note,
  };
}

/** Times `fn(i)` n times after `warmup` untimed calls: wall ms and CPU ms (user + system) per call. */
async function timeEach(fn, count, warmup = 0) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const wall = [];
  const cpu = [];
  for (let i = warmup; i < warmup + count; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(i);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

function formatTable(results) {
  const header = ["workload", "value", "unit", "median", "p95", "n", "cpu ms/op", "target", "ok", "note"];
  const rows = results.map((r) => [
    r.label, fmt(r.value), r.unit, fmt(r.median), fmt(r.p95), String(r.n), fmt(r.cpu_ms),
    r.target ? `${r.target.op} ${fmt(r.target.value)}` : "", r.pass === null ? "" : r.pass ? "PASS" : "FAIL", r.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const right = new Set([1, 3, 4, 5, 6]);
  const line = (cells) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

// -- workloads -------------------------------------------------------------------------------------------

const results = [];
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

/** Fresh processes: process start → createLedger ready (memory), and → a SQLite ledger open. */
function coldStart(workdir) {
  const script = join(workdir, "cold.mjs");
  writeFileSync(script, [
    `import { createLedger, sqliteStorage } from ${JSON.stringify(entry)};`,
    `const l = await createLedger({ id: "cold" });`,
    `const ready = performance.now();`,
    `const s = await createLedger({ id: "cold", storage: sqliteStorage(process.argv[2]) });`,
    `const sqlite = performance.now();`,
    `await s.close(); await l.close();`,
    `console.log(JSON.stringify({ ready, sqlite }));`,
  ].join("\n"));
  const ready = [];
  const sqlite = [];
  for (let i = 0; i < n("cold"); i++) {
    const db = join(workdir, `cold-${i}.db`);
    const r = spawnSync(process.execPath, [script, db], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cold start run failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop());
    ready.push(out.ready);
    sqlite.push(out.sqlite);
  }
  results.push(result("cold_start", "cold start (process → createLedger ready)", "ms", median(ready), { samples: ready }));
  results.push(result("cold_start.sqlite", "cold start (process → SQLite ledger open)", "ms", median(sqlite), {
    samples: sqlite, note: "includes the first SQLite open in the process",
  }));
}

async function appends(nucleus, workdir) {
  const { createLedger, sqliteStorage } = nucleus;
  const mem = await createLedger({ id: "bench" });
  let s = await timeEach((i) => mem.append(makeRecord(i)), n("append_memory"), 200);
  results.push(result("append.memory", "single append (memory)", "ms", median(s.wall), { samples: s.wall, cpu: s.cpu }));
  await mem.close();
  for (const [mode, key] of [["full", "append_full"], ["fast", "append_fast"]]) {
    const ledger = await createLedger({ id: "bench", storage: sqliteStorage(join(workdir, `append-${mode}.db`), { durability: mode }) });
    s = await timeEach((i) => ledger.append(makeRecord(i)), n(key), 50);
    const label = `single append (SQLite, ${mode})`;
    results.push(result(`append.sqlite_${mode}`, label, "ms", median(s.wall), { samples: s.wall, cpu: s.cpu }));
    await ledger.close();
  }
}

async function batch(nucleus, workdir) {
  const { createLedger, sqliteStorage } = nucleus;
  const wall = [];
  const cpu = [];
  for (let rep = 0; rep < n("batch_reps"); rep++) {
    const ledger = await createLedger({ id: "bench", storage: sqliteStorage(join(workdir, `batch-${rep}.db`)) });
    const recs = records(0, 10_000);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await ledger.appendBatch(recs);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / 10_000);
    await ledger.close();
  }
  const med = median(wall);
  const r = result("batch10k.sqlite", "batch of 10,000 (SQLite, full)", "entries/s", 10_000 / (med / 1000), {
    cpu, note: `${med.toFixed(0)} ms/run (p95 ${percentile(wall, 95).toFixed(0)})`,
  });
  r.n = wall.length;
  results.push(r);
}

async function openVerify(nucleus, workdir) {
  const { createLedger, sqliteStorage } = nucleus;
  for (const [size, key, label] of [[10_000, "open_10k", "10k"], [100_000, "open_100k", "100k"]]) {
    const path = join(workdir, `open-${label}.db`);
    log(`building a ${size.toLocaleString("en-US")}-entry ledger`);
    const build = await createLedger({ id: "bench", storage: sqliteStorage(path, { durability: "fast" }) });
    for (let start = 0; start < size; start += 10_000) await build.appendBatch(records(start, Math.min(10_000, size - start)));
    await build.close();
    const s = await timeEach(async () => {
      const ledger = await createLedger({ id: "bench", storage: sqliteStorage(path) });
      await ledger.close();
    }, n(key), 1);
    results.push(result(`open_verify.${label}`, `open + full verify ${label.toUpperCase()} (SQLite)`, "ms", median(s.wall), {
      samples: s.wall, cpu: s.cpu, note: "createLedger + close; the OS page cache is warm",
    }));
  }
}

/** A module-filtered query on the 100K ledger (`customer` declared filterable by the asset module: ~100 matches). */
async function moduleQuery(nucleus, workdir) {
  const { createLedger, sqliteStorage } = nucleus;
  const modules = [{ id: "asset", config: { stream: "orders", requiredFields: ["customer"] } }];
  const storage = () => sqliteStorage(join(workdir, "open-100k.db"));
  await (await createLedger({ id: "bench", storage: storage(), modules })).close(); // creates the index
  const ledger = await createLedger({ id: "bench", storage: storage(), modules });
  try {
    const t0 = performance.now();
    await ledger.query({ moduleFilters: { asset: { customer: "cust-0000" } } });
    const first = performance.now() - t0;
    const customer = (i) => `cust-${String(i % 997).padStart(4, "0")}`;
    const s = await timeEach((i) => ledger.query({ moduleFilters: { asset: { customer: customer(i) } } }), n("module_query"), 3);
    results.push(result("query.module_100k", "module-filtered query, 100K entries (SQLite)", "ms", median(s.wall), {
      samples: s.wall, cpu: s.cpu, note: `first query ${first.toFixed(0)} ms (checks the index); a page of 100`,
    }));
  } finally {
    await ledger.close();
  }
}

/** The disk's floor: write 4 KiB + fsync on a plain file from Node, no engine. */
function floorFsync(workdir) {
  const fd = openSync(join(workdir, "floor.bin"), "w");
  const buf = Buffer.alloc(4096, 7);
  const wall = [];
  try {
    for (let i = 0; i < n("floor_fsync"); i++) {
      const t0 = performance.now();
      writeSync(fd, buf);
      fsyncSync(fd);
      wall.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
  }
  results.push(result("floor.fsync", "floor: write 4 KiB + fsync (host)", "ms", median(wall), { samples: wall, note: "the disk, no engine" }));
}

// -- main ------------------------------------------------------------------------------------------------

const started = Date.now();
const loadBefore = loadavg();
const workdir = opts.workdir ? resolve(opts.workdir) : mkdtempSync(join(os.tmpdir(), "nucleus-bench-node-"));
mkdirSync(workdir, { recursive: true });
try {
  log(`package ${pkgDir}, workdir ${workdir}, ${opts.quick ? "quick" : "full"} run`);
  log("cold start (fresh processes)");
  coldStart(workdir);
  const nucleus = await import(entry);
  const info = nucleus.runtimeInfo ? await nucleus.runtimeInfo() : {};
  log("single appends");
  await appends(nucleus, workdir);
  log("batch of 10,000");
  await batch(nucleus, workdir);
  await openVerify(nucleus, workdir);
  log("module-filtered query, 100K");
  await moduleQuery(nucleus, workdir);
  floorFsync(workdir);
  const loadAfter = loadavg();

  console.log(formatTable(results));
  const busy = Math.max(loadBefore[0], loadAfter[0]) > os.cpus().length * 0.75;
  if (busy) console.log(`\nnote: the machine was busy (load ${loadBefore[0]} → ${loadAfter[0]} on ${os.cpus().length} CPUs); wall times are inflated, cpu ms/op is closer to the truth`);
  const payload = {
    schema: 1,
    engine: "node",
    runtime: {
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      machine: os.arch(),
      cpus: os.cpus().length,
      node: process.versions.node,
      nucleus: nucleus.version,
      pyodide: info.startMode ? { startMode: info.startMode, timings: info.timings } : undefined,
      workdir,
      kept: opts.keep,
      loadavg_before: loadBefore,
      loadavg_after: loadAfter,
    },
    mode: opts.quick ? "quick" : "full",
    started_at: new Date(started).toISOString().replace(/\.\d+Z$/, "Z"),
    elapsed_s: Math.round((Date.now() - started) / 10) / 100,
    results,
  };
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  writeFileSync(resolve(opts.out), `${JSON.stringify(payload, null, 2)}\n`);
  console.log(`\nwrote ${resolve(opts.out)}`);
} finally {
  if (!opts.keep) rmSync(workdir, { recursive: true, force: true });
}
