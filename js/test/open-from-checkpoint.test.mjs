/**
 * `createLedger({ …, checkpoint, verify: "fromCheckpoint" })` through the packed package: opening walks only the
 * checkpoint's last entry and what follows it (counted by the `verifiedEntries` metric, not timed). Files are edited
 * with Python's stdlib sqlite3, as an attacker would. The point of the "keeps the hashes" test is the mode's
 * documented limit: an edit before the checkpoint that leaves the stored hashes alone is found only by a full verify.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const N = await loadPackage();
const { createLedger, sqliteStorage } = N;
const dir = tempDir();
const T = 1_700_000_000_000;
const SIZE = 300;
const AT = 250;
const rec = (i) => ({ id: `r${i}`, stream: "s", timestamp: T + i, payload: { n: i } });
const good = join(dir, "good.db");
let hashes = [];
let copies = 0;

before(async () => {
  const ledger = await createLedger({ id: "cp", storage: sqliteStorage(good) });
  hashes = await ledger.appendBatch(Array.from({ length: SIZE }, (_, i) => rec(i)));
  await ledger.close();
});

const checkpoint = (size = AT) => ({ size, hash: hashes[size - 1] });

/** A copy of the good file with `statement` run on it by Python's sqlite3. */
function edited(statement) {
  const path = join(dir, `c${copies++}.db`);
  copyFileSync(good, path);
  const script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit(); c.close()";
  const run = spawnSync(process.env.PYTHON ?? "python3", ["-c", script, path, statement], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return path;
}

const open = (path, extra = {}) =>
  createLedger({ id: "cp", storage: sqliteStorage(path), checkpoint: checkpoint(), verify: "fromCheckpoint", options: { enableMetrics: true }, ...extra });

async function chainInvalid(promise, seq, kind) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, "CHAIN_INVALID", err.message);
    assert.deepEqual([err.details.seq, err.details.kind], [seq, kind], err.message);
    return true;
  });
}

test("it walks only the checkpoint's last entry and what follows; verify() stays full", async () => {
  const full = await open(good, { verify: "full" });
  assert.equal((await full.metrics()).verifiedEntries, SIZE);
  await full.close();
  const short = await open(good);
  assert.equal((await short.metrics()).verifiedEntries, SIZE - AT + 1);
  assert.equal(await short.length(), SIZE);
  assert.equal(await short.latestHash(), hashes.at(-1));
  assert.deepEqual(await short.getById("r3"), rec(3));
  await short.verify();
  assert.equal((await short.metrics()).verifiedEntries, SIZE - AT + 1 + SIZE);
  await short.close();
});

test("a changed hash or record of the checkpoint's last entry is caught", async () => {
  await chainInvalid(open(edited(`UPDATE entries SET hash = '${"0".repeat(64)}' WHERE seq = ${AT - 1}`)), AT - 1, "checkpoint");
  await chainInvalid(open(edited(`UPDATE entries SET record = replace(record, '"n":${AT - 1}', '"n":7') WHERE seq = ${AT - 1}`)), AT - 1, "hash");
});

test("an edit before the checkpoint that keeps the hashes is not caught by this mode, and is by a full verify", async () => {
  const path = edited(`UPDATE entries SET record = replace(record, '"n":10', '"n":11') WHERE seq = 10`);
  const ledger = await open(path);
  assert.equal(await ledger.length(), SIZE, "opened: the prefix is trusted");
  await chainInvalid(ledger.verify(), 10, "hash");
  await ledger.close();
  await chainInvalid(open(path, { verify: "full" }), 10, "hash");
});

test("a fault after the checkpoint is caught with its seq and kind", async () => {
  await chainInvalid(open(edited(`UPDATE entries SET record = replace(record, '"n":270', '"n":9') WHERE seq = 270`)), 270, "hash");
  await chainInvalid(open(edited("DELETE FROM entries WHERE seq = 280")), 280, "sequence");
  await chainInvalid(open(edited(`UPDATE entries SET prev_hash = '${"1".repeat(64)}' WHERE seq = ${AT}`)), AT, "link");
});

test("a checkpoint beyond the tip is refused", async () => {
  await chainInvalid(open(good, { checkpoint: { size: SIZE + 5, hash: "a".repeat(64) } }), SIZE, "checkpoint");
});

test("an unknown verify value, or fromCheckpoint without a checkpoint, is INVALID_CONFIG before the engine loads", async () => {
  for (const verify of ["from_checkpoint", "partial", true, null]) {
    await assert.rejects(open(good, { verify }), (err) => err.code === "INVALID_CONFIG" && /verify must be/.test(err.message));
  }
  await assert.rejects(createLedger({ id: "cp", verify: "fromCheckpoint" }), (err) => err.code === "INVALID_CONFIG" && /checkpoint/.test(err.message));
});
