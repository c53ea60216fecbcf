/**
 * Bad input through the JS API against a SQLite ledger: every case must fail with its stable code and
 * leave the ledger's files byte for byte as they were (SHA-256 of every file in the directory).
 * Also: unusable storage (a directory, not a ledger, another ledger, locked, unwritable directory),
 * unsupported backends, and every call after close().
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const nucleus = await loadPackage();
const { createLedger, sqliteStorage, postgresStorage, inMemoryStorage, NucleusError } = nucleus;

/** SHA-256 of every file in `dir` (names sorted). */
function fingerprint(dir) {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .filter((name) => statSync(join(dir, name)).isFile())
      .map((name) => [name, createHash("sha256").update(readFileSync(join(dir, name))).digest("hex")]),
  );
}

/** Asserts that `fn()` rejects (or throws) a NucleusError with `code`, and that `dir` did not change. */
async function refused(dir, code, fn, label) {
  const before = fingerprint(dir);
  await assert.rejects(
    async () => fn(),
    (err) => {
      assert.ok(err instanceof NucleusError, `${label}: not a NucleusError: ${err?.stack ?? err}`);
      assert.equal(err.code, code, `${label}: ${err.message}`);
      assert.ok(err.message.length > 10, `${label}: the message says what was wrong`);
      return true;
    },
    label,
  );
  assert.deepEqual(fingerprint(dir), before, `${label}: the ledger's files changed`);
}

const T = 1_700_000_000_000;
const rec = (id, n, extra = {}) => ({ id, stream: "events", timestamp: T + n, payload: { n }, ...extra });

const dir = tempDir();
const path = join(dir, "ledger.db");
const ledger = await createLedger({ id: "bad-input", storage: sqliteStorage(path) });
await ledger.appendBatch([rec("a", 10), rec("b", 20)]);
after(() => ledger.close());

test("bad records: wrong types, empty ids, NaN, huge ints, lone surrogates, time going back, limits", async () => {
  let deep = { leaf: true };
  for (let i = 0; i < 80; i++) deep = { d: deep };
  const cyclic = { n: 1 };
  cyclic.self = cyclic;
  const cases = {
    "undefined record": undefined,
    "null record": null,
    "a string record": "record",
    "an array record": [rec("x", 30)],
    "number id": rec(42, 30),
    "empty id": rec("", 30),
    "blank id": rec("   ", 30),
    "empty stream": { ...rec("x", 30), stream: "" },
    "number stream": { ...rec("x", 30), stream: 7 },
    "string payload": { ...rec("x", 30), payload: "text" },
    "null payload": { ...rec("x", 30), payload: null },
    "missing payload": { id: "x", stream: "events", timestamp: T + 30 },
    "NaN in payload": { ...rec("x", 30), payload: { x: Number.NaN } },
    "Infinity in payload": { ...rec("x", 30), payload: { x: Number.POSITIVE_INFINITY } },
    "integer beyond 2^53-1": { ...rec("x", 30), payload: { x: 2 ** 53 } },
    "huge integer": { ...rec("x", 30), payload: { x: 2 ** 60 } },
    "negative huge integer": { ...rec("x", 30), payload: { x: -(2 ** 55) } },
    "BigInt in payload": { ...rec("x", 30), payload: { x: 1n } },
    "lone surrogate in payload": { ...rec("x", 30), payload: { s: "a\uD800b" } },
    "lone surrogate in a key": { ...rec("x", 30), payload: { ["k\uDC00"]: 1 } },
    "lone surrogate in id": rec("id-\uDBFF", 30),
    "undefined in payload": { ...rec("x", 30), payload: { x: undefined } },
    "Date in payload": { ...rec("x", 30), payload: { when: new Date() } },
    "Map in payload": { ...rec("x", 30), payload: { m: new Map([["a", 1]]) } },
    "function in payload": { ...rec("x", 30), payload: { f() {} } },
    "cyclic payload": { ...rec("x", 30), payload: cyclic },
    "nesting too deep": { ...rec("x", 30), payload: deep },
    "record over 1 MiB": { ...rec("x", 30), payload: { big: "x".repeat(1_100_000) } },
    "id over 256 characters": rec("i".repeat(257), 30),
    "unknown member": { ...rec("x", 30), colour: "red" },
    "meta not an object": { ...rec("x", 30), meta: [1, 2] },
    "timestamp as string": { ...rec("x", 30), timestamp: "now" },
    "timestamp NaN": { ...rec("x", 30), timestamp: Number.NaN },
    "fractional timestamp": { ...rec("x", 30), timestamp: T + 30.5 },
    "negative timestamp": { ...rec("x", 30), timestamp: -1 },
    "timestamp going back": rec("x", 5),
  };
  for (const [label, record] of Object.entries(cases)) {
    await refused(dir, "INVALID_RECORD", () => ledger.append(record), label);
  }
  const batches = {
    "batch that is not an array": "records",
    "batch with undefined": [rec("x", 30), undefined],
    "batch with a bad record in the middle": [rec("x", 30), rec("y", 31), { ...rec("z", 32), payload: "no" }, rec("w", 33)],
    "batch going back in time inside": [rec("x", 40), rec("y", 35)],
    "batch with a lone surrogate last": [rec("x", 30), { ...rec("y", 31), payload: { s: "\uDFFF" } }],
  };
  for (const [label, records] of Object.entries(batches)) {
    await refused(dir, "INVALID_RECORD", () => ledger.appendBatch(records), label);
  }
  assert.equal(await ledger.length(), 2, "nothing was appended");
});

test("bad arguments to reads, queries, verify and import: INVALID_ARGUMENT, files unchanged", async () => {
  const other = await createLedger({ id: "another" });
  await other.append(rec("o", 1));
  const foreignExport = await other.export();
  await other.close();
  const ownExport = await ledger.export();
  const lines = ownExport.trimEnd().split("\n");
  const tamperedExport = [lines[0], lines[1], lines[2].replace('"n":20', '"n":21')].join("\n") + "\n";
  const cases = [
    ["get(number)", "INVALID_ARGUMENT", () => ledger.get(7)],
    ["getById(null)", "INVALID_ARGUMENT", () => ledger.getById(null)],
    ["getEntry(object)", "INVALID_ARGUMENT", () => ledger.getEntry({})],
    ["query(limit -1)", "INVALID_ARGUMENT", () => ledger.query({ limit: -1 })],
    ["query(limit as string)", "INVALID_ARGUMENT", () => ledger.query({ limit: "10" })],
    ["query(unknown filter)", "INVALID_ARGUMENT", () => ledger.query({ streem: "events" })],
    ["query(order sideways)", "INVALID_ARGUMENT", () => ledger.query({ order: "sideways" })],
    ["query(timestampFrom NaN)", "INVALID_ARGUMENT", () => ledger.query({ timestampFrom: Number.NaN })],
    ["query(not an object)", "INVALID_ARGUMENT", () => ledger.query("events")],
    ["verify(malformed checkpoint)", "INVALID_ARGUMENT", () => ledger.verify({ checkpoint: { size: 2, hash: "abc" } })],
    ["importEntries(number)", "INVALID_ARGUMENT", () => ledger.importEntries(42)],
    ["importEntries(garbage)", "INVALID_ARGUMENT", () => ledger.importEntries("not an export\n")],
    ["importEntries(another ledger's export)", "LEDGER_MISMATCH", () => ledger.importEntries(foreignExport)],
    ["importEntries(tampered export)", "CHAIN_INVALID", () => ledger.importEntries(tamperedExport)],
    ["append with a malformed context", "INVALID_CONTEXT", () => ledger.append(rec("x", 30), { requesterOid: "alice" })],
    ["append with a context from the future", "INVALID_CONTEXT", () => ledger.append(rec("x", 30), { requesterOid: "oid:onoal:human:alice", timestamp: Date.now() + 3_600_000 })],
  ];
  for (const [label, code, fn] of cases) await refused(dir, code, fn, label);
  assert.equal(await ledger.length(), 2);
});

test("configuration: empty and non-string paths, unknown backends and storages, bad ids", async () => {
  const cases = [
    ['sqliteStorage("")', "INVALID_CONFIG", () => sqliteStorage("")],
    ['sqliteStorage("  ")', "INVALID_CONFIG", () => sqliteStorage("  ")],
    ["sqliteStorage(42)", "INVALID_CONFIG", () => sqliteStorage(42)],
    ["sqliteStorage(undefined)", "INVALID_CONFIG", () => sqliteStorage(undefined)],
    ['postgresStorage("")', "INVALID_CONFIG", () => postgresStorage("")],
    ["postgresStorage(...) of no server at createLedger", "STORAGE_ERROR", () => createLedger({ id: "p", storage: postgresStorage("postgresql://u:p@127.0.0.1:1/db") })],
    ['backend { mode: "http" }', "INVALID_CONFIG", () => createLedger({ id: "h", backend: { mode: "http", url: "https://ledger.example" } })],
    ["number ledger id", "INVALID_CONFIG", () => createLedger({ id: 5 })],
    ["empty ledger id", "INVALID_CONFIG", () => createLedger({ id: "" })],
    ["no config", "INVALID_CONFIG", () => createLedger()],
    ["unknown storage type", "INVALID_CONFIG", () => createLedger({ id: "x", storage: { type: "s3" } })],
  ];
  for (const [label, code, fn] of cases) await refused(dir, code, fn, label);
  // The errors say what to do.
  await assert.rejects(createLedger({ id: "p", storage: postgresStorage("postgresql://u:p@127.0.0.1:1/db") }), /check that the server is running/);
  await assert.rejects(createLedger({ id: "h", backend: { mode: "http", url: "https://x" } }), /"http" is not supported yet/);
  assert.deepEqual(inMemoryStorage(), { type: "none" });
});

test("unusable files: a directory, not a ledger, a SQLite file of another app, another ledger's file, a locked file", async () => {
  const work = tempDir();
  // A directory where the file should be.
  mkdirSync(join(work, "a-directory"));
  await refused(work, "INVALID_CONFIG", () => createLedger({ id: "x", storage: sqliteStorage(join(work, "a-directory")) }), "path is a directory");
  // Text that is not SQLite.
  writeFileSync(join(work, "notes.db"), "just some text, not SQLite\n".repeat(50));
  await refused(work, "LEDGER_MISMATCH", () => createLedger({ id: "x", storage: sqliteStorage(join(work, "notes.db")) }), "not a ledger");
  // A SQLite database that another program wrote.
  const sqlite = spawnSync("python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.execute('insert into t values (1)'); c.commit(); c.close()", join(work, "app.db")]);
  if (sqlite.status === 0) {
    await refused(work, "LEDGER_MISMATCH", () => createLedger({ id: "x", storage: sqliteStorage(join(work, "app.db")) }), "SQLite of another app");
  }
  // A locked file: same process, then a live process elsewhere.
  await refused(dir, "LEDGER_LOCKED", () => createLedger({ id: "bad-input", storage: sqliteStorage(path) }), "locked by this process");
  const sleeper = spawn("sleep", ["30"]);
  after(() => sleeper.kill());
  const other = join(work, "other.db");
  const made = await createLedger({ id: "other", storage: sqliteStorage(other) });
  await made.append(rec("x", 1));
  await made.close();
  await refused(work, "LEDGER_MISMATCH", () => createLedger({ id: "not-other", storage: sqliteStorage(other) }), "another ledger's file");
  writeFileSync(`${other}.lock`, JSON.stringify({ pid: sleeper.pid, hostname: hostname(), createdAt: Date.now(), tool: "test" }));
  await refused(work, "LEDGER_LOCKED", () => createLedger({ id: "other", storage: sqliteStorage(other) }), "locked by a live process");
  await assert.rejects(createLedger({ id: "other", storage: sqliteStorage(other) }), new RegExp(`locked by process ${sleeper.pid}`));
  rmSync(`${other}.lock`);
});

test("an unwritable directory: STORAGE_ERROR, nothing created, an existing ledger unchanged", async (t) => {
  // Not tempDir(): its clean-up would run before the unmount.
  const work = mkdtempSync(join(tmpdir(), "nucleus-js-ro-"));
  const ro = join(work, "ro");
  mkdirSync(ro);
  let undo = () => {};
  t.after(() => {
    undo();
    rmSync(work, { recursive: true, force: true });
  });
  if (process.getuid?.() === 0) {
    // chmod does not stop root: use a real read-only file system, a tmpfs mounted read-only.
    const mount = (...args) => spawnSync("mount", args, { encoding: "utf8" });
    const m = mount("-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", ro);
    if (m.status !== 0) return t.skip(`running as root and cannot mount a tmpfs (${m.stderr.trim()}); no honest way to make a directory unwritable`);
    undo = () => spawnSync("umount", [ro]);
    const made = await createLedger({ id: "ro", storage: sqliteStorage(join(ro, "ledger.db")) });
    await made.append(rec("x", 1));
    await made.close();
    const r = mount("-o", "remount,ro", ro);
    assert.equal(r.status, 0, r.stderr);
    assert.throws(() => writeFileSync(join(ro, "probe"), "x"), /EROFS/, "the mount really is read-only");
  } else {
    const made = await createLedger({ id: "ro", storage: sqliteStorage(join(ro, "ledger.db")) });
    await made.append(rec("x", 1));
    await made.close();
    spawnSync("chmod", ["0555", ro]);
    undo = () => spawnSync("chmod", ["0755", ro]);
    assert.throws(() => writeFileSync(join(ro, "probe"), "x"), /EACCES/, "the directory really is unwritable");
  }
  await refused(ro, "STORAGE_ERROR", () => createLedger({ id: "new", storage: sqliteStorage(join(ro, "new.db")) }), "new ledger in an unwritable directory");
  await refused(ro, "STORAGE_ERROR", () => createLedger({ id: "new", storage: sqliteStorage(join(ro, "sub", "new.db")) }), "missing subdirectory of an unwritable directory");
  await refused(ro, "STORAGE_ERROR", () => createLedger({ id: "ro", storage: sqliteStorage(join(ro, "ledger.db")) }), "existing ledger in an unwritable directory");
  assert.deepEqual(readdirSync(ro).sort(), ["ledger.db"]);
});

test("every call after close() fails with LEDGER_CLOSED and leaves the file unchanged", async () => {
  const work = tempDir();
  const closed = await createLedger({ id: "closed", storage: sqliteStorage(join(work, "closed.db")) });
  const h = await closed.append(rec("a", 1));
  await closed.close();
  const calls = {
    append: () => closed.append(rec("b", 2)),
    "append(undefined)": () => closed.append(undefined),
    appendBatch: () => closed.appendBatch([rec("b", 2)]),
    get: () => closed.get(h),
    getById: () => closed.getById("a"),
    getEntry: () => closed.getEntry(h),
    query: () => closed.query({}),
    verify: () => closed.verify(),
    length: () => closed.length(),
    isEmpty: () => closed.isEmpty(),
    latestHash: () => closed.latestHash(),
    hasStorage: () => closed.hasStorage(),
    verifyStorage: () => closed.verifyStorage(),
    checkpoint: () => closed.checkpoint(),
    export: () => closed.export(),
    importEntries: () => closed.importEntries("x"),
    "modules.list": () => closed.modules.list(),
    "modules.metadata": () => closed.modules.metadata(),
    "modules.getState": () => closed.modules.getState("proof"),
    "acl.check": () => closed.acl.check({ subjectOid: "oid:onoal:human:a", resourceOid: "oid:onoal:ledger:closed", action: "write" }),
    "acl.listGrants": () => closed.acl.listGrants("oid:onoal:human:a"),
  };
  for (const [label, fn] of Object.entries(calls)) await refused(work, "LEDGER_CLOSED", fn, `${label} after close`);
  await closed.close(); // idempotent
  const again = await createLedger({ id: "closed", storage: sqliteStorage(join(work, "closed.db")) });
  assert.equal(await again.length(), 1);
  await again.close();
});
