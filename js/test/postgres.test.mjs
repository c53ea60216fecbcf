/**
 * PostgreSQL under Node.js (postgresStorage): the API against a throwaway cluster (test/helpers/pg.py starts one
 * with tests_py/pg_cluster.py, and stops and deletes it when this file ends or dies), CPython interop, many
 * writers in both runtimes at once, a writer killed mid-batch, tampered rows, coded failures, and a missing `pg`.
 * Needs $PYTHON with psycopg and the PostgreSQL server binaries (scripts/setup.sh --system installs them); without
 * them every test here fails.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { consumerDir, loadPackage, runScript, tempDir } from "./helpers/consumer.mjs";
import { runCli } from "./helpers/cli.mjs";

const { createLedger, postgresStorage } = await loadPackage();
const PYTHON = process.env.PYTHON || "python3";
const HELPER = fileURLToPath(new URL("./helpers/pg.py", import.meta.url));

/** Runs `pg.py args…` with a bounded time; resolves to its stdout's last line, parsed. */
function python(args, ms = 120_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [HELPER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`pg.py ${args[0]} failed (${code}): ${err.slice(-2000)}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)));
    });
  });
}

/** The cluster: {dsn, tcpDsn, port}. */
let cluster;
let server;

before(async () => {
  server = spawn(PYTHON, [HELPER, "cluster"], { stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  server.stderr.on("data", (d) => (err += d));
  cluster = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the cluster did not start within 90 s: ${err}`)), 90_000);
    server.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(JSON.parse(out.split("\n")[0]));
      }
    });
    server.on("close", (code) => {
      clearTimeout(timer);
      const hint = /binaries .* were not found/.test(err) ? " (run scripts/setup.sh --system to install PostgreSQL)" : "";
      reject(new Error(`the cluster helper exited (${code})${hint}: ${err.slice(-3000)}`));
    });
  });
});

after(async () => {
  if (!server || server.exitCode !== null) return;
  const closed = new Promise((resolve) => server.on("close", resolve));
  server.stdin.end(); // the helper stops and deletes the cluster
  const timer = setTimeout(() => server.kill("SIGTERM"), 60_000);
  await closed;
  clearTimeout(timer);
});

let schemas = 0;
/** A schema of its own per test. */
const schema = () => `js_${process.pid}_${++schemas}`;
const rec = (tag, i) => ({ id: `${tag}-${i}`, stream: "pg", payload: { by: tag, i } });
/** The hashes of an export, in seq order, checking that the seqs run 0, 1, 2, … */
function exportHashes(text) {
  const lines = text.trim().split("\n").slice(1).map((line) => JSON.parse(line));
  lines.forEach((line, i) => assert.equal(line.seq, i));
  return lines.map((line) => line.hash);
}

test("append, batch, get, query, verify; reopening verifies; another ledger is its own", async (t) => {
  const storage = postgresStorage(cluster.dsn, { schema: schema(), timeout: 5 });
  const ledger = await createLedger({ id: "orders", storage });
  const first = await ledger.append(rec("a", 0));
  const batch = await ledger.appendBatch([rec("b", 0), rec("b", 1), { id: "nul", stream: "odd", payload: { t: "é\u0000" } }]);
  assert.equal(await ledger.length(), 4);
  assert.deepEqual((await ledger.get(first)).payload, { by: "a", i: 0 });
  const found = await ledger.query({ stream: "pg" });
  assert.equal(found.total, 3);
  assert.deepEqual((await ledger.query({ stream: "odd" })).records[0].payload, { t: "é\u0000" });
  await ledger.verify();
  const other = await createLedger({ id: "other", storage });
  await other.append(rec("o", 0));
  await other.close();
  await ledger.close();
  const again = await createLedger({ id: "orders", storage });
  assert.equal(await again.length(), 4);
  assert.equal(await again.latestHash(), batch.at(-1));
  await again.verify();
  await again.close();
});

test("a ledger CPython wrote is read and extended by Node, and back: the same chain", async (t) => {
  const s = schema();
  const written = await python(["append", cluster.dsn, s, "mixed", "5", "1", "3"]);
  const ledger = await createLedger({ id: "mixed", storage: postgresStorage(cluster.dsn, { schema: s }) });
  assert.equal(await ledger.length(), 8);
  assert.equal(await ledger.latestHash(), written.at(-1));
  const mine = [await ledger.append(rec("node", 0)), ...(await ledger.appendBatch([rec("node", 1), rec("node", 2)]))];
  const exported = await ledger.export();
  await ledger.close();
  const read = await python(["read", cluster.dsn, s, "mixed"]);
  assert.equal(read.length, 11);
  assert.equal(read.export, exported);
  assert.deepEqual(exportHashes(exported), [...written, ...mine]);
});

test("4 Node and 2 CPython processes, 300 appends and 4 batches of 25 each, into one ledger at once: gap-free, every hash there, verified by both", async () => {
  const s = schema();
  const storage = postgresStorage(cluster.dsn, { schema: s });
  const bystander = await createLedger({ id: "bystander", storage });
  await bystander.appendBatch([rec("x", 0), rec("x", 1)]);
  const before = await bystander.export();
  await bystander.close();
  const writer = `
import { createLedger, postgresStorage } from "@onoal/nucleus";
const [dsn, schema, tag] = process.argv.slice(2);
const ledger = await createLedger({ id: "shared", storage: postgresStorage(dsn, { schema }) });
const rec = (t, i) => ({ id: t + "-" + i, stream: "pg", payload: { by: t, i } });
const hashes = [];
for (let i = 0; i < 300; i++) hashes.push(await ledger.append(rec(tag, i)));
for (let b = 0; b < 4; b++) hashes.push(...(await ledger.appendBatch(Array.from({ length: 25 }, (_, i) => rec(tag + "b" + b, i)))));
await ledger.close();
console.log(JSON.stringify(hashes));
`;
  const node = [1, 2, 3, 4].map((n) =>
    runScript(writer, { args: [cluster.dsn, s, `node${n}`] }).then((r) => {
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout.trim());
    }),
  );
  const py = [1, 2].map((n) => python(["append", cluster.dsn, s, "shared", "300", "4", "25", String(n)], 240_000));
  const resolved = (await Promise.all([...node, ...py])).flat();
  assert.equal(resolved.length, 2400);
  const ledger = await createLedger({ id: "shared", storage });
  assert.equal(await ledger.length(), 2400);
  await ledger.verify();
  const exported = await ledger.export();
  await ledger.close();
  const hashes = exportHashes(exported);
  assert.deepEqual(new Set(hashes), new Set(resolved));
  const read = await python(["read", cluster.dsn, s, "shared"]);
  assert.equal(read.export, exported);
  const untouched = await createLedger({ id: "bystander", storage });
  assert.equal(await untouched.export(), before);
  await untouched.close();
});

/** A localhost port nobody listens on. */
async function closedPort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test("a wrong password and an unreachable server are coded STORAGE_ERRORs, quickly", async (t) => {
  const wrong = cluster.tcpDsn.replace("nucleus-test-password", "not-the-password");
  let started = performance.now();
  await assert.rejects(createLedger({ id: "p", storage: postgresStorage(wrong, { schema: schema() }) }), (err) => {
    assert.equal(err.code, "STORAGE_ERROR");
    assert.equal(err.details.reason, "auth", err.message);
    assert.ok(!err.message.includes("not-the-password") && !JSON.stringify(err.details).includes("not-the-password"));
    return true;
  });
  assert.ok(performance.now() - started < 5000);
  const port = await closedPort();
  started = performance.now();
  await assert.rejects(createLedger({ id: "p", storage: postgresStorage(`postgresql://u:p@127.0.0.1:${port}/db`) }), (err) => {
    assert.equal(err.code, "STORAGE_ERROR");
    assert.equal(err.details.reason, "unreachable", err.message);
    return true;
  });
  assert.ok(performance.now() - started < 5000);
});

test("postgresStorage options are checked: unknown keys, schema, timeout", () => {
  const bad = (fn) => assert.throws(fn, (err) => err.code === "INVALID_CONFIG");
  bad(() => postgresStorage("postgresql://x/y", { pool: 3 }));
  bad(() => postgresStorage("postgresql://x/y", { schema: "Bad-Name" }));
  bad(() => postgresStorage("postgresql://x/y", { timeout: 0 }));
  bad(() => postgresStorage("postgresql://x/y", { timeout: "5" }));
  assert.deepEqual(postgresStorage("postgresql://x/y", { schema: "s1", timeout: 2.5 }), {
    type: "postgres",
    connectionString: "postgresql://x/y",
    schema: "s1",
    timeout: 2.5,
  });
});

test("without the pg package createLedger names the package to install", async () => {
  // A project holding the package and pyodide, but not pg.
  const dir = tempDir();
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@onoal"), { recursive: true });
  cpSync(join(consumerDir, "node_modules", "@onoal", "nucleus"), join(modules, "@onoal", "nucleus"), { recursive: true });
  symlinkSync(join(consumerDir, "node_modules", "pyodide"), join(modules, "pyodide"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "no-pg", private: true, type: "module" }));
  const script = join(dir, "main.mjs");
  writeFileSync(
    script,
    `import { createLedger, postgresStorage } from "@onoal/nucleus";
try { await createLedger({ id: "p", storage: postgresStorage("postgresql://u:p@127.0.0.1:1/db") }); console.log("opened"); }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, details: e.details })); }
`,
  );
  const out = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: dir });
    let text = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (d) => (text += d));
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
  const err = JSON.parse(out.trim());
  assert.equal(err.code, "INVALID_CONFIG");
  assert.equal(err.details.reason, "missing_driver");
  assert.equal(err.details.package, "pg");
  assert.match(err.message, /npm install pg/);
});

// The `nucleus` bin of the packed package (one implementation with `python -m nucleus`, tests_py/test_cli_postgres.py)
// on a ledger in PostgreSQL: `<db>` a URL with --ledger and --schema, through the same host channel as the API.
test("the nucleus bin takes a postgresql:// URL: append, verify, info, export, import; refusals show no password", async () => {
  const s = schema();
  const copy = schema();
  const cwd = tempDir();
  const url = cluster.tcpDsn;
  const at = (ledger, sch = s) => [url, "--ledger", ledger, "--schema", sch];
  const clean = (r) => assert.ok(!(r.stdout + r.stderr).includes("nucleus-test-password"), r.stdout + r.stderr);
  for (const i of [0, 1, 2]) {
    const r = await runCli(["append", ...at("cli"), "--stream", "s", "--id", `r-${i}`, "--payload", `{"i":${i}}`], { cwd });
    assert.equal(r.code, 0, r.stderr);
    clean(r);
  }
  let r = await runCli(["verify", ...at("cli"), "--json"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.entries, 3);
  assert.match(r.json.url, /^postgresql:\/\/nucleus:\*\*\*@/);
  clean(r);
  r = await runCli(["info", ...at("cli"), "--json"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.entries, 3);
  r = await runCli(["query", ...at("cli"), "--id", "r-1", "--json"], { cwd });
  assert.deepEqual(r.json.records.map((rec) => rec.payload), [{ i: 1 }]);
  r = await runCli(["export", ...at("cli"), "--out", "cli.jsonl"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  r = await runCli(["import", "cli.jsonl", ...at("cli", copy), "--json"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.imported, 3);
  r = await runCli(["verify", url, "--json"], { cwd });
  assert.equal(r.code, 2);
  assert.equal(r.json.error.code, "USAGE");
  clean(r);
  r = await runCli(["upgrade", "old.db", url, "--ledger", "cli", "--json"], { cwd });
  assert.equal(r.code, 2);
  assert.equal(r.json.error.code, "USAGE");
  clean(r);
  const wrong = cluster.tcpDsn.replace("nucleus-test-password", "not-the-password");
  r = await runCli(["verify", wrong, "--ledger", "cli", "--schema", s, "--json"], { cwd });
  assert.equal(r.code, 2);
  assert.equal(r.json.error.code, "STORAGE_ERROR");
  assert.equal(r.json.error.details.reason, "auth");
  assert.ok(!(r.stdout + r.stderr).includes("not-the-password"));
});

// A Node writer killed with SIGKILL while it appends (tests_py/test_postgres_concurrency.py kills a CPython one): it
// reports every call that resolved, one line each, in a file; it is killed while its backend holds an open append
// transaction (seen in pg_stat_activity: it alone connects over TCP). Another Node writer goes on meanwhile.
test("a Node writer killed with SIGKILL mid-batch: every append it resolved is there, no batch in part, the other goes on", { timeout: 240_000 }, async () => {
  const s = schema();
  const dir = tempDir();
  const reports = join(dir, "victim.jsonl");
  const victim = `
import { appendFileSync } from "node:fs";
import { createLedger, postgresStorage } from "@onoal/nucleus";
const [dsn, schema, out] = process.argv.slice(2);
const ledger = await createLedger({ id: "shared", storage: postgresStorage(dsn, { schema }) });
const rec = (t, i) => ({ id: t + "-" + i, stream: "pg", payload: { by: t, i } });
appendFileSync(out, JSON.stringify({ kind: "pid", pid: process.pid }) + "\\n");
for (let b = 0; b < 200; b++) {
  for (let i = 0; i < 3; i++) {
    const hash = await ledger.append(rec("victim-a" + b, i));
    appendFileSync(out, JSON.stringify({ kind: "append", round: b, i, hashes: [hash] }) + "\\n");
  }
  const hashes = await ledger.appendBatch(Array.from({ length: 400 }, (_, i) => rec("victim-b" + b, i)));
  appendFileSync(out, JSON.stringify({ kind: "batch", batch: b, hashes }) + "\\n");
}
`;
  const other = `
import { createLedger, postgresStorage } from "@onoal/nucleus";
const [dsn, schema] = process.argv.slice(2);
const ledger = await createLedger({ id: "shared", storage: postgresStorage(dsn, { schema }) });
const rec = (t, i) => ({ id: t + "-" + i, stream: "pg", payload: { by: t, i } });
const hashes = [];
for (let i = 0; i < 400; i++) {
  hashes.push(await ledger.append(rec("other", i)));
  if (i % 100 === 99) hashes.push(...(await ledger.appendBatch(Array.from({ length: 25 }, (_, j) => rec("other-b" + i, j)))));
}
await ledger.close();
console.log(JSON.stringify(hashes));
`;
  const lines = () => {
    try {
      return readFileSync(reports, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
    } catch {
      return [];
    }
  };
  // Its own connection, to watch the victim's backend.
  const watcher = new pg.Client({ connectionString: cluster.tcpDsn });
  await watcher.connect();
  const victimRun = runScript(victim, { args: [cluster.tcpDsn, s, reports] });
  const otherRun = runScript(other, { args: [cluster.dsn, s] });
  let ended; // its result, should it end by itself
  victimRun.then((result) => (ended = result));
  let caught; // the batch it was killed in
  try {
    const deadline = performance.now() + 120_000;
    while (caught === undefined) {
      assert.equal(ended, undefined, `the victim ended before it was killed: ${ended?.stderr}`);
      assert.ok(performance.now() < deadline, "the victim was never seen inside an append transaction with rows written");
      const seen = lines();
      const last = seen.at(-1);
      // Mid-run (a batch has resolved), and into a batch: its round's last single append has resolved.
      if (seen.some((r) => r.kind === "batch") && last.kind === "append" && last.i === 2) {
        // backend_xid: the transaction has written (the batch's rows and the new head), not yet committed.
        const { rows } = await watcher.query(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND client_addr IS NOT NULL " +
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL AND application_name = 'nucleus'",
        );
        if (rows.length && lines().length === seen.length) {
          process.kill(seen[0].pid, "SIGKILL");
          caught = last.round;
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  } finally {
    const pid = lines()[0]?.pid;
    if (caught === undefined && pid) process.kill(pid, "SIGKILL");
    await watcher.end();
  }
  const killed = await victimRun;
  assert.equal(killed.signal, "SIGKILL", killed.stderr);
  const done = await otherRun;
  assert.equal(done.code, 0, done.stderr);
  const otherHashes = JSON.parse(done.stdout.trim());
  assert.equal(otherHashes.length, 400 + 4 * 25);

  const ledger = await createLedger({ id: "shared", storage: postgresStorage(cluster.dsn, { schema: s }) });
  await ledger.verify();
  const exported = await ledger.export();
  const stored = new Set(exportHashes(exported)); // seqs 0, 1, 2, … without a gap
  const resolved = lines().flatMap((r) => r.hashes ?? []);
  for (const hash of [...resolved, ...otherHashes]) assert.ok(stored.has(hash), `resolved ${hash} is missing`);
  const ids = exported.trim().split("\n").slice(1).map((line) => JSON.parse(line).record.id);
  const batchesDone = new Set(lines().filter((r) => r.kind === "batch").map((r) => r.batch));
  for (let b = 0; b <= caught; b++) {
    const count = ids.filter((id) => id.startsWith(`victim-b${b}-`)).length;
    // The batch being written when it was killed: none of it, or (committed, unreported) all of it.
    if (batchesDone.has(b)) assert.equal(count, 400, `batch ${b}`);
    else assert.ok(count === 0 || count === 400, `batch ${b}: ${count} of 400 rows stored`);
  }
  assert.equal(ids.filter((id) => id.startsWith("victim-b")).length % 400, 0);
  // The other writer went on after the kill: some of its records follow the victim's last one.
  const lastVictim = ids.findLastIndex((id) => id.startsWith("victim-"));
  assert.ok(ids.slice(lastVictim + 1).some((id) => id.startsWith("other-")), "the other writer stopped with the victim");
  await ledger.append(rec("after", 0));
  await ledger.close();
});

// Rows edited, deleted or inserted behind the package's back: the same tampers as CPython's
// (tests_py/test_postgres_tamper.py, applied by test/helpers/pg.py), found when Node opens or verifies the ledger.
test("an edited, deleted or inserted row is CHAIN_INVALID naming the seq, on open and on verify", { timeout: 240_000 }, async () => {
  const { names, records } = await python(["tampers"]);
  assert.ok(names.length >= 9, names.join(", "));
  for (const name of names) {
    const s = schema();
    const storage = postgresStorage(cluster.dsn, { schema: s });
    const ledger = await createLedger({ id: "t", storage });
    await ledger.appendBatch(records);
    const bystander = await createLedger({ id: "bystander", storage });
    await bystander.appendBatch(records.slice(0, 2));
    await bystander.close();
    const expected = await python(["tamper", cluster.dsn, s, name]);
    const chainInvalid = (err) => {
      assert.equal(err.code, "CHAIN_INVALID", `${name}: ${err.message}`);
      assert.deepEqual({ seq: err.details.seq, kind: err.details.kind }, expected, `${name}: ${err.message}`);
      return true;
    };
    await assert.rejects(ledger.verify(), chainInvalid); // the open ledger
    await ledger.close();
    await assert.rejects(createLedger({ id: "t", storage }), chainInvalid);
    const other = await createLedger({ id: "bystander", storage });
    assert.equal(await other.length(), 2);
    await other.verify();
    await other.close();
  }
});
