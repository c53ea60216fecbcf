/**
 * The Nucleus demo: a tamper-evident ledger in a SQLite file, told as a short story.
 *
 *   scripts/demo.sh            (builds the package first, then runs this)
 *   node examples/demo.mjs     (once js/ is built and `npm install` ran in examples/)
 *
 * Writes ./data/demo.db (relative to the working directory), starting fresh on every run, and
 * ./data/demo-tampered.db, a copy with one byte changed.
 */

import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ChainIntegrityError, createLedger, sqliteStorage } from "@onoal/nucleus";

const dataDir = join(process.cwd(), "data");
const dbPath = join(dataDir, "demo.db");
const tamperedPath = join(dataDir, "demo-tampered.db");
const show = (path) => `./${relative(process.cwd(), path)}`;
const ms = (t) => (t < 10 ? t.toFixed(2) : t.toFixed(0));
const short = (hash) => `${hash.slice(0, 12)}…`;
const say = (text = "") => console.log(text);
const step = (n, text) => say(`${n}. ${text}`);

for (const path of [dbPath, tamperedPath]) {
  for (const suffix of ["", "-wal", "-shm", ".lock"]) rmSync(path + suffix, { force: true });
}
mkdirSync(dataDir, { recursive: true });

say("Nucleus demo: an append-only ledger whose every entry is hashed together with the one before it.");
say("The engine is Python, running inside Node.js through WebAssembly (Pyodide); the ledger is a SQLite file.");
say();

// 1. Open a new ledger.
let t = performance.now();
const ledger = await createLedger({ id: "demo-orders", storage: sqliteStorage(dbPath) });
step(1, `Opened ${show(dbPath)} as ledger "${ledger.id}": engine ready ${ms(performance.now())} ms after the process started.`);

// 2. One durable append.
const base = Date.UTC(2025, 0, 6, 9, 0, 0);
const order = (n) => ({
  id: `order-${n}`,
  stream: "orders",
  timestamp: base + n * 60_000,
  payload: { customer: `customer-${(n * 7) % 13}`, items: 1 + (n % 4), total: 1000 + ((n * 379) % 9000) },
});
t = performance.now();
const first = await ledger.append(order(0));
step(2, `Appended order-0 -> entry hash ${short(first)} in ${ms(performance.now() - t)} ms, synced to disk before append() resolved.`);

// 3. Batches, all or nothing. The first heavy work in a process also warms up WebAssembly.
const firstBatch = Array.from({ length: 499 }, (_, i) => order(i + 1));
const secondBatch = Array.from({ length: 500 }, (_, i) => order(i + 500));
t = performance.now();
const hashes = await ledger.appendBatch(firstBatch);
const firstMs = performance.now() - t;
t = performance.now();
hashes.push(...(await ledger.appendBatch(secondBatch)));
const secondMs = performance.now() - t;
const rate = (count, time) => Math.round(count / (time / 1000)).toLocaleString("en-US");
step(3, `Appended ${firstBatch.length + secondBatch.length} more orders in two batches, one transaction each:`);
say(`   ${firstBatch.length} in ${ms(firstMs)} ms, then ${secondBatch.length} in ${ms(secondMs)} ms (the second at ${rate(secondBatch.length, secondMs)} entries/s; the first also warms up WebAssembly).`);
const checkpoint = await ledger.checkpoint();
step(4, `Kept a checkpoint to compare with later: { size: ${checkpoint.size}, hash: ${short(checkpoint.hash)} }. Closed the ledger.`);
await ledger.close();

// 5. Reopen: the whole chain is verified before the ledger is handed back.
t = performance.now();
const again = await createLedger({ id: "demo-orders", storage: sqliteStorage(dbPath), checkpoint });
step(5, `Reopened it: all ${await again.length()} entries re-hashed and checked against the checkpoint in ${ms(performance.now() - t)} ms.`);
t = performance.now();
await again.verify();
step(6, `verify() walked the chain again in ${ms(performance.now() - t)} ms: intact.`);

// 7. Queries go to SQLite's indexes.
const target = 42;
const latest = await again.query({ stream: "orders", order: "desc", limit: 3 });
const one = await again.getById(`order-${target}`);
step(7, `Queried: ${latest.total} orders in the stream; the newest three are ${latest.records.map((r) => r.id).join(", ")}.`);
say(`   order-${target} reads ${JSON.stringify(one.payload)}.`);
const entry = await again.getEntry(hashes[target - 1]);
await again.close();

// 8. Tamper with a copy: change one digit of order-42's total, directly in the file's bytes.
copyFileSync(dbPath, tamperedPath);
const bytes = readFileSync(tamperedPath);
const recordText = Buffer.from(`{"id":"order-${target}","payload":${JSON.stringify(one.payload)}`);
const digitOffset = recordText.lastIndexOf(Buffer.from(`"total":${one.payload.total}`)) + `"total":${one.payload.total}`.length - 1;
const before = String.fromCharCode(recordText[digitOffset]);
const after = before === "9" ? "8" : String(Number(before) + 1);
// SQLite may also keep a stale copy of a page in its free space; change every copy of the record's text.
let copies = 0;
for (let at = bytes.indexOf(recordText); at >= 0; at = bytes.indexOf(recordText, at + 1), copies++) {
  bytes[at + digitOffset] = after.charCodeAt(0);
}
if (copies === 0) throw new Error(`demo: order-${target}'s record text is not in the copied file`);
writeFileSync(tamperedPath, bytes);
step(8, `Copied the file to ${show(tamperedPath)} and changed one byte in it: order-${target}'s total ${one.payload.total} -> ${String(one.payload.total).slice(0, -1)}${after}.`);
say(`   No hash was touched; only the record's text, which sits at seq ${entry.seq}.`);

// 9. Opening the copy is refused, naming the first bad entry.
t = performance.now();
try {
  const tampered = await createLedger({ id: "demo-orders", storage: sqliteStorage(tamperedPath) });
  await tampered.close();
  throw new Error("demo: the tampered copy opened, which must never happen");
} catch (err) {
  if (!(err instanceof ChainIntegrityError)) throw err;
  step(9, `Opening the copy was refused after ${ms(performance.now() - t)} ms: ${err.code} at seq ${err.seq} (${err.kind}).`);
  say(`   "${err.message}"`);
  if (err.seq !== entry.seq) throw new Error(`demo: expected the first bad seq to be ${entry.seq}, got ${err.seq}`);
}

// 10. The original is untouched.
const original = await createLedger({ id: "demo-orders", storage: sqliteStorage(dbPath) });
step(10, `The original still opens and verifies: ${await original.length()} entries, latest ${short(await original.latestHash())}.`);
await original.close();
say();
say(`Files: ${show(dbPath)} (intact) and ${show(tamperedPath)} (tampered). Inspect them with the CLI, e.g.`);
say(`   npx nucleus info ${show(dbPath)}      npx nucleus verify ${show(tamperedPath)}`);
