/** The public API in one process: the full scenario in memory and in SQLite, and bad input. */

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const nucleus = await loadPackage();
const { createLedger, sqliteStorage, inMemoryStorage, postgresStorage, autoStorage, createContext } = nucleus;

const rec = (id, n, extra = {}) => ({ id, stream: "events", timestamp: 1_700_000_000_000 + n, payload: { n }, ...extra });

/** Asserts that `promiseOrFn` fails with `code` (and the class `cls` when given). */
async function rejectsWith(promiseOrFn, code, cls) {
  await assert.rejects(promiseOrFn, (err) => {
    assert.ok(err instanceof nucleus.NucleusError, `not a NucleusError: ${err}`);
    assert.equal(err.code, code, err.message);
    if (cls) assert.ok(err instanceof cls, `${err.name} is not a ${cls.name}`);
    return true;
  });
}

test("full scenario in memory: plain objects, batch, query, modules, checkpoint, export/import", async () => {
  const ledger = await createLedger({ id: "mem", modules: [nucleus.proofModule(), nucleus.assetModule()] });
  assert.equal(ledger.id, "mem");
  assert.equal(await ledger.isEmpty(), true);
  assert.equal(await ledger.latestHash(), null);
  const h0 = await ledger.append(rec("a", 0));
  const [h1, h2] = await ledger.appendBatch([rec("b", 1), rec("a", 2, { meta: { v: 2 } })]);
  assert.match(h0, /^[0-9a-f]{64}$/);
  assert.equal(await ledger.length(), 3);
  assert.equal(await ledger.latestHash(), h2);
  const got = await ledger.get(h1);
  assert.equal(Object.getPrototypeOf(got), Object.prototype);
  assert.deepEqual(got, rec("b", 1));
  assert.deepEqual((await ledger.getById("a")).meta, { v: 2 });
  assert.deepEqual(await ledger.getEntry(h1), { seq: 1, hash: h1, prevHash: h0, record: rec("b", 1) });
  const page = await ledger.query({ stream: "events", limit: 2 });
  assert.equal(page.total, 3);
  assert.equal(page.hasMore, true);
  assert.equal(page.records.length, 2);
  assert.equal((await ledger.query({ timestampTo: 1_700_000_000_000 })).total, 1);
  assert.deepEqual(await ledger.modules.list(), ["proof", "asset"]);
  assert.equal((await ledger.modules.metadata()).length, 2);
  assert.equal(await ledger.modules.getState("nope"), null);
  await ledger.verify();
  assert.equal(await ledger.hasStorage(), false);
  assert.equal(await ledger.verifyStorage(), false);
  const cp = await ledger.checkpoint();
  assert.deepEqual({ ...cp, root: undefined }, { origin: "nucleus/mem", size: 3, root: undefined, hash: h2 });
  assert.match(cp.root, /^[A-Za-z0-9+/]{43}=$/);
  const copy = await createLedger({ id: "mem" });
  assert.deepEqual(await copy.importEntries(await ledger.export()), { imported: 3, length: 3 });
  await copy.verify({ checkpoint: cp });
  await copy.close();
  await ledger.close();
});

test("appended without timestamp gets one stamped by the engine", async () => {
  const ledger = await createLedger({ id: "stamp" });
  const before = Date.now();
  const h = await ledger.append({ id: "x", stream: "s", payload: [1] });
  const { timestamp } = await ledger.get(h);
  // -1: the engine's int(time.time() * 1000) can truncate to the previous ms (float rounding)
  assert.ok(timestamp >= before - 1 && timestamp <= Date.now(), `${before} ≤ ${timestamp} ≤ now`);
  await ledger[Symbol.asyncDispose]();
  assert.equal(ledger.closed, true);
});

test("bad records are refused in TypeScript with INVALID_RECORD and change nothing", async () => {
  const ledger = await createLedger({ id: "bad" });
  const V = nucleus.ValidationError;
  await rejectsWith(ledger.append(undefined), "INVALID_RECORD", V);
  await rejectsWith(ledger.append({ ...rec("a", 0), id: 42 }), "INVALID_RECORD", V);
  await rejectsWith(ledger.append({ ...rec("a", 0), payload: "text" }), "INVALID_RECORD", V);
  await rejectsWith(ledger.append({ ...rec("a", 0), payload: { x: Number.NaN } }), "INVALID_RECORD", V);
  await rejectsWith(ledger.append({ ...rec("a", 0), payload: { when: new Date() } }), "INVALID_RECORD", V);
  await rejectsWith(ledger.append({ ...rec("a", 0), payload: { x: undefined } }), "INVALID_RECORD", V);
  await rejectsWith(ledger.append({ ...rec("a", 0), timestamp: "now" }), "INVALID_RECORD", V);
  await rejectsWith(ledger.appendBatch("nope"), "INVALID_RECORD", V);
  await rejectsWith(ledger.appendBatch([rec("a", 0), { id: "b" }]), "INVALID_RECORD", V);
  const cyclic = { n: 1 };
  cyclic.self = cyclic;
  await rejectsWith(ledger.append({ ...rec("a", 0), payload: cyclic }), "INVALID_RECORD", V);
  // the engine's own checks arrive as the same class
  await rejectsWith(ledger.append({ ...rec("a", 0), payload: { big: 2 ** 60 } }), "INVALID_RECORD", V);
  await rejectsWith(ledger.get(7), "INVALID_ARGUMENT", nucleus.ArgumentError);
  assert.equal(await ledger.length(), 0);
  await ledger.append(rec("a", 5));
  await rejectsWith(ledger.append(rec("b", 1)), "INVALID_RECORD"); // back in time
  assert.equal(await ledger.length(), 1);
  await ledger.close();
});

test("record errors name the record and the path of the bad value", async () => {
  const ledger = await createLedger({ id: "paths" });
  const cyclic = { n: 1 };
  cyclic.self = cyclic;
  const message = async (promise) => (await promise.then(() => assert.fail("accepted"), (err) => err)).message;
  assert.match(await message(ledger.append({ ...rec("a", 0), payload: { list: [1, { x: Number.NaN }] } })), /^record\.payload\.list\[1\]\.x is NaN/);
  assert.match(await message(ledger.append({ ...rec("a", 0), payload: cyclic })), /^record\.payload\.self is a circular reference/);
  assert.match(await message(ledger.appendBatch([rec("a", 0), rec("b", 1), { ...rec("c", 2), id: 7 }])), /^records\[2\]\.id must be a non-empty string, got number 7/);
  assert.match(await message(ledger.appendBatch([rec("a", 0), { ...rec("b", 1), meta: { m: [1, , 3] } }])), /^records\[1\]\.meta\.m\[1\] is a hole in a sparse array/);
  assert.match(await message(ledger.appendBatch([rec("a", 0), , rec("c", 2)])), /^records\[1\] must be an object/);
  assert.equal(await ledger.length(), 0);
  await ledger.close();
});

test("large batches keep every character (the bridge sends them as UTF-8 bytes)", async () => {
  const ledger = await createLedger({ id: "text" });
  const texts = ["plain", "é ü ß", "日本語", "emoji 😀🎉", "line\u2028sep\u2029", "nul \u0000 tab \t quote \" back \\", "x".repeat(5000)];
  const records = texts.map((text, n) => rec(`t${n}`, n, { payload: { text, [`key ${text.slice(0, 8)}`]: n } }));
  const hashes = await ledger.appendBatch(records);
  for (let n = 0; n < records.length; n++) assert.deepEqual(await ledger.get(hashes[n]), records[n]);
  await ledger.verify();
  // a lone surrogate is refused by the engine in a large request as in a small one
  await rejectsWith(ledger.appendBatch([rec("big", 10, { payload: { s: "y".repeat(5000) } }), rec("bad", 11, { payload: { s: "\uD800" } })]), "INVALID_RECORD");
  assert.equal(await ledger.length(), records.length);
  await ledger.close();
});

test("configuration errors", async () => {
  assert.throws(() => sqliteStorage(""), (e) => e.code === "INVALID_CONFIG");
  assert.throws(() => sqliteStorage("   "), (e) => e.code === "INVALID_CONFIG");
  assert.throws(() => sqliteStorage("x.db", { durability: "sometimes" }), (e) => e.code === "INVALID_CONFIG");
  assert.throws(() => postgresStorage(""), (e) => e.code === "INVALID_CONFIG");
  await rejectsWith(createLedger({ id: "p", storage: postgresStorage("postgresql://u:p@127.0.0.1:1/db") }), "STORAGE_ERROR", nucleus.StorageError);
  await rejectsWith(createLedger({ id: "h", backend: { mode: "http", url: "http://x" } }), "INVALID_CONFIG", nucleus.ConfigError);
  await rejectsWith(createLedger({ id: "" }), "INVALID_CONFIG");
  await rejectsWith(createLedger({ id: "t", storge: inMemoryStorage() }), "INVALID_CONFIG");
  await rejectsWith(createLedger({ id: "t", storage: { type: "sqlite", path: "" } }), "INVALID_CONFIG");
  await rejectsWith(createLedger({ id: "t", options: { nope: 1 } }), "INVALID_CONFIG");
  const dir = tempDir();
  await rejectsWith(createLedger({ id: "d", storage: sqliteStorage(dir) }), "INVALID_CONFIG");
  assert.deepEqual(autoStorage(), { type: "none" });
  assert.equal(autoStorage(join(dir, "a.db")).type, "sqlite");
});

test("calls after close() fail with LEDGER_CLOSED; close() is idempotent", async () => {
  const ledger = await createLedger({ id: "closing" });
  await ledger.close();
  await ledger.close();
  assert.equal(ledger.closed, true);
  await rejectsWith(ledger.append(rec("a", 0)), "LEDGER_CLOSED", nucleus.LedgerClosedError);
  await rejectsWith(ledger.append(undefined), "LEDGER_CLOSED");
  await rejectsWith(ledger.length(), "LEDGER_CLOSED");
  await rejectsWith(ledger.modules.list(), "LEDGER_CLOSED");
});

test("SQLite: relative path, missing dirs, reload, lock in the same process, fast mode", async () => {
  const dir = tempDir();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const ledger = await createLedger({ id: "disk", storage: sqliteStorage("a/b/ledger.db") });
    const path = join(dir, "a", "b", "ledger.db");
    assert.ok(statSync(path).isFile());
    const lock = JSON.parse(readFileSync(`${path}.lock`, "utf8"));
    assert.equal(lock.pid, process.pid);
    assert.equal(lock.tool, "nucleus-js");
    const hashes = await ledger.appendBatch([rec("a", 0), rec("b", 1)]);
    await rejectsWith(createLedger({ id: "disk", storage: sqliteStorage(path) }), "LEDGER_LOCKED", nucleus.LedgerLockedError);
    assert.equal(await ledger.hasStorage(), true);
    await ledger.close();
    assert.throws(() => statSync(`${path}.lock`));
    const again = await createLedger({ id: "disk", storage: sqliteStorage(path, { durability: "fast" }) });
    assert.equal(await again.length(), 2);
    assert.equal(await again.latestHash(), hashes[1]);
    assert.equal(await again.verifyStorage(), true);
    await again.close();
    await rejectsWith(createLedger({ id: "other", storage: sqliteStorage(path) }), "LEDGER_MISMATCH", nucleus.LedgerMismatchError);
    assert.throws(() => statSync(`${path}.lock`), "a failed open releases the lock");
  } finally {
    process.chdir(cwd);
  }
});

test("a file that is not a ledger is refused and left unchanged", async () => {
  const dir = tempDir();
  const path = join(dir, "notes.db");
  writeFileSync(path, "just some text, not SQLite\n".repeat(10));
  const before = readFileSync(path);
  await assert.rejects(createLedger({ id: "x", storage: sqliteStorage(path) }), (e) => ["STORAGE_ERROR", "LEDGER_MISMATCH"].includes(e.code));
  assert.deepEqual(readFileSync(path), before);
});

test("access control: context needed for appends, grants by the owner", async () => {
  const owner = "oid:onoal:org:acme";
  const ledger = await createLedger({ id: "acl", acl: "inMemory", owner });
  await rejectsWith(ledger.append(rec("a", 0)), "INVALID_CONTEXT", nucleus.ContextError);
  const alice = createContext("oid:onoal:human:alice");
  await rejectsWith(ledger.append(rec("a", 0), alice), "ACCESS_DENIED", nucleus.AccessDeniedError);
  const grant = { subjectOid: alice.requesterOid, resourceOid: "oid:onoal:ledger:acl", action: "write", grantedBy: owner, grantedAt: Math.floor(Date.now() / 1000) };
  await ledger.acl.grant(grant, createContext(owner));
  assert.equal(await ledger.acl.check({ requesterOid: alice.requesterOid, resourceOid: grant.resourceOid, action: "write" }), true);
  assert.equal((await ledger.acl.listGrants(alice.requesterOid)).length, 1);
  await ledger.append(rec("a", 0), alice);
  assert.equal(await ledger.acl.revoke({ subjectOid: alice.requesterOid, resourceOid: grant.resourceOid, action: "write" }, createContext(owner)), true);
  await rejectsWith(ledger.append(rec("b", 1), alice), "ACCESS_DENIED");
  await ledger.close();
});

test("context helpers", () => {
  const ctx = createContext("oid:onoal:human:alice", { metadata: { ip: "1" } });
  assert.equal(nucleus.isValidContext(ctx), true);
  assert.equal(nucleus.isValidContext(undefined), false);
  assert.throws(() => nucleus.requireContext(undefined), nucleus.MissingContextError);
  assert.throws(() => nucleus.validateContext({ requesterOid: "alice" }), nucleus.ContextValidationError);
  assert.throws(() => nucleus.validateContext({ requesterOid: "oid:onoal:human:a", timestamp: Date.now() + 3_600_000 }), (e) => e.code === "INVALID_CONTEXT");
});

test("builder passes the browser options through: withAssetsURL, withWorker", async () => {
  const builder = nucleus.ledgerBuilder("opts").withAssetsURL("/nucleus/").withWorker();
  assert.deepEqual(builder.buildConfig(), { id: "opts", modules: [], assetsURL: "/nucleus/", worker: true });
  // under Node.js worker mode is refused, which shows build() hands `worker` to createLedger
  await rejectsWith(builder.build(), "INVALID_CONFIG", nucleus.ConfigError);
  await rejectsWith(nucleus.ledgerBuilder("opts").withAssetsURL(42).build(), "INVALID_CONFIG", nucleus.ConfigError);
  // assetsURL is ignored under Node.js, and withWorker(false) is the default
  const ledger = await nucleus.ledgerBuilder("opts").withAssetsURL(new URL("https://example.invalid/x/")).withWorker(false).build();
  await ledger.append(rec("a", 0));
  assert.equal(await ledger.length(), 1);
  await ledger.close();
});

test("builder and error table", async () => {
  const ledger = await nucleus.ledgerBuilder("built").withWasmBackend().withModule(nucleus.proofModule()).withMaxEntries(1).build();
  await ledger.append(rec("a", 0));
  await rejectsWith(ledger.append(rec("b", 1)), "LEDGER_FULL", nucleus.LedgerFullError);
  await ledger.close();
  const info = await nucleus.runtimeInfo();
  assert.equal(info.engine, nucleus.version);
  assert.equal(nucleus.ERROR_CODES.length, 15);
  mkdirSync(tempDir(), { recursive: true });
});

test("null meta and null timestamp mean left out, as in the engine (FORMAT.md §1)", async () => {
  const ledger = await createLedger({ id: "nulls" });
  const before = Date.now();
  const h = await ledger.append({ id: "n", stream: "events", timestamp: null, payload: {}, meta: null });
  const got = await ledger.get(h);
  assert.deepEqual(Object.keys(got).sort(), ["id", "payload", "stream", "timestamp"]);
  // Python's clock inside Pyodide is not Date.now(): a millisecond or two either way is the same moment.
  assert.ok(Number.isSafeInteger(got.timestamp) && Math.abs(got.timestamp - before) < 60_000, `stamped ${got.timestamp}`);
  const [h2] = await ledger.appendBatch([{ id: "m", stream: "events", timestamp: got.timestamp, payload: [], meta: null }]);
  assert.equal((await ledger.get(h2)).meta, undefined);
  await ledger.close();
});
