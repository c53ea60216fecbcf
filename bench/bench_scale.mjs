/**
 * Scale (issue 11): SQLite ledgers of 10,000, 100,000 and 1,000,000 entries under Node, each read in fresh child
 * processes: open + full verify (wall, CPU, peak RSS, RSS added over the started runtime), a query by stream (the
 * first page and a page deep in), getById, export to a file, checkpoint + an inclusion proof, `nucleus verify` by
 * the package's bin. Prints a table and writes bench/results/scale.json.
 *
 *   node bench/bench_scale.mjs                          # 10K, 100K and 1M (the 1M ledger is built once: minutes)
 *   node bench/bench_scale.mjs --sizes 10000,100000     # smaller ledgers only
 *   node bench/bench_scale.mjs --package /tmp/old/js    # another build of the package
 *
 * Options: --package DIR (default ../js, built), --workdir DIR (where the ledgers are kept between runs; default
 * bench/results/scale-work), --sizes N,N,… , --rounds N (children per size and kind; default 1, the 1M open takes
 * seconds), --samples N (queries and getById per kind), --out FILE.
 *
 * Memory is read from /proc/self/status (Linux): VmHWM, the peak, after resetting it through /proc/self/clear_refs
 * once the runtime has started (an in-memory ledger opened and closed), so that "added" is what the measured
 * operation itself made resident. WebAssembly memory never shrinks, so a peak inside the engine stays in RSS.
 */

import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { makeRecord as makeBenchRecord, T0 } from "./common.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    package: { type: "string", default: join(HERE, "..", "js") },
    workdir: { type: "string", default: join(HERE, "results", "scale-work") },
    sizes: { type: "string", default: "10000,100000,1000000" },
    rounds: { type: "string", default: "1" },
    samples: { type: "string", default: "50" },
    out: { type: "string", default: join(HERE, "results", "scale.json") },
    child: { type: "string" },
    size: { type: "string" },
    mode: { type: "string", default: "stream" },
  },
});
const workdir = resolve(opts.workdir);
const BATCH = 10_000;
const LEDGER_ID = "scale";
/** Half the entries are in "orders", a quarter each in "payments" and "shipments": a query by stream has a big match. */
const STREAMS = ["orders", "payments", "orders", "shipments"];
const TARGETS = { "open_verify.1000000": { wall: 10_000, added: 60 } };

/** Record `i`: the shared bench record (about 200 bytes canonical), spread over three streams. */
const makeRecord = (i) => makeBenchRecord(i, T0, STREAMS[i % STREAMS.length]);

const load = (dir) => import(pathToFileURL(join(resolve(dir), "dist", "index.js")).href);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ledgerPath = (size) => join(workdir, `ledger-${size}.db`);

/** `VmRSS`, `VmHWM` of this process, in MB. */
function memory() {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** Resets the peak (VmHWM) to the current RSS; false where the kernel does not allow it. */
function resetPeak() {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** Wall and CPU ms of `fn` (CPU: every thread of this process), and the peak RSS it added over `base` MB. */
async function timed(fn) {
  globalThis.gc?.();
  const before = memory().hwm; // the peak so far: start-up's, where nothing ran before
  const reset = resetPeak();
  const base = memory().rss;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const after = memory();
  return { wall, cpu: (c.user + c.system) / 1000, added: reset ? after.hwm - base : null, overPeak: after.hwm - before, peak: after.hwm, value };
}

// -- children: each runs in a fresh process ---------------------------------------------------------------

async function buildChild() {
  const size = Number(opts.size);
  const mod = await load(opts.package);
  const path = ledgerPath(size);
  rmSync(path, { force: true });
  const ledger = await mod.createLedger({ id: LEDGER_ID, storage: mod.sqliteStorage(path) });
  const t0 = performance.now();
  try {
    for (let start = 0; start < size; start += BATCH) {
      await ledger.appendBatch(Array.from({ length: Math.min(BATCH, size - start) }, (_, k) => makeRecord(start + k)));
    }
  } finally {
    await ledger.close();
  }
  writeFileSync(`${path}.done`, "");
  console.log(JSON.stringify({ built: performance.now() - t0 }));
}

/** The runtime started (an in-memory ledger opened and closed): what every measurement is added over. */
async function started() {
  const mod = await load(opts.package);
  await (await mod.createLedger({ id: "warm-up" })).close();
  return { mod, runtime: memory() };
}

/** Open + full verify, then queries, getById, checkpoint and a proof, in one fresh process. */
async function readChild() {
  const size = Number(opts.size);
  const samples = Number(opts.samples);
  const { mod, runtime } = await started();
  const open = await timed(() => mod.createLedger({ id: LEDGER_ID, storage: mod.sqliteStorage(ledgerPath(size)) }));
  const ledger = open.value;
  try {
    const many = async (make) => {
      await make(0); // the first call of a kind pays for V8 compiling its path
      const wall = [];
      for (let i = 1; i <= samples; i++) wall.push((await timed(() => make(i))).wall);
      return { median: median(wall), max: Math.max(...wall) };
    };
    // The first read of each kind in a session also checks the index it goes through against the entries.
    const first = await timed(() => ledger.query({ stream: "orders", limit: 100 }));
    const orders = first.value.total;
    const firstGetById = await timed(() => ledger.getById("order-00000000"));
    const queryFirst = await many(() => ledger.query({ stream: "orders", limit: 100 }));
    const queryDeep = await many((i) => ledger.query({ stream: "orders", limit: 100, offset: Math.floor(orders / 2) + i }));
    const queryDeepDesc = await many((i) => ledger.query({ stream: "orders", limit: 100, offset: Math.floor(orders / 2) + i, order: "desc" }));
    const getById = await many((i) => ledger.getById(`order-${String(Math.floor((i * 7919 * 127) % size)).padStart(8, "0")}`));
    const checkpoint = await timed(() => ledger.checkpoint());
    const firstGet = await timed(() => ledger.get(checkpoint.value.hash));
    const proof = await many((i) => ledger.inclusionProof((i * 104_729) % size));
    const end = memory();
    console.log(
      JSON.stringify({
        size,
        runtime_rss: runtime.rss,
        open: { wall: open.wall, cpu: open.cpu, added: open.added, overPeak: open.overPeak, peak: open.peak },
        query_total: orders,
        first_reads: { query: first.wall, get_by_id: firstGetById.wall, get: firstGet.wall },
        query_first: queryFirst,
        query_deep: queryDeep,
        query_deep_desc: queryDeepDesc,
        get_by_id: getById,
        checkpoint: checkpoint.wall,
        inclusion_proof: proof,
        peak_end: end.rss,
      }),
    );
  } finally {
    await ledger.close();
  }
}

/**
 * Open + full verify again, in a fresh process whose engine has already opened and verified a small ledger (1,000
 * entries, untimed): what is left of "added" is what grows with the ledger, not the engine paths first used.
 */
async function warmOpenChild() {
  const size = Number(opts.size);
  const { mod } = await started();
  const small = join(workdir, "ledger-warm-1000.db");
  if (!existsSync(`${small}.done`)) {
    rmSync(small, { force: true });
    const ledger = await mod.createLedger({ id: LEDGER_ID, storage: mod.sqliteStorage(small) });
    await ledger.appendBatch(Array.from({ length: 1000 }, (_, k) => makeRecord(k)));
    await ledger.close();
    writeFileSync(`${small}.done`, "");
  }
  await (await mod.createLedger({ id: LEDGER_ID, storage: mod.sqliteStorage(small) })).close();
  const open = await timed(() => mod.createLedger({ id: LEDGER_ID, storage: mod.sqliteStorage(ledgerPath(size)) }));
  await open.value.close();
  console.log(JSON.stringify({ size, wall: open.wall, cpu: open.cpu, added: open.added, peak: open.peak }));
}

/** Export to a file, in a fresh process (after an untimed open): `--mode stream` (`exportStream()`, where the package
 * has it) or `whole` (`export()`). */
async function exportChild() {
  const size = Number(opts.size);
  const { mod } = await started();
  const ledger = await mod.createLedger({ id: LEDGER_ID, storage: mod.sqliteStorage(ledgerPath(size)) });
  const file = join(workdir, `export-${size}.jsonl`);
  try {
    const stream = opts.mode === "stream" && typeof ledger.exportStream === "function";
    const t = await timed(async () => {
      const out = createWriteStream(file);
      if (stream) {
        for await (const chunk of ledger.exportStream()) if (!out.write(chunk)) await new Promise((ok) => out.once("drain", ok));
      } else {
        out.write(await ledger.export());
      }
      await new Promise((ok, fail) => out.end((err) => (err ? fail(err) : ok())));
    });
    const bytes = statSync(file).size;
    console.log(JSON.stringify({ size, streaming: stream, wall: t.wall, cpu: t.cpu, added: t.added, peak: t.peak, bytes }));
  } finally {
    await ledger.close();
    rmSync(file, { force: true });
  }
}

// -- the parent --------------------------------------------------------------------------------------------

function child(kind, size, extra = []) {
  const args = ["--expose-gc", fileURLToPath(import.meta.url), "--child", kind, "--size", String(size), "--workdir", workdir, ...extra];
  const p = spawnSync(process.execPath, [...args, "--package", resolve(opts.package), "--samples", opts.samples], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (p.status !== 0) throw new Error(`${kind} ${size} failed:\n${p.stderr}`);
  const lines = p.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/** `nucleus verify` of the ledger by the package's own bin, in 10,000-entry chunks, each a read-only open: wall ms. */
function cliVerify(size) {
  const t0 = performance.now();
  const p = spawnSync(process.execPath, [join(resolve(opts.package), "dist", "cli.js"), "verify", ledgerPath(size)], { encoding: "utf8" });
  const wall = performance.now() - t0;
  if (p.status !== 0) throw new Error(`nucleus verify ${size} failed:\n${p.stderr}`);
  return wall;
}

const fmt = (x) => (x === null || x === undefined ? "–" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function main() {
  const begun = Date.now();
  const loadBefore = os.loadavg()[0];
  const sizes = opts.sizes.split(",").map(Number);
  const rounds = Number(opts.rounds);
  mkdirSync(workdir, { recursive: true });
  const built = {};
  for (const size of sizes) {
    if (existsSync(`${ledgerPath(size)}.done`)) continue;
    console.error(`building the ${size}-entry ledger in ${workdir} …`);
    built[size] = child("build", size).built;
  }
  const results = {};
  for (const size of sizes) {
    const reads = [];
    const exports = [];
    const wholes = [];
    const warm = [];
    const cli = [];
    for (let r = 0; r < rounds; r++) {
      cli.push(cliVerify(size));
      reads.push(child("read", size));
      warm.push(child("warm-open", size));
      exports.push(child("export", size, ["--mode", "stream"]));
      wholes.push(child("export", size, ["--mode", "whole"]));
    }
    const pick = (runs, get) => median(runs.map(get));
    results[size] = {
      file_mb: statSync(ledgerPath(size)).size / 2 ** 20,
      runtime_rss_mb: pick(reads, (r) => r.runtime_rss),
      open_wall_ms: pick(reads, (r) => r.open.wall),
      open_cpu_ms: pick(reads, (r) => r.open.cpu),
      open_added_mb: pick(reads, (r) => r.open.added),
      open_peak_mb: pick(reads, (r) => r.open.peak),
      open_over_start_peak_mb: pick(reads, (r) => r.open.overPeak),
      cli_verify_wall_ms: median(cli),
      warm_open_wall_ms: pick(warm, (r) => r.wall),
      warm_open_cpu_ms: pick(warm, (r) => r.cpu),
      warm_open_added_mb: pick(warm, (r) => r.added),
      warm_open_peak_mb: pick(warm, (r) => r.peak),
      query_total: reads[0].query_total,
      first_query_ms: pick(reads, (r) => r.first_reads.query),
      first_get_by_id_ms: pick(reads, (r) => r.first_reads.get_by_id),
      first_get_ms: pick(reads, (r) => r.first_reads.get),
      query_first_ms: pick(reads, (r) => r.query_first.median),
      query_deep_ms: pick(reads, (r) => r.query_deep.median),
      query_deep_desc_ms: pick(reads, (r) => r.query_deep_desc.median),
      get_by_id_ms: pick(reads, (r) => r.get_by_id.median),
      checkpoint_ms: pick(reads, (r) => r.checkpoint),
      inclusion_proof_ms: pick(reads, (r) => r.inclusion_proof.median),
      read_peak_mb: pick(reads, (r) => r.peak_end),
      export_streaming: exports[0].streaming,
      export_wall_ms: pick(exports, (r) => r.wall),
      export_cpu_ms: pick(exports, (r) => r.cpu),
      export_added_mb: pick(exports, (r) => r.added),
      export_peak_mb: pick(exports, (r) => r.peak),
      export_mb: exports[0].bytes / 2 ** 20,
      export_whole_wall_ms: pick(wholes, (r) => r.wall),
      export_whole_added_mb: pick(wholes, (r) => r.added),
      export_whole_peak_mb: pick(wholes, (r) => r.peak),
    };
    console.error(`${size}: ${JSON.stringify(results[size])}`);
  }
  const rows = [
    ["ledger file, MB", "file_mb"],
    ["runtime started, RSS MB", "runtime_rss_mb"],
    ["open + full verify, wall ms", "open_wall_ms"],
    ["open + full verify, CPU ms", "open_cpu_ms"],
    ["open + full verify, added RSS MB", "open_added_mb"],
    ["open + full verify, peak RSS MB", "open_peak_mb"],
    ["open + full verify, peak over start-up's peak, MB", "open_over_start_peak_mb"],
    ["the same after a 1,000-entry open, wall ms", "warm_open_wall_ms"],
    ["the same after a 1,000-entry open, CPU ms", "warm_open_cpu_ms"],
    ["the same after a 1,000-entry open, added RSS MB", "warm_open_added_mb"],
    ["the same after a 1,000-entry open, peak RSS MB", "warm_open_peak_mb"],
    ["`nucleus verify` (npm bin, chunks of 10,000), wall ms", "cli_verify_wall_ms"],
    ["the session's first query by stream (checks its index), ms", "first_query_ms"],
    ["the session's first getById (checks its index), ms", "first_get_by_id_ms"],
    ["the session's first get by hash (a hit needs no check), ms", "first_get_ms"],
    ["query by stream, first page (100), ms", "query_first_ms"],
    ["query by stream, page at half, ms", "query_deep_ms"],
    ["the same, order desc, ms", "query_deep_desc_ms"],
    ["getById, ms", "get_by_id_ms"],
    ["checkpoint, ms", "checkpoint_ms"],
    ["inclusionProof, ms", "inclusion_proof_ms"],
    ["RSS after the reads, MB", "read_peak_mb"],
    ["exportStream() to a file, wall ms", "export_wall_ms"],
    ["exportStream() to a file, added RSS MB", "export_added_mb"],
    ["exportStream() to a file, peak RSS MB", "export_peak_mb"],
    ["export() to a file, wall ms", "export_whole_wall_ms"],
    ["export() to a file, added RSS MB", "export_whole_added_mb"],
    ["export() to a file, peak RSS MB", "export_whole_peak_mb"],
    ["export file, MB", "export_mb"],
  ];
  const header = ["entries", ...sizes.map((s) => s.toLocaleString("en"))];
  const table = rows.map(([label, key]) => [label, ...sizes.map((s) => fmt(results[s][key]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  for (const row of [header, widths.map((w) => "-".repeat(w)), ...table]) console.log(row.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  "));
  const verdicts = {};
  for (const [id, target] of Object.entries(TARGETS)) {
    const r = results[Number(id.split(".")[1])];
    if (!r) continue;
    verdicts[id] = { ...target, wall_ms: r.open_wall_ms, added_mb: r.open_added_mb, ok: r.open_wall_ms <= target.wall && r.open_added_mb <= target.added };
    console.log(`${id}: ${fmt(r.open_wall_ms)} ms (≤ ${target.wall}), added ${fmt(r.open_added_mb)} MB (≤ ${target.added}): ${verdicts[id].ok ? "ok" : "NOT MET"}`);
  }
  if (!results[sizes[0]].export_streaming) console.log("this package has no exportStream(): both export rows are export()");
  for (const [size, ms] of Object.entries(built)) console.log(`built the ${size}-entry ledger in ${(ms / 1000).toFixed(0)} s (kept in ${workdir})`);
  const loadAfter = os.loadavg()[0];
  console.log(`load ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)} on ${os.cpus().length} CPUs; ${((Date.now() - begun) / 1000).toFixed(0)} s`);
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  writeFileSync(
    resolve(opts.out),
    `${JSON.stringify({ node: process.version, cpus: os.cpus().length, load: [loadBefore, loadAfter], package: resolve(opts.package), rounds, results, targets: verdicts }, null, 2)}\n`,
  );
  console.log(`wrote ${resolve(opts.out)}`);
}

if (opts.child === "build") await buildChild();
else if (opts.child === "read") await readChild();
else if (opts.child === "export") await exportChild();
else if (opts.child === "warm-open") await warmOpenChild();
else await main();
