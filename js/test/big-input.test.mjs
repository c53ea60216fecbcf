/**
 * A record that is certainly past the 1 MiB limit on its canonical form (docs/FORMAT.md §1) is refused
 * before it is serialized or handed to the engine: `INVALID_RECORD`, "record is more than 1048576 bytes
 * ...". Records that only the exact count can judge still go to the engine, which gives the exact size.
 * The time each refusal took is printed as a diagnostic, not asserted.
 */

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { loadPackage } from "./helpers/consumer.mjs";

const { createLedger, NucleusError } = await loadPackage();

const LIMIT = 1048576;
const MORE_THAN = /^(records\[\d+\]: )?record is more than 1048576 bytes in canonical form; the limit is 1048576$/;

const ledger = await createLedger({ id: "big" });
after(() => ledger.close());

const rec = (payload, extra = {}) => ({ id: "r", stream: "s", timestamp: 1_700_000_000_000, payload, ...extra });

/** Times `fn`, asserts it is refused as too big (at `index` in a batch), and reports the time. */
async function refusedEarly(t, label, fn, index) {
  const started = performance.now();
  await assert.rejects(fn, (err) => {
    assert.ok(err instanceof NucleusError, `${label}: ${err?.stack ?? err}`);
    assert.equal(err.code, "INVALID_RECORD", `${label}: ${err.message}`);
    assert.match(err.message, MORE_THAN, label);
    assert.equal(err.details.limit, LIMIT);
    if (index !== undefined) assert.equal(err.details.index, index);
    return true;
  });
  t.diagnostic(`${label}: refused in ${(performance.now() - started).toFixed(1)} ms`);
}

test("a 400 MiB string, in a payload, in meta, as an id, in a batch: refused before it is serialized", async (t) => {
  const huge = "x".repeat(400 * 1024 * 1024);
  await refusedEarly(t, "payload string", () => ledger.append(rec({ text: huge })));
  const hugeKey = { [huge]: 1 }; // made here: V8 hashes a new key once, which is not the refusal's time
  await refusedEarly(t, "payload key", () => ledger.append(rec(hugeKey)));
  await refusedEarly(t, "meta", () => ledger.append(rec({}, { meta: { note: huge } })));
  await refusedEarly(t, "id", () => ledger.append({ id: huge, stream: "s", payload: {} }));
  await refusedEarly(t, "batch element 2", () => ledger.appendBatch([rec({ n: 0 }), rec({ n: 1 }), rec([huge])]), 2);
  assert.equal(await ledger.length(), 0);
});

test("wide and deep values past the limit are refused without a full walk", async (t) => {
  const wideArray = new Array(20_000_000).fill(0); // 40 MB of canonical JSON
  await refusedEarly(t, "array of 20M numbers", () => ledger.append(rec(wideArray)));
  const wideObject = {};
  for (let i = 0; i < 400_000; i++) wideObject[`key-${i}`] = i;
  await refusedEarly(t, "object of 400K keys", () => ledger.append(rec(wideObject)));
  let deep = { leaf: "y".repeat(2 * LIMIT) };
  for (let i = 0; i < 200; i++) deep = { d: deep, pad: [1, 2, 3] };
  await refusedEarly(t, "200 levels deep", () => ledger.append(rec(deep)));
  const many = Array.from({ length: 600_000 }, (_, i) => `s${i}`);
  await refusedEarly(t, "600K short strings", () => ledger.appendBatch([rec({ many })]), 0);
  assert.equal(await ledger.length(), 0);
});

test("near the limit: what fits is accepted; what only the exact count refuses gets the engine's exact size", async () => {
  // {"id":"r","payload":{"s":"…"},"stream":"s","timestamp":1700000000000} is 68 bytes around the string.
  const fits = rec({ s: "y".repeat(LIMIT - 68) });
  assert.match(await ledger.append(fits), /^[0-9a-f]{64}$/);
  // One byte over, but the early bound counts the 13-digit timestamp as one byte: the engine refuses it.
  await assert.rejects(ledger.append(rec({ s: "y".repeat(LIMIT - 67) })), /: record is 1048577 bytes in canonical form; the limit is 1048576$/);
  // Two UTF-8 bytes per character: fewer characters than the limit, more bytes. Only the engine can tell.
  await assert.rejects(ledger.append(rec({ s: "é".repeat(600_000) })), (err) => {
    assert.equal(err.code, "INVALID_RECORD");
    assert.match(err.message, /^record is 1200068 bytes in canonical form; the limit is 1048576$/);
    assert.deepEqual(err.details, { size: 1200068, limit: LIMIT });
    return true;
  });
  assert.equal(await ledger.length(), 1);
});
