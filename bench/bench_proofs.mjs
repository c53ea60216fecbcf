/**
 * The Merkle tree's costs (issue 10): keeping it (a 10,000-record appendBatch and open+verify of 100,000 entries,
 * against a build from before the tree, side by side), an inclusion and a consistency proof on a 1,000,000-entry
 * SQLite ledger under Node, and standalone verifyInclusion / verifyConsistency in headless Chromium. Prints a
 * table and writes bench/results/proofs.json.
 *
 *   node bench/bench_proofs.mjs --before /tmp/pre-tree/js       # everything (the 1M ledger is built once)
 *   node bench/bench_proofs.mjs --quick                           # fewer samples, no before/after
 *
 * Options: --before DIR (a built package from before the tree: without it the tree's cost is not measured),
 * --package DIR (default ../js, built), --workdir DIR (where the ledgers are kept between runs; default
 * bench/results/proofs-work: the 1M ledger takes minutes to build), --rounds N (before/after processes each,
 * alternating), --samples N (proofs per kind), --no-browser, --quick, --out FILE. The browser part runs
 * bench/proofs_browser.py with $PYTHON (default .venv/bin/python: Playwright and Debian's chromium).
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { makeRecord } from "./common.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    before: { type: "string" },
    package: { type: "string", default: join(HERE, "..", "js") },
    workdir: { type: "string", default: join(HERE, "results", "proofs-work") },
    rounds: { type: "string" },
    samples: { type: "string" },
    quick: { type: "boolean", default: false },
    "no-browser": { type: "boolean", default: false },
    out: { type: "string", default: join(HERE, "results", "proofs.json") },
    child: { type: "string" },
    label: { type: "string" },
  },
});
const workdir = resolve(opts.workdir);
const BIG = 1_000_000;
const BATCH = 10_000;
const OPEN_SIZE = 100_000;
const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 5));
const samples = Number(opts.samples ?? (opts.quick ? 30 : 200));
const TARGETS = { "proof.inclusion.1m": 5, "proof.consistency.1m": 5, "browser.verify_inclusion": 2, "browser.verify_consistency": 2 };

const load = (dir) => import(pathToFileURL(join(resolve(dir), "dist", "index.js")).href);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1)];
/** A seeded generator (mulberry32): the same proofs on every run. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** Wall and CPU (all threads of this process) ms of `fn`. */
async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000, value };
}

// -- children: each runs in a fresh process ---------------------------------------------------------------

/**
 * `size` records appended in batches of 10,000 to a new SQLite ledger at `path` (untimed); the checkpoint after
 * each batch where there are any (a build from before the tree has none), and `{seq, hash}` of 20 entries.
 */
async function build(mod, path, size) {
  const ledger = await mod.createLedger({ id: "bench", storage: mod.sqliteStorage(path) });
  const rand = random(7);
  const picked = new Set(Array.from({ length: 20 }, () => Math.floor(rand() * size)));
  const checkpoints = [];
  const entries = [];
  try {
    for (let start = 0; start < size; start += BATCH) {
      const hashes = await ledger.appendBatch(Array.from({ length: Math.min(BATCH, size - start) }, (_, k) => makeRecord(start + k)));
      hashes.forEach((hash, k) => picked.has(start + k) && entries.push({ seq: start + k, hash }));
      if (typeof ledger.inclusionProof === "function") checkpoints.push(await ledger.checkpoint());
    }
    return { checkpoints, entries };
  } finally {
    await ledger.close();
  }
}

/** The tree's cost for one package: `batches` timed 10K batches into fresh ledgers, then open+verify of 100K. */
async function costChild() {
  const label = opts.label;
  const mod = await load(opts.package);
  const dir = join(workdir, `cost-${label}`);
  mkdirSync(dir, { recursive: true });
  const opened = join(dir, "open-100k.db");
  if (!existsSync(join(dir, "open-100k.done"))) {
    rmSync(opened, { force: true });
    await build(mod, opened, OPEN_SIZE);
    writeFileSync(join(dir, "open-100k.done"), "");
  }
  const out = { batch: [], batchCpu: [], open: [], openCpu: [] };
  // One untimed batch first: V8 compiles the engine's WebAssembly to optimised code during the first heavy one.
  for (let b = -1; b < (opts.quick ? 2 : 3); b++) {
    const path = join(dir, `batch-${b + 1}.db`);
    rmSync(path, { force: true });
    const ledger = await mod.createLedger({ id: "bench", storage: mod.sqliteStorage(path) });
    const records = Array.from({ length: BATCH }, (_, k) => makeRecord(k));
    const t = await timed(() => ledger.appendBatch(records));
    await ledger.close();
    rmSync(path, { force: true });
    if (b >= 0) {
      out.batch.push(t.wall);
      out.batchCpu.push(t.cpu);
    }
  }
  for (let i = 0; i < 2; i++) {
    const t = await timed(async () => (await mod.createLedger({ id: "bench", storage: mod.sqliteStorage(opened, { readOnly: true }) })).close());
    out.open.push(t.wall);
    out.openCpu.push(t.cpu);
  }
  console.log(JSON.stringify(out));
}

/** Proofs on the 1M ledger (built here once), timed; a sample of them kept for the browser. */
async function proveChild() {
  const mod = await load(opts.package);
  mkdirSync(workdir, { recursive: true });
  const path = join(workdir, "ledger-1m.db");
  const kept = join(workdir, "ledger-1m.checkpoint.json");
  let built = null;
  if (!existsSync(kept)) {
    rmSync(path, { force: true });
    const t = await timed(() => build(mod, path, BIG));
    writeFileSync(kept, JSON.stringify(t.value));
    built = t.wall;
  }
  const { checkpoints, entries } = JSON.parse(readFileSync(kept, "utf8"));
  const checkpoint = checkpoints[checkpoints.length - 1];
  // Verifying 1M entries takes seconds and is not what is measured here: trust the checkpoint kept when it was built.
  const opening = await timed(() =>
    mod.createLedger({ id: "bench", storage: mod.sqliteStorage(path), checkpoint, verify: "fromCheckpoint" }),
  );
  const ledger = opening.value;
  try {
    const rand = random(10);
    const pick = (n) => Math.floor(rand() * n);
    const kinds = {
      inclusion: () => ledger.inclusionProof(pick(BIG)),
      "inclusion.old_size": () => {
        const size = 1 + pick(BIG);
        return ledger.inclusionProof(pick(size), size);
      },
      consistency: () => ledger.consistencyProof(1 + pick(BIG)),
      "consistency.two_sizes": () => {
        const a = 1 + pick(BIG);
        const b = 1 + pick(BIG);
        return ledger.consistencyProof(Math.min(a, b), Math.max(a, b));
      },
    };
    const times = {};
    for (const [kind, make] of Object.entries(kinds)) {
      await make(); // the first call of a kind pays for V8 compiling its path
      const wall = [];
      const cpu = [];
      for (let i = 0; i < samples; i++) {
        const t = await timed(make);
        wall.push(t.wall);
        cpu.push(t.cpu);
      }
      times[kind] = { wall, cpu };
    }
    // For the browser: entries with their inclusion proofs, and consistency proofs from the checkpoints kept
    // while building, all against the current checkpoint.
    const verify = { inclusion: [], consistency: [] };
    for (const entry of entries) {
      verify.inclusion.push({ entry, proof: await ledger.inclusionProof(entry.seq), checkpoint });
      const old = checkpoints[pick(checkpoints.length - 1)];
      verify.consistency.push({ old, proof: await ledger.consistencyProof(old.size), checkpoint });
    }
    console.log(JSON.stringify({ built, open: opening.wall, size: (await ledger.checkpoint()).size, times, verify }));
  } finally {
    await ledger.close();
  }
}

// -- the parent --------------------------------------------------------------------------------------------

function child(kind, args) {
  const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", kind, "--workdir", workdir, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (p.status !== 0) throw new Error(`${kind} ${args.join(" ")} failed:\n${p.stderr}`);
  const lines = p.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

const fmt = (x) => (x === null || x === undefined ? "–" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const results = [];
function add(id, label, wall, cpu, note = "") {
  const target = TARGETS[id];
  const value = median(wall);
  results.push({ id, label, unit: "ms", value, median: value, p95: p95(wall), n: wall.length, cpu_ms: cpu ? median(cpu) : null, target: target ?? null, ok: target === undefined ? null : value <= target, note });
}

async function main() {
  const started = Date.now();
  const loadBefore = os.loadavg()[0];
  const cost = {};
  if (opts.before) {
    const packages = { before: resolve(opts.before), after: resolve(opts.package) };
    const runs = { before: [], after: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? ["after", "before"] : ["before", "after"];
      for (const label of order) runs[label].push(child("cost", ["--label", label, "--package", packages[label], ...(opts.quick ? ["--quick"] : [])]));
    }
    for (const label of ["before", "after"]) {
      const all = (key) => runs[label].flatMap((r) => r[key]);
      add(`tree_cost.batch10k.${label}`, `10,000-record appendBatch, ${label} the tree`, all("batch"), all("batchCpu"), `${packages[label]}`);
      add(`tree_cost.open_verify_100k.${label}`, `open+verify 100,000 entries, ${label} the tree`, all("open"), all("openCpu"));
    }
    const ratio = (key) => median(runs.after.flatMap((r) => r[key])) / median(runs.before.flatMap((r) => r[key]));
    cost.batch_wall = ratio("batch");
    cost.batch_cpu = ratio("batchCpu");
    cost.open_wall = ratio("open");
    cost.open_cpu = ratio("openCpu");
  }
  const proofs = child("prove", ["--package", resolve(opts.package), "--samples", String(samples)]);
  const labels = {
    inclusion: ["proof.inclusion.1m", "inclusionProof(seq) on 1,000,000 entries"],
    "inclusion.old_size": ["proof.inclusion_old_size.1m", "inclusionProof(seq, size) on 1,000,000 entries"],
    consistency: ["proof.consistency.1m", "consistencyProof(old) on 1,000,000 entries"],
    "consistency.two_sizes": ["proof.consistency_two_sizes.1m", "consistencyProof(old, new) on 1,000,000 entries"],
  };
  for (const [kind, t] of Object.entries(proofs.times)) add(labels[kind][0], labels[kind][1], t.wall, t.cpu, "Node, SQLite");
  if (!opts["no-browser"]) {
    const file = join(workdir, "browser-samples.json");
    writeFileSync(file, JSON.stringify(proofs.verify));
    const python = process.env.PYTHON ?? join(HERE, "..", ".venv", "bin", "python");
    const p = spawnSync(python, [join(HERE, "proofs_browser.py"), file, "--repeat", opts.quick ? "5" : "25"], { encoding: "utf8" });
    if (p.status !== 0) throw new Error(`the browser part failed:\n${p.stderr}`);
    const page = JSON.parse(p.stdout.trim().split("\n").pop());
    add("browser.verify_inclusion", "verifyInclusion, 1M-entry proof (Chromium)", page.inclusion, null, `page, WebCrypto; ${page.browser}`);
    add("browser.verify_consistency", "verifyConsistency, 1M-entry proof (Chromium)", page.consistency, null, `page, WebCrypto; ${page.browser}`);
  }
  const header = ["workload", "median ms", "p95", "n", "cpu ms", "target", "ok"];
  const rows = results.map((r) => [r.label, fmt(r.median), fmt(r.p95), String(r.n), fmt(r.cpu_ms), r.target === null ? "–" : `≤ ${r.target}`, r.ok === null ? "" : r.ok ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, widths.map((w) => "-".repeat(w)), ...rows]) console.log(row.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  "));
  if (opts.before) {
    const pct = (x) => `${x >= 1 ? "+" : ""}${((x - 1) * 100).toFixed(1)} %`;
    console.log(`tree cost (after / before, medians): batch wall ${pct(cost.batch_wall)}, cpu ${pct(cost.batch_cpu)}; open+verify 100K wall ${pct(cost.open_wall)}, cpu ${pct(cost.open_cpu)}`);
  }
  if (proofs.built !== null) console.log(`built the 1M ledger in ${(proofs.built / 1000).toFixed(0)} s (kept in ${workdir})`);
  const loadAfter = os.loadavg()[0];
  console.log(`load ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)} on ${os.cpus().length} CPUs; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  writeFileSync(
    resolve(opts.out),
    `${JSON.stringify({ node: process.version, cpus: os.cpus().length, load: [loadBefore, loadAfter], quick: opts.quick, rounds, samples, tree_cost: cost, open_1m_from_checkpoint_ms: proofs.open, results }, null, 2)}\n`,
  );
  console.log(`wrote ${resolve(opts.out)}`);
}

if (opts.child === "cost") await costChild();
else if (opts.child === "prove") await proveChild();
else await main();
