/**
 * Every documented option does what its documentation says: one row per member of each options type of the
 * installed package's declarations (read as docs/API.md reads them, scripts/api-docs.mjs), each checking its
 * documented effect. An option added to a type without a row here fails the completeness test, so no type
 * promises what nothing checks. Options only a browser honours are run in Chromium by tests_browser
 * (test_builder.py, test_assets.py); here they are checked to be harmless or refused under Node.js, as
 * documented.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readApi } from "../scripts/api-docs.mjs";
import { consumerDir, loadPackage, tempDir } from "./helpers/consumer.mjs";

const N = await loadPackage();
const { createLedger, createContext, sqliteStorage, proofModule, assetModule, ledgerBuilder } = N;
const dir = tempDir();
const OWNER = "oid:onoal:human:owner";
const ALICE = "oid:onoal:human:alice";
const T = 1_700_000_000_000;
const rec = (id, n = 0, extra = {}) => ({ id, stream: "s", timestamp: T + n, payload: { n }, ...extra });
let files = 0;
const file = () => join(dir, `l${files++}.db`);

async function rejects(promise, code, reason) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, err.message);
    if (reason) assert.equal(err.details.reason, reason);
    return true;
  });
}

/** A ledger with access control and owner OWNER, whose chain holds a `write` grant for ALICE. */
async function aclLedger(grant = {}) {
  const ledger = await createLedger({ id: "acl", acl: "inMemory", owner: OWNER });
  const stored = await ledger.acl.grant(
    { subjectOid: ALICE, resourceOid: "oid:onoal:ledger:acl", action: "write", grantedBy: OWNER, grantedAt: 1, ...grant },
    createContext(OWNER),
  );
  return { ledger, stored };
}

/** Ten records in two streams, two with proof fields, timestamps T … T+9. */
async function queried() {
  const ledger = await createLedger({ id: "q", modules: [proofModule()] });
  const recs = Array.from({ length: 10 }, (_, i) => rec(`r-${i % 5}`, i, { stream: i < 6 ? "a" : "b" }));
  recs.push({ id: "p", stream: "proofs", timestamp: T + 10, payload: { subject_oid: ALICE, issuer_oid: OWNER } });
  await ledger.appendBatch(recs);
  return ledger;
}

/** `Type.member` → a check of what its documentation says. */
const ROWS = {
  // LedgerConfig
  "LedgerConfig.id": async () => {
    const path = file();
    await (await createLedger({ id: "one", storage: sqliteStorage(path) })).close();
    assert.equal((await createLedger({ id: "mem" })).id, "mem");
    await rejects(createLedger({ id: "two", storage: sqliteStorage(path) }), "LEDGER_MISMATCH");
  },
  "LedgerConfig.backend": async () => {
    await (await createLedger({ id: "b", backend: { mode: "wasm" } })).append(rec("a"));
  },
  "LedgerConfig.modules": async () => {
    assert.deepEqual(await (await createLedger({ id: "m", modules: [proofModule(), assetModule()] })).modules.list(), ["proof", "asset"]);
  },
  "LedgerConfig.options": async () => {
    const ledger = await createLedger({ id: "o", options: { maxEntries: 1 } });
    await ledger.append(rec("a"));
    await rejects(ledger.append(rec("b", 1)), "LEDGER_FULL");
  },
  "LedgerConfig.storage": async () => {
    assert.equal(await (await createLedger({ id: "s" })).hasStorage(), false, "in memory when absent");
    const path = file();
    const ledger = await createLedger({ id: "s", storage: sqliteStorage(path) });
    assert.equal(await ledger.hasStorage(), true);
    assert.ok(existsSync(path));
    await ledger.close();
  },
  "LedgerConfig.acl": async () => {
    assert.equal(await (await createLedger({ id: "a" })).append(rec("a")).then(() => true), true, '"none" when absent');
    const { ledger } = await aclLedger();
    await rejects(ledger.append(rec("a")), "INVALID_CONTEXT");
    await rejects(ledger.append(rec("a"), createContext("oid:onoal:human:bob")), "ACCESS_DENIED");
    await ledger.append(rec("a"), createContext(ALICE)); // a live write grant
  },
  "LedgerConfig.owner": async () => {
    await rejects(createLedger({ id: "o", acl: "inMemory" }), "INVALID_CONFIG"); // required when created
    const { ledger } = await aclLedger();
    await ledger.append(rec("a"), createContext(OWNER)); // the owner may append
    const path = file();
    await (await createLedger({ id: "o", acl: "inMemory", owner: OWNER, storage: sqliteStorage(path) })).close();
    await rejects(createLedger({ id: "o", acl: "inMemory", owner: ALICE, storage: sqliteStorage(path) }), "LEDGER_MISMATCH");
  },
  "LedgerConfig.checkpoint": async () => {
    const path = file();
    const ledger = await createLedger({ id: "c", storage: sqliteStorage(path) });
    await ledger.append(rec("a"));
    const checkpoint = await ledger.checkpoint();
    await ledger.close();
    await (await createLedger({ id: "c", storage: sqliteStorage(path), checkpoint })).close();
    const other = { size: 1, hash: "0".repeat(64) };
    await rejects(createLedger({ id: "c", storage: sqliteStorage(path), checkpoint: other }), "CHAIN_INVALID");
  },
  "LedgerConfig.verify": async () => {
    const path = file();
    const ledger = await createLedger({ id: "c", storage: sqliteStorage(path) });
    await ledger.appendBatch([rec("a"), rec("b", 1), rec("c", 2)]);
    const checkpoint = await ledger.checkpoint();
    await ledger.close();
    const metrics = { enableMetrics: true };
    const full = await createLedger({ id: "c", storage: sqliteStorage(path), checkpoint, verify: "full", options: metrics });
    assert.equal((await full.metrics()).verifiedEntries, 3, "full: every entry");
    await full.close();
    const short = await createLedger({ id: "c", storage: sqliteStorage(path), checkpoint, verify: "fromCheckpoint", options: metrics });
    assert.equal((await short.metrics()).verifiedEntries, 1, "fromCheckpoint: the checkpoint's last entry on");
    await short.verify(); // verify() stays full
    assert.equal((await short.metrics()).verifiedEntries, 4);
    await short.close();
    await rejects(createLedger({ id: "c", storage: sqliteStorage(path), verify: "fromCheckpoint" }), "INVALID_CONFIG"); // needs checkpoint
    await rejects(createLedger({ id: "c", storage: sqliteStorage(path), checkpoint, verify: "partial" }), "INVALID_CONFIG");
  },
  "LedgerConfig.assetsURL": async () => {
    await (await createLedger({ id: "u", assetsURL: "https://example.invalid/nucleus/" })).append(rec("a")); // ignored
  },
  "LedgerConfig.worker": async () => {
    await rejects(createLedger({ id: "w", worker: true }), "INVALID_CONFIG");
    await (await createLedger({ id: "w", worker: false })).append(rec("a"));
  },
  // LedgerOptions
  "LedgerOptions.strictValidation": async () => {
    const ledger = await createLedger({ id: "v", options: { strictValidation: true } });
    await rejects(ledger.append({ id: "a", stream: "s", payload: {} }), "INVALID_RECORD");
    await ledger.append(rec("a"));
  },
  "LedgerOptions.maxEntries": async () => {
    const ledger = await createLedger({ id: "x", options: { maxEntries: 2 } });
    await ledger.appendBatch([rec("a"), rec("b")]);
    await rejects(ledger.append(rec("c")), "LEDGER_FULL");
  },
  "LedgerOptions.enableMetrics": async () => {
    await rejects((await createLedger({ id: "x" })).metrics(), "INVALID_CONFIG");
    const ledger = await createLedger({ id: "x", options: { enableMetrics: true } });
    await ledger.append(rec("a"));
    const metrics = await ledger.metrics();
    assert.ok(Object.values(metrics).some((n) => n > 0), JSON.stringify(metrics));
  },
  "LedgerOptions.uniqueIds": async () => {
    const loose = await createLedger({ id: "x" });
    await loose.appendBatch([rec("a"), rec("a", 1)]);
    const strict = await createLedger({ id: "x", options: { uniqueIds: true } });
    await strict.append(rec("a"));
    await rejects(strict.append(rec("a", 1)), "INVALID_RECORD");
  },
  // Storage
  "MemoryStorageConfig.type": async () => {
    assert.equal(await (await createLedger({ id: "n", storage: { type: "none" } })).hasStorage(), false);
  },
  "SqliteStorageConfig.type": async () => {
    const ledger = await createLedger({ id: "t", storage: { type: "sqlite", path: file() } });
    assert.equal(await ledger.hasStorage(), true);
    await ledger.close();
  },
  "SqliteStorageConfig.path": async () => {
    const path = join(dir, "made", "on", "demand.db"); // missing directories are created
    await (await createLedger({ id: "p", storage: { type: "sqlite", path } })).close();
    assert.ok(existsSync(path));
  },
  "SqliteStorageConfig.durability": async () => {
    const ledger = await createLedger({ id: "d", storage: { type: "sqlite", path: file(), durability: "fast" } });
    await ledger.append(rec("a"));
    await ledger.close();
    await rejects(createLedger({ id: "d", storage: { type: "sqlite", path: file(), durability: "slow" } }), "INVALID_CONFIG");
  },
  "SqliteStorageConfig.readOnly": async () => {
    const path = file();
    await (await createLedger({ id: "r", storage: sqliteStorage(path) })).close();
    const reader = await createLedger({ id: "r", storage: { type: "sqlite", path, readOnly: true } });
    assert.equal(reader.readOnly, true);
    await rejects(reader.append(rec("a")), "STORAGE_ERROR", "read_only_open");
    await reader.close();
  },
  "SqliteStorageOptions.durability": async () => {
    assert.equal(sqliteStorage("x.db", { durability: "fast" }).durability, "fast");
    const ledger = await createLedger({ id: "d", storage: sqliteStorage(file(), { durability: "fast" }) });
    await ledger.append(rec("a"));
    await ledger.close();
  },
  "SqliteStorageOptions.readOnly": async () => {
    await rejects(createLedger({ id: "r", storage: sqliteStorage(join(dir, "missing.db"), { readOnly: true }) }), "STORAGE_ERROR", "missing");
    assert.ok(!existsSync(join(dir, "missing.db")), "a read-only open never creates a file");
    const path = file();
    const writer = await createLedger({ id: "r", storage: sqliteStorage(path) });
    await writer.append(rec("a"));
    const reader = await createLedger({ id: "r", storage: sqliteStorage(path, { readOnly: true }) }); // beside the writer
    assert.equal(await reader.length(), 1);
    assert.ok(reader.caveats.length > 0);
    await rejects(reader.appendBatch([rec("b")]), "STORAGE_ERROR", "read_only_open");
    await reader.close();
    await writer.close();
  },
  // Their effect on a server is checked by postgres.test.mjs (a throwaway cluster); here, what needs none.
  "PostgresStorageConfig.type": async () => {
    await rejects(createLedger({ id: "pg", storage: { type: "postgres", connectionString: "postgresql://u:p@127.0.0.1:1/db" } }), "STORAGE_ERROR", "unreachable");
  },
  "PostgresStorageConfig.schema": async () => {
    await rejects(createLedger({ id: "pg", storage: { type: "postgres", connectionString: "postgresql://x/y", schema: "No" } }), "INVALID_CONFIG");
  },
  "PostgresStorageConfig.timeout": async () => {
    await rejects(createLedger({ id: "pg", storage: { type: "postgres", connectionString: "postgresql://x/y", timeout: -1 } }), "INVALID_CONFIG");
  },
  "PostgresStorageOptions.schema": async () => {
    assert.equal(N.postgresStorage("postgresql://x/y", { schema: "ledgers" }).schema, "ledgers");
    assert.throws(() => N.postgresStorage("postgresql://x/y", { schema: "1x" }), (err) => err.code === "INVALID_CONFIG");
  },
  "PostgresStorageOptions.timeout": async () => {
    assert.equal(N.postgresStorage("postgresql://x/y", { timeout: 3 }).timeout, 3);
    assert.throws(() => N.postgresStorage("postgresql://x/y", { timeout: 86_401 }), (err) => err.code === "INVALID_CONFIG");
  },
  "PostgresStorageConfig.connectionString": async () => {
    assert.equal(N.postgresStorage("postgresql://x/y").connectionString, "postgresql://x/y");
    assert.throws(() => N.postgresStorage(""), (err) => err.code === "INVALID_CONFIG");
  },
  "WasmBackendConfig.mode": async () => {
    await (await createLedger({ id: "b", backend: { mode: "wasm" } })).append(rec("a"));
  },
  // Modules
  "ProofModuleConfig.stream": async () => {
    const ledger = await createLedger({ id: "p", modules: [proofModule({ stream: "claims" })] });
    await rejects(ledger.append({ ...rec("a"), stream: "claims" }), "MODULE_REJECTED");
    await ledger.append({ ...rec("b"), stream: "proofs" }); // no longer the module's stream
    const byDefault = await createLedger({ id: "p", modules: [proofModule()] });
    await rejects(byDefault.append({ ...rec("a"), stream: "proofs" }), "MODULE_REJECTED");
  },
  "ProofModuleConfig.requiredFields": async () => {
    const ledger = await createLedger({ id: "p", modules: [proofModule({ requiredFields: ["signer"] })] });
    await rejects(ledger.append({ id: "a", stream: "proofs", payload: { subject_oid: ALICE, issuer_oid: OWNER } }), "MODULE_REJECTED");
    await ledger.append({ id: "a", stream: "proofs", payload: { signer: "x" } });
  },
  "AssetModuleConfig.stream": async () => {
    const ledger = await createLedger({ id: "a", modules: [assetModule({ stream: "inventory" })] });
    await rejects(ledger.append({ ...rec("a"), stream: "inventory" }), "MODULE_REJECTED");
    await ledger.append({ id: "a", stream: "inventory", payload: { owner_oid: OWNER } });
  },
  "AssetModuleConfig.requiredFields": async () => {
    const ledger = await createLedger({ id: "a", modules: [assetModule({ requiredFields: ["owner_oid", "sku"] })] });
    await rejects(ledger.append({ id: "a", stream: "assets", payload: { owner_oid: OWNER } }), "MODULE_REJECTED");
    await ledger.append({ id: "a", stream: "assets", payload: { owner_oid: OWNER, sku: "X" } });
  },
  // Queries
  "QueryFilters.stream": async () => {
    assert.equal((await (await queried()).query({ stream: "b" })).total, 4);
  },
  "QueryFilters.id": async () => {
    assert.equal((await (await queried()).query({ id: "r-1" })).total, 2);
  },
  "QueryFilters.timestampFrom": async () => {
    assert.equal((await (await queried()).query({ timestampFrom: T + 8 })).total, 3);
  },
  "QueryFilters.timestampTo": async () => {
    assert.equal((await (await queried()).query({ timestampTo: T + 1 })).total, 2);
  },
  "QueryFilters.moduleFilters": async () => {
    const ledger = await queried();
    const page = await ledger.query({ moduleFilters: { proof: { issuer_oid: OWNER } } });
    assert.deepEqual(page.records.map((r) => r.id), ["p"]);
    await rejects(ledger.query({ moduleFilters: { asset: { owner_oid: OWNER } } }), "INVALID_ARGUMENT"); // no such module
  },
  "QueryFilters.offset": async () => {
    const page = await (await queried()).query({ offset: 9 });
    assert.deepEqual([page.records.map((r) => r.timestamp), page.total, page.hasMore], [[T + 9, T + 10], 11, false]);
  },
  "QueryFilters.limit": async () => {
    const page = await (await queried()).query({ limit: 3 });
    assert.deepEqual([page.records.length, page.total, page.hasMore], [3, 11, true]);
  },
  "QueryFilters.order": async () => {
    const ledger = await queried();
    assert.equal((await ledger.query({ limit: 1 })).records[0].timestamp, T, '"asc" by default');
    assert.equal((await ledger.query({ limit: 1, order: "desc" })).records[0].timestamp, T + 10);
  },
  "VerifyOptions.checkpoint": async () => {
    const ledger = await createLedger({ id: "v" });
    await ledger.append(rec("a"));
    await ledger.verify({ checkpoint: await ledger.checkpoint() });
    await rejects(ledger.verify({ checkpoint: { size: 1, hash: "0".repeat(64) } }), "CHAIN_INVALID");
    assert.equal(await ledger.verifyStorage({ checkpoint: await ledger.checkpoint() }), false, "no storage");
  },
  // Contexts
  "RequestContext.requesterOid": async () => {
    const { ledger } = await aclLedger();
    await ledger.append(rec("a"), { requesterOid: ALICE });
    await rejects(ledger.append(rec("b"), { requesterOid: "oid:onoal:human:bob" }), "ACCESS_DENIED");
    await rejects(ledger.append(rec("b"), { requesterOid: "alice" }), "INVALID_CONTEXT");
  },
  "RequestContext.timestamp": async () => {
    const ledger = await createLedger({ id: "t" });
    await ledger.append(rec("a"), { requesterOid: ALICE, timestamp: Date.now() + 60_000 });
    await rejects(ledger.append(rec("b"), { requesterOid: ALICE, timestamp: Date.now() + 10 * 60_000 }), "INVALID_CONTEXT");
  },
  "RequestContext.metadata": async () => {
    const ledger = await createLedger({ id: "t" });
    await ledger.append(rec("a"), { requesterOid: ALICE, metadata: { via: "test" } });
    assert.equal(N.isValidContext({ requesterOid: ALICE, metadata: "x" }), false);
  },
  "createContext.timestamp": async () => {
    assert.equal(createContext(ALICE, { timestamp: 5 }).timestamp, 5);
    assert.ok(Math.abs(createContext(ALICE).timestamp - Date.now()) < 5_000, "stamped with the current time");
  },
  "createContext.metadata": async () => {
    assert.deepEqual(createContext(ALICE, { metadata: { via: "x" } }).metadata, { via: "x" });
  },
  // Access control
  "Grant.subjectOid": async () => {
    const { ledger } = await aclLedger();
    assert.equal((await ledger.acl.listGrants(ALICE))[0].subjectOid, ALICE);
  },
  "Grant.resourceOid": async () => {
    const { ledger } = await aclLedger({ resourceOid: "oid:onoal:ledger:elsewhere" });
    await rejects(ledger.append(rec("a"), createContext(ALICE)), "ACCESS_DENIED"); // appends need the ledger's own
  },
  "Grant.action": async () => {
    const { ledger } = await aclLedger({ action: "read" });
    await rejects(ledger.append(rec("a"), createContext(ALICE)), "ACCESS_DENIED");
    assert.equal(await ledger.acl.check({ subjectOid: ALICE, resourceOid: "oid:onoal:ledger:acl", action: "read" }), true);
    const { ledger: admin } = await aclLedger({ action: "admin" }); // an admin may append and grant
    await admin.append(rec("a"), createContext(ALICE));
    const bob = { subjectOid: "oid:onoal:human:bob", resourceOid: "oid:onoal:ledger:acl", action: "write", grantedBy: ALICE, grantedAt: 1 };
    await admin.acl.grant(bob, createContext(ALICE));
  },
  "Grant.grantedBy": async () => {
    const { stored } = await aclLedger();
    assert.equal(stored.grantedBy, OWNER);
    const ledger = await createLedger({ id: "acl", acl: "inMemory", owner: OWNER });
    const grant = { subjectOid: ALICE, resourceOid: "oid:onoal:ledger:acl", action: "write", grantedBy: ALICE, grantedAt: 1 };
    await rejects(ledger.acl.grant(grant, createContext(OWNER)), "INVALID_CONTEXT"); // not the requester
  },
  "Grant.grantedAt": async () => {
    const { stored } = await aclLedger({ grantedAt: 1_700_000_000 });
    assert.equal(stored.grantedAt, 1_700_000_000);
  },
  "Grant.expiresAt": async () => {
    const { ledger } = await aclLedger({ expiresAt: 1 }); // long past
    await rejects(ledger.append(rec("a"), createContext(ALICE)), "ACCESS_DENIED");
    assert.deepEqual(await ledger.acl.listGrants(ALICE), [], "expired grants are ignored");
  },
  "Grant.metadata": async () => {
    const { stored } = await aclLedger({ metadata: { ticket: "T-1" } });
    assert.deepEqual(stored.metadata, { ticket: "T-1" });
  },
  "RevokeParams.subjectOid": async () => {
    const { ledger } = await aclLedger();
    const params = { subjectOid: ALICE, resourceOid: "oid:onoal:ledger:acl", action: "write" };
    assert.equal(await ledger.acl.revoke({ ...params, subjectOid: "oid:onoal:human:bob" }, createContext(OWNER)), false);
    assert.equal(await ledger.acl.revoke(params, createContext(OWNER)), true);
    await rejects(ledger.append(rec("a"), createContext(ALICE)), "ACCESS_DENIED");
  },
  "RevokeParams.resourceOid": async () => {
    const { ledger } = await aclLedger();
    assert.equal(await ledger.acl.revoke({ subjectOid: ALICE, resourceOid: "oid:onoal:ledger:x", action: "write" }, createContext(OWNER)), false);
  },
  "RevokeParams.action": async () => {
    const { ledger } = await aclLedger();
    assert.equal(await ledger.acl.revoke({ subjectOid: ALICE, resourceOid: "oid:onoal:ledger:acl", action: "read" }, createContext(OWNER)), false);
  },
  // The builder: each method sets what its documentation names, and build() opens that configuration.
  "LedgerBuilder.constructor": async () => {
    assert.deepEqual(new N.LedgerBuilder("c").buildConfig(), { id: "c", modules: [] });
  },
  "LedgerBuilder.withWasmBackend": async () => {
    assert.deepEqual(ledgerBuilder("b").withWasmBackend().buildConfig().backend, { mode: "wasm" });
  },
  "LedgerBuilder.withStorage": async () => {
    const ledger = await ledgerBuilder("s").withStorage(sqliteStorage(file())).build();
    assert.equal(await ledger.hasStorage(), true);
    await ledger.close();
  },
  "LedgerBuilder.withAcl": async () => {
    const ledger = await ledgerBuilder("acl").withAcl("inMemory", OWNER).build();
    await rejects(ledger.append(rec("a"), createContext(ALICE)), "ACCESS_DENIED");
    await ledger.append(rec("a"), createContext(OWNER));
  },
  "LedgerBuilder.withModule": async () => {
    assert.deepEqual(await (await ledgerBuilder("m").withModule(assetModule()).build()).modules.list(), ["asset"]);
  },
  "LedgerBuilder.withModules": async () => {
    const ledger = await ledgerBuilder("m").withModules([proofModule(), assetModule()]).build();
    assert.deepEqual(await ledger.modules.list(), ["proof", "asset"]);
  },
  "LedgerBuilder.withOptions": async () => {
    const config = ledgerBuilder("o").withOptions({ maxEntries: 3 }).withOptions({ uniqueIds: true }).buildConfig();
    assert.deepEqual(config.options, { maxEntries: 3, uniqueIds: true }, "merged");
  },
  "LedgerBuilder.withStrictValidation": async () => {
    const ledger = await ledgerBuilder("v").withStrictValidation().build();
    await rejects(ledger.append({ id: "a", stream: "s", payload: {} }), "INVALID_RECORD");
  },
  "LedgerBuilder.withMaxEntries": async () => {
    const ledger = await ledgerBuilder("x").withMaxEntries(1).build();
    await ledger.append(rec("a"));
    await rejects(ledger.append(rec("b")), "LEDGER_FULL");
  },
  "LedgerBuilder.withMetrics": async () => {
    const ledger = await ledgerBuilder("x").withMetrics().build();
    await ledger.metrics();
  },
  "LedgerBuilder.withAssetsURL": async () => {
    assert.equal(ledgerBuilder("u").withAssetsURL("/nucleus/").buildConfig().assetsURL, "/nucleus/");
    await (await ledgerBuilder("u").withAssetsURL("/nucleus/").build()).append(rec("a")); // ignored under Node.js
  },
  "LedgerBuilder.withWorker": async () => {
    await rejects(ledgerBuilder("w").withWorker().build(), "INVALID_CONFIG");
  },
  "LedgerBuilder.buildConfig": async () => {
    const config = ledgerBuilder("c").withModule(proofModule()).withMaxEntries(2).buildConfig();
    assert.deepEqual(config, { id: "c", modules: [proofModule()], options: { maxEntries: 2 } });
  },
  "LedgerBuilder.build": async () => {
    const ledger = await ledgerBuilder("built").build();
    assert.equal(ledger.id, "built");
  },
};

/** The options types, and the inline options of createContext (its second parameter). */
const OPTION_TYPES = [
  "LedgerConfig",
  "LedgerOptions",
  "MemoryStorageConfig",
  "SqliteStorageConfig",
  "SqliteStorageOptions",
  "PostgresStorageConfig",
  "PostgresStorageOptions",
  "WasmBackendConfig",
  "ProofModuleConfig",
  "AssetModuleConfig",
  "QueryFilters",
  "VerifyOptions",
  "RequestContext",
  "Grant",
  "RevokeParams",
  "LedgerBuilder",
];

test("every member of every options type of the declarations has a row here", () => {
  const entries = readApi(join(consumerDir, "node_modules", "@onoal", "nucleus")).entries;
  const documented = [];
  for (const name of OPTION_TYPES) {
    const entry = entries.find((e) => e.name === name);
    assert.ok(entry, `${name} is not exported any more: drop it from OPTION_TYPES`);
    for (const m of entry.members) documented.push(`${name}.${m.name === "__constructor" ? "constructor" : m.name}`);
  }
  const createContextOptions = entries.find((e) => e.name === "createContext").declaration.match(/options\?: \{([^}]*)\}/);
  assert.ok(createContextOptions, "createContext's options are no longer an inline type: add them here");
  for (const m of createContextOptions[1].matchAll(/(\w+)\?:/g)) documented.push(`createContext.${m[1]}`);
  assert.deepEqual([...documented].sort(), Object.keys(ROWS).sort());
});

for (const [option, check] of Object.entries(ROWS)) {
  test(`documented option ${option}`, check);
}
