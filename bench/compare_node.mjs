/**
 * The package against the plain-JavaScript baseline (bench/baseline/ledger.mjs: better-sqlite3 + node:crypto, the
 * same file, hashes and checks), side by side: every workload runs in child processes, alternating package /
 * baseline / package / baseline…, with the same records on the same temp disk. Prints
 * `workload | package | plain JS | ratio | target` (issue 11's table) and writes bench/results/compare.json.
 *
 *   npm ci --prefix bench                  # once: better-sqlite3, pinned in bench/package-lock.json
 *   node bench/compare_node.mjs            # full run: about a minute on 2 cores
 *   node bench/compare_node.mjs --quick    # one round of each: a smoke check, not a measurement
 *
 * Options: --package DIR (default ../js, which must be built), --node PATH (the Node.js that runs the children,
 * e.g. tools/node24/node_modules/.bin/node, once its better-sqlite3 addon is built with
 * `node bench/compare_node.mjs --build-native --node PATH`), --out FILE, --workdir DIR (where the ledgers go: fsync
 * cost is that disk's), --keep.
 *
 * Before timing anything it checks that both write the same bytes: each writes a ledger from the same records, the
 * rows are compared, and each opens and verifies the other's file. It aborts when they disagree.
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { fmt, loadavg, makeRecord, median, percentile } from "./common.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const LEDGER_ID = "bench";
const BATCH = 10_000;

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    package: { type: "string", default: join(HERE, "..", "js") },
    node: { type: "string" },
    out: { type: "string", default: join(HERE, "results", "compare.json") },
    workdir: { type: "string" },
    keep: { type: "boolean", default: false },
    "build-native": { type: "boolean", default: false },
    child: { type: "string" },
  },
});

// ===== child side: one workload of one implementation, one JSON line on stdout ===========================

/** Opens a ledger of either implementation; both answer append, appendBatch, length, latestHash, close. */
async function loader(impl, pkgDir) {
  if (impl === "package") {
    const { createLedger, sqliteStorage } = await import(pathToFileURL(join(pkgDir, "dist", "index.js")).href);
    return (path, durability = "full") => createLedger({ id: LEDGER_ID, storage: sqliteStorage(path, { durability }) });
  }
  const { openLedger } = await import("./baseline/ledger.mjs");
  return async (path, durability = "full", extra = {}) => openLedger(path, LEDGER_ID, { durability, ...extra });
}

const records = (start, count) => Array.from({ length: count }, (_, k) => makeRecord(start + k));

/** Peak resident memory of this process so far (VmHWM), in MB. */
function peakRssMb() {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Writes `count` records: `singles` single appends, then batches of 10,000. */
async function write(ledger, count, singles) {
  for (let i = 0; i < Math.min(singles, count); i++) await ledger.append(makeRecord(i));
  for (let start = singles; start < count; start += BATCH) await ledger.appendBatch(records(start, Math.min(BATCH, count - start)));
}

const WORKLOADS = {
  /** Process spawn → a new SQLite ledger open: the parent subtracts its spawn time from `ready`. */
  async cold(open, spec) {
    const ledger = await open(spec.path);
    const ready = performance.timeOrigin + performance.now();
    await ledger.close();
    return { ready };
  },

  /** Median single append into a fresh ledger, after `warmup` untimed ones. */
  async append(open, spec) {
    const ledger = await open(spec.path, spec.durability);
    for (let i = 0; i < spec.warmup; i++) await ledger.append(makeRecord(i));
    const wall = [];
    for (let i = spec.warmup; i < spec.warmup + spec.n; i++) {
      const rec = makeRecord(i);
      const t0 = performance.now();
      await ledger.append(rec);
      wall.push(performance.now() - t0);
    }
    await ledger.close();
    return { wall };
  },

  /** A ledger opened and closed untimed (the runtime's start), then `batches` timed 10,000-record appendBatch
   * calls, each into a fresh ledger (durability full): the first is the fresh process's first batch. */
  async batch(open, spec) {
    await (await open(join(spec.dir, "start.db"))).close();
    const wall = [];
    for (let b = 0; b < spec.batches; b++) {
      const ledger = await open(join(spec.dir, `b${b}.db`));
      const recs = records(0, BATCH);
      const t0 = performance.now();
      await ledger.appendBatch(recs);
      wall.push(performance.now() - t0);
      await ledger.close();
    }
    return { wall };
  },

  /** Open + full verify of an existing ledger: the first open of the process (untimed as such; peak RSS after it),
   * then `reps` timed ones. */
  async open(open, spec) {
    const t0 = performance.now();
    const first = await open(spec.path);
    const firstMs = performance.now() - t0;
    const rss = peakRssMb();
    const size = await first.length();
    const head = await first.latestHash();
    await first.close();
    const wall = [];
    for (let r = 0; r < spec.reps; r++) {
      const t = performance.now();
      const ledger = await open(spec.path);
      wall.push(performance.now() - t);
      await ledger.close();
    }
    // The baseline also times the walk without the record checks (seqs, links and hashes only), for the note.
    const chainWall = [];
    for (let r = 0; spec.impl === "baseline" && r < spec.reps; r++) {
      const t = performance.now();
      const ledger = await open(spec.path, "full", { chainOnly: true });
      chainWall.push(performance.now() - t);
      await ledger.close();
    }
    return { first: firstMs, rss, size, head, wall, chainWall };
  },

  /** Writes a ledger (the byte comparison and the ledgers that open + verify reads). */
  async write(open, spec) {
    const ledger = await open(spec.path, spec.durability);
    await write(ledger, spec.count, spec.singles);
    const out = { size: await ledger.length(), head: await ledger.latestHash() };
    await ledger.close();
    return out;
  },

  /** Opens (so verifies) a ledger and says what it holds; the baseline also lists every row's hash and digests
   * every row (all seven columns) and the file's meta table and pragmas. */
  async verify(open, spec) {
    const ledger = await open(spec.path);
    const out = { size: await ledger.length(), head: await ledger.latestHash() };
    if (typeof ledger.rows === "function") {
      const rows = ledger.rows();
      out.hashes = rows.map((r) => r[1]);
      out.rowsDigest = createHash("sha256").update(JSON.stringify(rows)).digest("hex");
    }
    await ledger.close();
    if (spec.withFile) {
      // Read after close, with the baseline's own driver: meta rows and the two pragmas a Nucleus file carries.
      const { sqlite } = await import("./baseline/ledger.mjs");
      const db = sqlite(spec.path, { readonly: true });
      out.file = {
        meta: db.prepare("SELECT key, value FROM meta ORDER BY key").raw().all(),
        applicationId: db.pragma("application_id", { simple: true }),
        userVersion: db.pragma("user_version", { simple: true }),
        tables: db.prepare("SELECT type, name FROM sqlite_master ORDER BY name").raw().all(),
      };
      db.close();
    }
    return out;
  },

  /** The Node.js and the SQLite the baseline runs on (fails when better-sqlite3 was built for another Node). */
  async probe() {
    const { NATIVE_BINDING, sqlite } = await import("./baseline/ledger.mjs");
    const db = sqlite(":memory:");
    const version = db.prepare("SELECT sqlite_version()").pluck().get();
    db.close();
    const pkg = JSON.parse(readFileSync(join(HERE, "node_modules", "better-sqlite3", "package.json"), "utf8"));
    return { node: process.version, sqlite: version, betterSqlite3: pkg.version, binding: existsSync(NATIVE_BINDING) ? NATIVE_BINDING : "npm's build" };
  },
};

async function runChild(spec) {
  const open = spec.workload === "probe" ? null : await loader(spec.impl, spec.pkg);
  const out = await WORKLOADS[spec.workload](open, spec);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ===== parent side ==========================================================================================

const nodeBin = resolve(opts.node ?? process.execPath);
const pkgDir = resolve(opts.package);
const log = (msg) => process.stderr.write(`[compare] ${msg}\n`);
const IMPLS = ["package", "baseline"];
const LABEL = { package: "package", baseline: "plain JS" };

function child(impl, workload, spec = {}) {
  const full = { impl, workload, pkg: pkgDir, ...spec };
  const started = performance.timeOrigin + performance.now();
  const r = spawnSync(nodeBin, [SELF, "--child", JSON.stringify(full)], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`${impl} ${workload} failed (exit ${r.status ?? r.signal}):\n${(r.stderr || r.error?.message || "").trim()}`);
  }
  return { started, ...JSON.parse(r.stdout.trim().split("\n").pop()) };
}

/** Runs `fn(impl, round)` for `rounds` rounds, package then baseline in each: alternating processes. */
function alternate(rounds, fn) {
  const out = { package: [], baseline: [] };
  for (let round = 0; round < rounds; round++) for (const impl of IMPLS) out[impl].push(fn(impl, round));
  return out;
}

// Rounds (children per implementation) and samples per child: [full, quick].
const PLAN = {
  cold: [7, 3],
  appendRounds: [3, 1],
  appendFull: [200, 50],
  appendFast: [1000, 200],
  batchRounds: [3, 1],
  batches: [4, 3],
  openRounds: [3, 1],
  open10k: [4, 2],
  open100k: [2, 1],
};
const plan = (key) => PLAN[key][opts.quick ? 1 : 0];

// Issue 11's targets: package / baseline (for rates: baseline / package) at most this.
const TARGETS = {
  cold_start: 2.5,
  "append.sqlite_full": 1.3,
  "append.sqlite_fast": 2.5,
  "batch10k.warm": 2.5,
  "open_verify.10k": 1.5,
  "open_verify.100k": 1.5,
  "rss.open_100k": 1.6,
};
// The first batch of a fresh process has its own target: at most 1.3× the warmed batch's time (the package's own).
const FIRST_BATCH_TARGET = 1.3;

const results = [];
function add(id, label, unit, values, { higherIsBetter = false, target = TARGETS[id] ?? null, samples, note = "" } = {}) {
  const ratio = higherIsBetter ? values.baseline / values.package : values.package / values.baseline;
  const row = { id, label, unit, package: values.package, baseline: values.baseline, ratio };
  row.target = target === null ? null : { op: "<=", value: target, of: "ratio" };
  row.pass = target === null ? null : ratio <= target;
  if (samples) row.samples = samples;
  if (note) row.note = note;
  results.push(row);
  return row;
}

function formatTable(rows) {
  const header = ["workload", "package", "plain JS", "ratio", "target", "ok"];
  const body = rows.map((r) => [
    r.label,
    `${fmt(r.package)} ${r.unit}`,
    `${fmt(r.baseline)} ${r.unit}`,
    `${r.ratio.toFixed(2)}×`,
    r.targetText ?? (r.target ? `≤ ${r.target.value}×` : ""),
    r.pass === null ? "" : r.pass ? "PASS" : "FAIL",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const right = new Set([1, 2, 3]);
  const line = (cells) => `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`;
  return [line(header), `|${widths.map((w, i) => (right.has(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`, ...body.map(line)].join("\n");
}

/** Both write the same records; the rows must be identical and each must verify the other's file. */
function checkIdenticalBytes(workdir) {
  try {
    sameBytes(workdir);
  } catch (err) {
    throw new Error(`the package and the baseline do not write the same ledger: ${err.message}\n(the files are in ${workdir})`);
  }
}

function sameBytes(workdir) {
  const count = opts.quick ? 2_000 : 12_000; // more than one batch: the chain crosses a batch boundary
  const singles = 25;
  const files = {};
  for (const impl of IMPLS) {
    files[impl] = join(workdir, `same-${impl}.db`);
    child(impl, "write", { path: files[impl], count, singles, durability: "fast" });
  }
  // The baseline verifies both files (the package's one included) and lists their rows.
  const seen = Object.fromEntries(IMPLS.map((impl) => [impl, child("baseline", "verify", { path: files[impl], withFile: true })]));
  const [a, b] = [seen.package, seen.baseline];
  const fail = (why) => {
    throw new Error(why);
  };
  if (a.size !== count || b.size !== count) fail(`sizes ${a.size} (package) and ${b.size} (baseline), expected ${count}`);
  if (a.rowsDigest !== b.rowsDigest) {
    const seq = a.hashes.findIndex((h, i) => h !== b.hashes[i]);
    fail(seq < 0 ? "same hashes, different rows (index columns or record text)" : `first different entry hash at seq ${seq}`);
  }
  if (JSON.stringify(a.file) !== JSON.stringify(b.file)) fail(`file metadata differs: ${JSON.stringify(a.file)} vs ${JSON.stringify(b.file)}`);
  // The package verifies the baseline's file.
  const p = child("package", "verify", { path: files.baseline });
  if (p.size !== count || p.head !== b.head) fail(`the package reads the baseline's file as ${p.size} entries ending ${p.head}`);
  log(`same bytes: ${count.toLocaleString("en-US")} entries (${singles} single appends, then batches), identical rows, meta and pragmas; each verifies the other's file (head ${b.head.slice(0, 16)}…)`);
}

async function main() {
  if (!existsSync(join(pkgDir, "dist", "index.js"))) {
    throw new Error(`${pkgDir}/dist/index.js is missing: build the package first (cd js && npm run build)`);
  }
  let probe;
  try {
    probe = child("baseline", "probe");
  } catch (err) {
    throw new Error(
      `the baseline cannot load better-sqlite3 under ${nodeBin}:\n${err.message}\n` +
        "Install it with `npm ci --prefix bench`; for another Node.js, build its addon once with " +
        `\`node bench/compare_node.mjs --build-native --node ${nodeBin}\`.`,
    );
  }
  const started = Date.now();
  const loadBefore = loadavg();
  const workdir = opts.workdir ? resolve(opts.workdir) : mkdtempSync(join(os.tmpdir(), "nucleus-compare-"));
  mkdirSync(workdir, { recursive: true });
  const pkgVersion = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
  log(`package ${pkgDir} (${pkgVersion}), node ${probe.node} (${nodeBin}), better-sqlite3 ${probe.betterSqlite3} (SQLite ${probe.sqlite})`);
  log(`workdir ${workdir}, ${opts.quick ? "quick" : "full"} run, load ${loadBefore.join(" ")} on ${os.cpus().length} CPUs`);
  let ok = false;
  try {
    checkIdenticalBytes(workdir);

    log("cold start");
    let n = 0;
    const cold = alternate(plan("cold"), (impl) => {
      const r = child(impl, "cold", { path: join(workdir, `cold-${impl}-${n++}.db`) });
      return r.ready - r.started;
    });
    add("cold_start", "cold start: process spawn → SQLite ledger open", "ms", { package: median(cold.package), baseline: median(cold.baseline) }, { samples: cold });

    for (const [durability, key, label] of [["full", "appendFull", "durable"], ["fast", "appendFast", "fast"]]) {
      log(`${label} single appends`);
      const runs = alternate(plan("appendRounds"), (impl, round) =>
        child(impl, "append", { path: join(workdir, `append-${durability}-${impl}-${round}.db`), durability, warmup: opts.quick ? 10 : 50, n: plan(key) }).wall,
      );
      const pooled = { package: runs.package.flat(), baseline: runs.baseline.flat() };
      add(`append.sqlite_${durability}`, `${label} single append, median`, "ms", { package: median(pooled.package), baseline: median(pooled.baseline) }, {
        note: `p95 ${fmt(percentile(pooled.package, 95))} / ${fmt(percentile(pooled.baseline, 95))} ms, n ${pooled.package.length} each`,
      });
    }

    log("batches of 10,000");
    const batches = alternate(plan("batchRounds"), (impl, round) => {
      const dir = join(workdir, `batch-${impl}-${round}`);
      mkdirSync(dir);
      return child(impl, "batch", { dir, batches: plan("batches") }).wall;
    });
    const warm = { package: median(batches.package.flatMap((w) => w.slice(1))), baseline: median(batches.baseline.flatMap((w) => w.slice(1))) };
    const first = { package: median(batches.package.map((w) => w[0])), baseline: median(batches.baseline.map((w) => w[0])) };
    const rate = (ms) => BATCH / (ms / 1000);
    add("batch10k.warm", "10,000-record batch, warmed process", "/s", { package: rate(warm.package), baseline: rate(warm.baseline) }, {
      higherIsBetter: true, samples: batches, note: `ms per batch ${fmt(warm.package)} / ${fmt(warm.baseline)}`,
    });
    const firstRow = add("batch10k.first", "the same, first batch in a fresh process", "/s", { package: rate(first.package), baseline: rate(first.baseline) }, {
      higherIsBetter: true, note: `ms per batch ${fmt(first.package)} / ${fmt(first.baseline)}`,
    });
    // Its target is the package's first batch against its own warmed one.
    const firstOverWarm = first.package / warm.package;
    firstRow.target = { op: "<=", value: FIRST_BATCH_TARGET, of: "package first / package warmed" };
    firstRow.package_first_over_warm = firstOverWarm;
    firstRow.pass = firstOverWarm <= FIRST_BATCH_TARGET;
    firstRow.targetText = `first ≤ ${FIRST_BATCH_TARGET}× warmed (now ${firstOverWarm.toFixed(2)}×)`;

    for (const [size, key, label] of [[10_000, "open10k", "10K"], [100_000, "open100k", "100K"]]) {
      log(`open + full verify ${label}: building the ledger (baseline, durability fast)`);
      const path = join(workdir, `open-${label}.db`);
      const built = child("baseline", "write", { path, count: size, singles: 0, durability: "fast" });
      const runs = alternate(plan("openRounds"), (impl) => {
        const r = child(impl, "open", { path, reps: plan(key) });
        if (r.size !== size || r.head !== built.head) throw new Error(`${impl} opened the ${label} ledger as ${r.size} entries ending ${r.head}, not ${size} ending ${built.head}`);
        return r;
      });
      const wall = { package: runs.package.flatMap((r) => r.wall), baseline: runs.baseline.flatMap((r) => r.wall) };
      add(`open_verify.${label.toLowerCase()}`, `open + full verify, ${label}`, "ms", { package: median(wall.package), baseline: median(wall.baseline) }, {
        note:
          `a warmed process (first open of each child, untimed: ${fmt(median(runs.package.map((r) => r.first)))} / ` +
          `${fmt(median(runs.baseline.map((r) => r.first)))} ms); plain JS without the record checks (hashes and links only): ` +
          `${fmt(median(runs.baseline.flatMap((r) => r.chainWall)))} ms`,
      });
      if (size === 100_000) {
        const rss = { package: median(runs.package.map((r) => r.rss)), baseline: median(runs.baseline.map((r) => r.rss)) };
        add("rss.open_100k", "peak RSS after opening 100K", "MB", rss, { note: "VmHWM of a fresh child after its first open + verify" });
      }
    }

    const loadAfter = loadavg();
    console.log(formatTable(results));
    console.log(`\nNode ${probe.node}, package ${pkgVersion}, better-sqlite3 ${probe.betterSqlite3} (SQLite ${probe.sqlite}); ${opts.quick ? "QUICK run (smoke check, few samples)" : "full run"}`);
    console.log(`load average ${loadBefore.join(" ")} → ${loadAfter.join(" ")} on ${os.cpus().length} CPUs${Math.max(loadBefore[0], loadAfter[0]) > os.cpus().length * 0.75 ? ": the machine was busy, so every number is inflated (the ratios less so)" : ""}`);
    for (const r of results) if (r.note) console.log(`  ${r.label}: ${r.note}`);
    const payload = {
      schema: 1,
      engine: "node-compare",
      mode: opts.quick ? "quick" : "full",
      started_at: new Date(started).toISOString().replace(/\.\d+Z$/, "Z"),
      elapsed_s: Math.round((Date.now() - started) / 10) / 100,
      runtime: {
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        cpus: os.cpus().length,
        node: probe.node,
        node_path: nodeBin,
        nucleus: pkgVersion,
        package_dir: pkgDir,
        better_sqlite3: probe.betterSqlite3,
        sqlite: probe.sqlite,
        workdir,
        loadavg_before: loadBefore,
        loadavg_after: loadAfter,
      },
      results: results.map(({ targetText: _t, ...r }) => r),
    };
    mkdirSync(dirname(resolve(opts.out)), { recursive: true });
    writeFileSync(resolve(opts.out), `${JSON.stringify(payload, null, 2)}\n`);
    console.log(`\nwrote ${resolve(opts.out)} (${payload.elapsed_s} s)`);
    ok = true;
  } finally {
    // A failed run keeps its files to look at.
    if (ok && !opts.keep) rmSync(workdir, { recursive: true, force: true });
    else if (!ok) log(`kept ${workdir}`);
  }
}

/** Compiles better-sqlite3's addon for the Node.js of --node (node-gyp, from the sources npm installed, with that
 * Node's own headers: nothing is downloaded) into bench/node_modules/.native/node-abi<N>/, where the baseline finds
 * it. `npm ci --prefix bench` builds the one for the Node.js that runs npm. */
function buildNative() {
  const source = join(HERE, "node_modules", "better-sqlite3");
  if (!existsSync(join(source, "binding.gyp"))) throw new Error("better-sqlite3 is not installed: run `npm ci --prefix bench` first");
  const about = spawnSync(nodeBin, ["-p", "JSON.stringify([process.versions.modules, process.version])"], { encoding: "utf8" });
  if (about.status !== 0) throw new Error(`cannot run ${nodeBin}: ${about.stderr}`);
  const [abi, version] = JSON.parse(about.stdout);
  const nodedir = resolve(realpathSync(nodeBin), "..", "..");
  if (!existsSync(join(nodedir, "include", "node", "node.h"))) throw new Error(`${nodedir}/include/node has no headers for ${version}`);
  const npmRoot = spawnSync("npm", ["root", "-g"], { encoding: "utf8" }).stdout.trim();
  const nodeGyp = join(npmRoot, "npm", "node_modules", "node-gyp", "bin", "node-gyp.js");
  if (!existsSync(nodeGyp)) throw new Error(`node-gyp not found at ${nodeGyp}`);
  const tmp = mkdtempSync(join(os.tmpdir(), "nucleus-bsq-"));
  try {
    for (const part of ["binding.gyp", "package.json", "deps", "src"]) cpSync(join(source, part), join(tmp, part), { recursive: true });
    log(`compiling better-sqlite3 for Node ${version} (ABI ${abi}) with the headers in ${nodedir}`);
    const r = spawnSync(nodeBin, [nodeGyp, "rebuild", "--release", `--nodedir=${nodedir}`, `--jobs=${os.cpus().length}`], { cwd: tmp, stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`node-gyp failed (exit ${r.status})`);
    const target = join(HERE, "node_modules", ".native", `node-abi${abi}`, "better_sqlite3.node");
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(tmp, "build", "Release", "better_sqlite3.node"), target);
    log(`wrote ${target}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (opts.child) {
  await runChild(JSON.parse(opts.child));
} else if (opts["build-native"]) {
  try {
    buildNative();
  } catch (err) {
    console.error(`compare_node: ${err.message}`);
    process.exit(1);
  }
} else {
  try {
    await main();
  } catch (err) {
    console.error(`compare_node: ${err.message}`);
    process.exit(1);
  }
}
