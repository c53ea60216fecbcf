/**
 * `ledger.exportStream()`: the export in parts of whole lines, read from the engine one part at a time (2,000 entries
 * each), joined equal to `export()` at the length the first part saw; `export()` is built from the same parts. The
 * parts import whole; a ledger closed mid-loop stops it with LEDGER_CLOSED; a read-only ledger streams too.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage, LedgerClosedError } = await loadPackage();

const T = Date.UTC(2025, 0, 1);
const records = (from, n) => Array.from({ length: n }, (_, k) => ({ id: `r${from + k}`, stream: k % 2 ? "a" : "b", timestamp: T + from + k, payload: { i: from + k, text: "é ü \u2028" } }));

/** Every part of one exportStream() loop. */
async function parts(ledger) {
  const out = [];
  for await (const part of ledger.exportStream()) out.push(part);
  return out;
}

test("the parts are whole lines, the header first, and join to export()", async () => {
  const ledger = await createLedger({ id: "stream", storage: sqliteStorage(join(tempDir(), "l.db")) });
  await ledger.appendBatch(records(0, 4_500));
  const got = await parts(ledger);
  assert.equal(got.length, 3); // 2,000 + 2,000 + 500 entries
  assert.ok(got[0].startsWith('{"format":"nucleus-export","ledger_id":"stream","size":4500,'));
  for (const part of got) assert.ok(part.endsWith("\n"));
  assert.deepEqual(got.map((p) => p.split("\n").length - 1), [2_001, 2_000, 500]);
  const whole = await ledger.export();
  assert.equal(got.join(""), whole);
  const copy = await createLedger({ id: "stream" });
  assert.deepEqual(await copy.importEntries(got.join("")), { imported: 4_500, length: 4_500 });
  assert.equal(await copy.export(), whole);
  await copy.close();
  await ledger.close();
});

test("entries appended during the loop are not in it; the next loop has them", async () => {
  const ledger = await createLedger({ id: "grow", storage: sqliteStorage(join(tempDir(), "l.db")) });
  await ledger.appendBatch(records(0, 4_001));
  const before = await ledger.export();
  const got = [];
  for await (const part of ledger.exportStream()) {
    got.push(part);
    if (got.length === 1) await ledger.appendBatch(records(4_001, 3_000));
  }
  assert.equal(got.length, 3);
  assert.equal(got.join(""), before);
  const after = await parts(ledger);
  assert.equal(after.length, 4);
  assert.equal(after.join(""), await ledger.export());
  assert.ok(after[0].includes('"size":7001,'));
  await ledger.close();
});

test("an empty ledger streams its header line alone; a read-only one streams", async () => {
  const path = join(tempDir(), "l.db");
  const ledger = await createLedger({ id: "empty", storage: sqliteStorage(path) });
  assert.deepEqual(await parts(ledger), [await ledger.export()]);
  await ledger.appendBatch(records(0, 2_001));
  await ledger.close();
  const reader = await createLedger({ id: "empty", storage: sqliteStorage(path, { readOnly: true }) });
  const got = await parts(reader);
  assert.equal(got.length, 2);
  assert.equal(got.join(""), await reader.export());
  await reader.close();
});

test("closing the ledger mid-loop stops it with LEDGER_CLOSED; after close() it rejects at once", async () => {
  const ledger = await createLedger({ id: "closed", storage: sqliteStorage(join(tempDir(), "l.db")) });
  await ledger.appendBatch(records(0, 4_001));
  const loop = async () => {
    for await (const _part of ledger.exportStream()) await ledger.close();
  };
  await assert.rejects(loop, (err) => err instanceof LedgerClosedError && err.code === "LEDGER_CLOSED");
  await assert.rejects(ledger.exportStream().next(), (err) => err.code === "LEDGER_CLOSED");
  await assert.rejects(ledger.export(), (err) => err.code === "LEDGER_CLOSED");
});
