/**
 * Every public function that takes an options object refuses a key it does not know, with a stable code
 * and a message naming the key (and the key that was meant, when one is close): a typo must never be
 * ignored. One row per function; a new public function taking options needs a new row here.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { fingerprint } from "./helpers/cli.mjs";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const N = await loadPackage();
const { createLedger, NucleusError } = N;

const OWNER = "oid:onoal:human:owner";
const ALICE = "oid:onoal:human:alice";
const owner = { requesterOid: OWNER };
const record = { id: "r-1", stream: "s", timestamp: 1_700_000_000_000, payload: { n: 1 } };
const grant = { subjectOid: ALICE, resourceOid: "oid:onoal:ledger:options", action: "write", grantedBy: OWNER, grantedAt: 1 };
const aclParams = { subjectOid: ALICE, resourceOid: "oid:onoal:ledger:options", action: "write" };

const dir = tempDir();
// Access control on, so that the acl rows reach their own checks; one entry, so a checkpoint means something.
const ledger = await createLedger({ id: "options", acl: "inMemory", owner: OWNER, storage: N.sqliteStorage(join(dir, "options.db")) });
await ledger.append(record, owner);
const checkpoint = await ledger.checkpoint();
const exported = await ledger.export();

/**
 * [function, expected code, the misspelt key, the key it should suggest (or null), call].
 * Each call passes exactly one unknown key and is otherwise valid.
 */
const ROWS = [
  // Configuration: INVALID_CONFIG, checked before the engine loads.
  ["createLedger(config)", "INVALID_CONFIG", "storag", "storage", () => createLedger({ id: "x", storag: N.inMemoryStorage() })],
  ["createLedger(config) verify", "INVALID_CONFIG", "verfy", "verify", () => createLedger({ id: "x", checkpoint: { size: 0, hash: null }, verfy: "fromCheckpoint" })],
  ["createLedger(config.backend)", "INVALID_CONFIG", "wasmPth", "wasmPath", () => createLedger({ id: "x", backend: { mode: "wasm", wasmPth: "a.wasm" } })],
  ["createLedger(config.storage)", "INVALID_CONFIG", "durabilty", "durability", () => createLedger({ id: "x", storage: { type: "sqlite", path: join(dir, "typo.db"), durabilty: "fast" } })],
  ["createLedger(config.options)", "INVALID_CONFIG", "maxEntires", "maxEntries", () => createLedger({ id: "x", options: { maxEntires: 5 } })],
  ["createLedger(config.modules[i])", "INVALID_CONFIG", "confg", "config", () => createLedger({ id: "x", modules: [{ id: "proof", version: "1.0.0", confg: {} }] })],
  ["createLedger(config.modules[i].config)", "INVALID_CONFIG", "strem", "stream", () => createLedger({ id: "x", modules: [{ id: "proof", version: "1.0.0", config: { strem: "p" } }] })],
  ["sqliteStorage(path, options)", "INVALID_CONFIG", "durabilty", "durability", () => N.sqliteStorage(join(dir, "typo.db"), { durabilty: "fast" })],
  ["sqliteStorage(path, options.readOnly)", "INVALID_CONFIG", "readonly", "readOnly", () => N.sqliteStorage(join(dir, "options.db"), { readonly: true })],
  ["createLedger(config.storage.readOnly)", "INVALID_CONFIG", "readOnyl", "readOnly", () => createLedger({ id: "options", storage: { type: "sqlite", path: join(dir, "options.db"), readOnyl: true } })],
  ["proofModule(config)", "INVALID_CONFIG", "strem", "stream", () => N.proofModule({ strem: "p" })],
  ["assetModule(config)", "INVALID_CONFIG", "requiredFeilds", "requiredFields", () => N.assetModule({ requiredFeilds: ["owner_oid"] })],
  ["LedgerBuilder.withOptions(options).build()", "INVALID_CONFIG", "enableMetric", "enableMetrics", () => N.ledgerBuilder("x").withOptions({ enableMetric: true }).build()],
  ["LedgerBuilder.withStorage(storage).build()", "INVALID_CONFIG", "tpye", "type", () => N.ledgerBuilder("x").withStorage({ type: "none", tpye: "none" }).build()],
  ["LedgerBuilder.withModule(module).build()", "INVALID_CONFIG", "verison", "version", () => N.ledgerBuilder("x").withModule({ id: "asset", verison: "1.0.0", config: {} }).build()],
  // A checkpoint is an argument wherever it is given: INVALID_ARGUMENT, as the engine's own checks.
  ["createLedger(config.checkpoint)", "INVALID_ARGUMENT", "hsh", "hash", () => createLedger({ id: "x", checkpoint: { size: 0, hash: null, hsh: "" } })],
  // Contexts: INVALID_CONTEXT, as the engine's.
  ["validateContext(context)", "INVALID_CONTEXT", "metdata", "metadata", () => N.validateContext({ requesterOid: ALICE, metdata: {} })],
  ["requireContext(context)", "INVALID_CONTEXT", "requesterOId", "requesterOid", () => N.requireContext({ requesterOId: ALICE })],
  ["append(record, context)", "INVALID_CONTEXT", "timestmp", "timestamp", () => ledger.append({ ...record, id: "r-2" }, { ...owner, timestmp: Date.now() })],
  ["importEntries(data, context)", "INVALID_CONTEXT", "requestrOid", "requesterOid", () => ledger.importEntries(exported, { requestrOid: OWNER })],
  ["acl.grant(grant, context)", "INVALID_CONTEXT", "metdata", "metadata", () => ledger.acl.grant(grant, { ...owner, metdata: {} })],
  ["acl.revoke(params, context)", "INVALID_CONTEXT", "timestap", "timestamp", () => ledger.acl.revoke(aclParams, { ...owner, timestap: 1 })],
  // Records: INVALID_RECORD.
  ["append(record)", "INVALID_RECORD", "paylod", "payload", () => ledger.append({ id: "r-2", stream: "s", paylod: {} }, owner)],
  ["appendBatch(records)", "INVALID_RECORD", "strem", "stream", () => ledger.appendBatch([{ ...record, id: "r-2" }, { id: "r-3", strem: "s", payload: {} }], owner)],
  // Other calls' arguments: INVALID_ARGUMENT.
  ["createContext(oid, options)", "INVALID_ARGUMENT", "timestamps", "timestamp", () => N.createContext(ALICE, { timestamps: 1 })],
  ["verify(options)", "INVALID_ARGUMENT", "checkpiont", "checkpoint", () => ledger.verify({ checkpiont: checkpoint })],
  ["verify(options.checkpoint)", "INVALID_ARGUMENT", "sise", "size", () => ledger.verify({ checkpoint: { ...checkpoint, sise: 1 } })],
  ["verifyStorage(options)", "INVALID_ARGUMENT", "checkPoint", "checkpoint", () => ledger.verifyStorage({ checkPoint: checkpoint })],
  ["query(filters)", "INVALID_ARGUMENT", "strem", "stream", () => ledger.query({ strem: "s" })],
  ["acl.grant(grant)", "INVALID_ARGUMENT", "actoin", "action", () => ledger.acl.grant({ ...grant, actoin: "read" }, owner)],
  ["acl.check(params)", "INVALID_ARGUMENT", "resourceOld", "resourceOid", () => ledger.acl.check({ ...aclParams, resourceOld: "x" })],
  ["acl.revoke(params)", "INVALID_ARGUMENT", "subjectOld", "subjectOid", () => ledger.acl.revoke({ ...aclParams, subjectOld: ALICE }, owner)],
];

test("a misspelt key in any options object is refused with its stable code, naming the key and the one meant", async () => {
  const before = fingerprint(dir);
  const lengthBefore = await ledger.length();
  for (const [fn, code, key, suggestion, call] of ROWS) {
    await assert.rejects(
      async () => call(),
      (err) => {
        assert.ok(err instanceof NucleusError, `${fn}: not a NucleusError: ${err?.stack ?? err}`);
        assert.equal(err.code, code, `${fn}: ${err.message}`);
        assert.ok(err.message.includes(`"${key}"`), `${fn}: the message names "${key}": ${err.message}`);
        if (suggestion) assert.ok(err.message.includes(`did you mean "${suggestion}"?`), `${fn}: suggests "${suggestion}": ${err.message}`);
        assert.equal(err.details.key ?? err.details.fields?.[0], key, `${fn}: details name the key: ${JSON.stringify(err.details)}`);
        return true;
      },
      `${fn} accepted the unknown key "${key}"`,
    );
  }
  assert.equal(N.isValidContext({ requesterOid: ALICE, timestmp: 1 }), false, "isValidContext: an unknown field makes a context invalid");
  assert.equal(await ledger.length(), lengthBefore, "nothing was appended");
  assert.deepEqual(fingerprint(dir), before, "no file was created or changed");
});

test("the same calls without the typo succeed (each row above differs from a valid call only by its key)", async () => {
  assert.deepEqual(N.sqliteStorage(join(dir, "ok.db"), { durability: "fast" }), { type: "sqlite", path: join(dir, "ok.db"), durability: "fast" });
  assert.deepEqual(N.sqliteStorage(join(dir, "options.db"), { readOnly: true }), { type: "sqlite", path: join(dir, "options.db"), readOnly: true });
  const reader = await createLedger({ id: "options", storage: { type: "sqlite", path: join(dir, "options.db"), readOnly: true } });
  assert.equal(reader.readOnly, true);
  assert.equal(await reader.length(), await ledger.length());
  await reader.close();
  assert.equal(N.proofModule({ stream: "p" }).config.stream, "p");
  assert.deepEqual(N.assetModule({ requiredFields: ["owner_oid"] }).config.requiredFields, ["owner_oid"]);
  assert.equal(N.createContext(ALICE, { timestamp: 1 }).timestamp, 1);
  N.validateContext({ requesterOid: ALICE, metadata: {} });
  await ledger.verify({ checkpoint });
  assert.equal(await ledger.verifyStorage({ checkpoint }), true);
  await (await createLedger({ id: "x", checkpoint: { size: 0, hash: null }, verify: "fromCheckpoint" })).close();
  assert.equal((await ledger.query({ stream: "s" })).total, 1);
  assert.equal(await ledger.acl.check(aclParams), false);
  const built = await N.ledgerBuilder("x").withOptions({ enableMetrics: true }).withModule(N.assetModule()).build();
  assert.equal((await built.metrics()).entries, 0);
  await built.close();
});

after(() => ledger.close());
