/**
 * The chain vectors (vectors/chain/*.json, docs/FORMAT.md §8) through the installed package: every one reaches
 * exactly the verdict it states (code, seq and kind; the export line and the LEDGER_MISMATCH reason when given),
 * as in Python (tests_py/test_chain_vectors.py). An export is imported into a new in-memory ledger and then
 * verified against the vector's checkpoint; a stored copy is written into a SQLite ledger file made by the package
 * (the rows are written with `python3 vectors/stored_file.py`, as a forger would) and opened with the checkpoint.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage, NucleusError } = await loadPackage();
const vectorsDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "vectors");
const chainDir = join(vectorsDir, "chain");
const python = process.env.PYTHON || "python3";
const files = readdirSync(chainDir).filter((f) => f.endsWith(".json")).sort();

/** An error as a vector states it. */
function verdict(err) {
  assert.ok(err instanceof NucleusError, `not a NucleusError: ${err?.stack ?? err}`);
  const out = { code: err.code, seq: err.seq ?? null, kind: err.kind ?? null };
  for (const key of ["line", "reason"]) if (key in err.details) out[key] = err.details[key];
  return out;
}

async function runExport(vector) {
  const text = vector.export;
  const ledger = await createLedger({ id: vector.ledger_id });
  try {
    let result;
    try {
      result = await ledger.importEntries(text);
    } catch (err) {
      assert.equal(await ledger.length(), 0, "a refused export wrote entries");
      throw err;
    }
    assert.equal(result.imported, text.split("\n").length - 1 - (text.endsWith("\n") ? 1 : 0));
    assert.equal(await ledger.export(), text.endsWith("\n") ? text : `${text}\n`);
    if ("checkpoint" in vector) await ledger.verify({ checkpoint: vector.checkpoint });
    await ledger.verify();
  } finally {
    await ledger.close();
  }
}

async function runStored(vector, file, dir) {
  const path = join(dir, file.replace(/\.json$/, ".db"));
  await (await createLedger({ id: vector.ledger_id, storage: sqliteStorage(path) })).close();
  const written = spawnSync(python, [join(vectorsDir, "stored_file.py"), path, join(chainDir, file)], { encoding: "utf8" });
  assert.equal(written.status, 0, `${python} vectors/stored_file.py failed: ${written.stderr}`);
  const options = "checkpoint" in vector ? { checkpoint: vector.checkpoint } : {};
  const ledger = await createLedger({ id: vector.ledger_id, storage: sqliteStorage(path), ...options });
  try {
    assert.equal(await ledger.length(), vector.stored.entries.length);
    await ledger.verify(options);
  } finally {
    await ledger.close();
  }
}

test("the chain vectors are there", () => {
  assert.ok(files.length >= 100, `only ${files.length} vectors in ${chainDir}`);
});

const dir = tempDir();
for (const file of files) {
  const vector = JSON.parse(readFileSync(join(chainDir, file), "utf8"));
  test(`${file}: ${vector.desc}`, async () => {
    let got = null;
    try {
      if ("export" in vector) await runExport(vector);
      else await runStored(vector, file, dir);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      got = verdict(err);
    }
    assert.deepEqual(got, vector.want_error);
  });
}
