/**
 * Proof verification alike in every runtime, through the installed package:
 *
 * - every case of vectors/merkle/verify.json (adversarial inputs, docs/FORMAT.md §9's verdict order) and of
 *   ledger.json reaches exactly its verdict (code and `details.reason`), as in CPython and Pyodide
 *   (tests_py/test_merkle_vectors.py) and Chromium (tests_browser/test_proofs.py; the same walker:
 *   helpers/proofs.mjs);
 * - proofs made here, in a SQLite ledger, equal CPython's of the same entries byte for byte (canonical JSON), and
 *   fast-check's random single-bit changes of a path hash, a root, an index or a size fail alike in Node and
 *   CPython (tests_browser/differential_peer.py). tests_browser/test_proofs.py adds Chromium and the other direction.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";
import { proofTurn, proofVectorVerdicts, verifyCases } from "./helpers/proofs.mjs";
import { startPython } from "./helpers/python-peer.mjs";

const N = await loadPackage();
const dir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "vectors", "merkle");
const verify = JSON.parse(readFileSync(join(dir, "verify.json"), "utf8"));
const ledger = JSON.parse(readFileSync(join(dir, "ledger.json"), "utf8"));
const python = startPython();
const SEED = 20_251_010;
const COUNT = 300;

const results = await proofVectorVerdicts(N, { verify, ledger });

test("the walker ran every case but the python_only ones", () => {
  const skipped = Object.values(verify.cases).filter((c) => c.python_only).length;
  const cases = Object.keys(verify.cases).length - skipped;
  const fromLedger = 2 * ledger.inclusion.length + ledger.consistency.length + 2 * ledger.checkpoints.length + ledger.invalid.length;
  assert.equal(results.length, cases + fromLedger);
  assert.ok(cases > 200 && skipped <= 5, `${cases} cases, ${skipped} skipped`);
});

for (const r of results) {
  test(r.name, () => assert.deepEqual(r.got, r.want));
}

// ---------------------------------------------------------------- Node (SQLite) and CPython

const sha = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest();
/** RFC 9162 MTH of leaf hashes (the reference the checkpoints of earlier sizes are made from). */
function mth(leaves) {
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return leaves[0];
  const k = 2 ** Math.ceil(Math.log2(leaves.length) - 1);
  return sha(Buffer.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
/** JSON with sorted keys, to compare proofs byte for byte whatever a runtime's member order. */
const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
const flipB64 = (text, bit) => {
  const bytes = Buffer.from(text, "base64");
  bytes[bit >> 3] ^= 0x80 >> (bit & 7);
  return bytes.toString("base64");
};
/** `n` with bit `bit` changed (up to bit 52: JavaScript's bitwise operators keep 32 bits). */
const flipNumber = (n, bit) => (Math.floor(n / 2 ** bit) % 2 ? n - 2 ** bit : n + 2 ** bit);
const fail = (reason) => ({ want_error: { code: "PROOF_INVALID", reason } });

/** Each proof verified, then changed by one bit in each of its parts: `[{verify, args}]` and their verdicts. */
function changedProofs(made, picks) {
  const leaves = made.entries.map((h) => sha(Buffer.of(0), Buffer.from(h, "hex")));
  const cp = (size) => ({ origin: "nucleus/merkle-vectors", size, root: mth(leaves.slice(0, size)).toString("base64"), hash: size ? made.entries[size - 1] : null });
  const cases = [];
  const want = [];
  const add = (verifyKind, args, verdict) => {
    cases.push({ verify: verifyKind, args });
    want.push(verdict);
  };
  made.inclusion.forEach((p, i) => {
    const { bit, numberBit, pick } = picks.inclusion[i];
    const entry = { seq: p.index, hash: made.entries[p.index] };
    const c = cp(p.size);
    add("inclusion", [entry, p, c], { want: true });
    if (p.path.length) {
      const path = [...p.path];
      path[pick % path.length] = flipB64(path[pick % path.length], bit);
      add("inclusion", [entry, { ...p, path }, c], fail("root_mismatch"));
    }
    add("inclusion", [entry, p, { ...c, root: flipB64(c.root, bit) }], fail("root_mismatch"));
    add("inclusion", [entry, { ...p, index: flipNumber(p.index, numberBit) }, c], fail("index_mismatch"));
    add("inclusion", [entry, { ...p, size: flipNumber(p.size, numberBit) }, c], fail("size_mismatch"));
  });
  made.consistency.forEach((p, i) => {
    const { bit, numberBit, pick } = picks.consistency[i];
    const older = cp(p.from);
    const newer = cp(p.to);
    add("consistency", [older, newer, p], { want: true });
    if (p.path.length) {
      const path = [...p.path];
      path[pick % path.length] = flipB64(path[pick % path.length], bit);
      add("consistency", [older, newer, { ...p, path }], fail("root_mismatch"));
    }
    add("consistency", [{ ...older, root: flipB64(older.root, bit) }, newer, p], fail("root_mismatch"));
    add("consistency", [older, { ...newer, root: flipB64(newer.root, bit) }, p], fail("root_mismatch"));
    add("consistency", [older, newer, { ...p, from: flipNumber(p.from, numberBit) }], fail("size_mismatch"));
    add("consistency", [older, newer, { ...p, to: flipNumber(p.to, numberBit) }], fail("size_mismatch"));
  });
  return { cases, want };
}

const change = fc.record({ bit: fc.nat(255), numberBit: fc.nat(52), pick: fc.nat(100) });
const inclusionPair = fc.integer({ min: 1, max: COUNT }).chain((size) => fc.tuple(fc.nat(size - 1), fc.constant(size), change));
const consistencyPair = fc.integer({ min: 1, max: COUNT }).chain((to) => fc.tuple(fc.integer({ min: 1, max: to }), fc.constant(to), change));

test(`proofs made in Node (SQLite) equal CPython's and verify alike; one-bit changes fail in both (fast-check seed ${SEED})`, async () => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(inclusionPair, { minLength: 15, maxLength: 25 }), fc.array(consistencyPair, { minLength: 15, maxLength: 25 }), async (inc, con) => {
      const arg = { ledger: "merkle-vectors", count: COUNT, inclusion: inc.map(([s, n]) => [s, n]), consistency: con.map(([f, t]) => [f, t]) };
      const node = await proofTurn(N, arg, N.sqliteStorage(join(tempDir(), "proofs.db")));
      const cpython = await python.run({ op: "proofTurn", arg });
      assert.equal(canonical(node), canonical(cpython), "Node's ledger and CPython's give other entries, checkpoint or proofs");
      assert.deepEqual(node.entries, ledger.entries, "the ledger of vectors/merkle/ledger.json");
      const { cases, want } = changedProofs(node, { inclusion: inc.map((x) => x[2]), consistency: con.map((x) => x[2]) });
      assert.deepEqual(await verifyCases(N, cases), want, "Node");
      assert.deepEqual(await python.run({ op: "verifyCases", arg: cases }), want, "CPython");
      checked += cases.length;
    }),
    { seed: SEED, numRuns: 3 },
  );
  assert.ok(checked >= 300, `${checked} cases`);
});
