/**
 * Quick end-to-end check of the built package (not the test suite): open a SQLite ledger, append,
 * close, reopen, verify. Prints the cold start (process start → createLedger ready).
 *
 *   npm run build && npm run smoke [-- /tmp/some/dir]
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLedger, runtimeInfo, sqliteStorage, LedgerLockedError, LedgerClosedError } from "@onoal/nucleus";

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), "nucleus-smoke-"));
const path = join(dir, "sub", "smoke.db");

const ledger = await createLedger({ id: "smoke", storage: sqliteStorage(path) });
const coldStart = performance.now(); // ms since process start
const h1 = await ledger.append({ id: "r1", stream: "events", timestamp: 1_700_000_000_000, payload: { n: 1 } });
const batch = await ledger.appendBatch([
  { id: "r2", stream: "events", timestamp: 1_700_000_000_001, payload: { n: 2 } },
  { id: "r3", stream: "other", timestamp: 1_700_000_000_002, payload: [1, 2, 3], meta: { by: "smoke" } },
]);
assert.match(h1, /^[0-9a-f]{64}$/);
assert.equal(batch.length, 2);
assert.equal(await ledger.length(), 3);
assert.deepEqual((await ledger.get(h1))?.payload, { n: 1 });
assert.equal((await ledger.getEntry(batch[1]))?.seq, 2);
assert.equal((await ledger.query({ stream: "events" })).total, 2);
assert.equal(await ledger.hasStorage(), true);
await assert.rejects(createLedger({ id: "smoke", storage: sqliteStorage(path) }), LedgerLockedError);
const checkpoint = await ledger.checkpoint();
await ledger.close();
await assert.rejects(ledger.length(), LedgerClosedError);

const again = await createLedger({ id: "smoke", storage: sqliteStorage(path), checkpoint });
assert.equal(await again.length(), 3);
assert.equal(await again.latestHash(), batch[1]);
await again.verify();
assert.equal(await again.verifyStorage(), true);
assert.deepEqual((await again.getById("r3"))?.meta, { by: "smoke" });
await again.close();

console.log(`smoke ok: ${path}`);
console.log(`cold start (process start → createLedger ready): ${coldStart.toFixed(0)} ms`, JSON.stringify(await runtimeInfo()));
if (process.argv[2] === undefined) rmSync(dir, { recursive: true, force: true });
