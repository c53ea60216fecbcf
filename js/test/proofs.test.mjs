/**
 * Merkle proofs, checkpoints and signed notes through the installed package (docs/FORMAT.md, issue 10).
 *
 * Runs now: every case of vectors/rfc6962/ (transparency-dev's RFC 6962 vectors; the verification core, bundled
 * from src/proofs/merkle.ts, takes their raw leaf hashes, and the package's verifyConsistency their roots),
 * property tests against a reference tree built here (RFC 9162 §2.1), checkpoint text, signed notes against Go's
 * golang.org/x/mod/sumdb/note test keys and signatures, and a check that none of it starts the engine.
 *
 * The last section, "ledger proofs (needs the engine's inclusionProof/consistencyProof operations)", needs the
 * engine of issue 10 and fails against an engine without them.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import fc from "fast-check";
import { loadPackage, runScript, tempDir } from "./helpers/consumer.mjs";

const N = await loadPackage();
const { verifyInclusion, verifyConsistency, parseCheckpoint, formatCheckpoint, generateKey, signNote, verifyNote } = N;
const jsRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const vectorsDir = join(jsRoot, "..", "vectors", "rfc6962");

// ---------------------------------------------------------------- a reference tree (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1)

const sha = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest();
const leafOf = (entryHash) => sha(Buffer.of(0), Buffer.from(entryHash, "hex"));
const nodeOf = (l, r) => sha(Buffer.of(1), l, r);
/** The largest power of two smaller than n (n > 1). */
const split = (n) => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(leaves) {
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeOf(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function auditPath(m, leaves) {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k ? [...auditPath(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...auditPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}
function subproof(m, leaves, complete) {
  if (m === leaves.length) return complete ? [] : [mth(leaves)];
  const k = split(leaves.length);
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), complete), mth(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}
const b64 = (buf) => Buffer.from(buf).toString("base64");
const entryHashes = (n, seed = 0) => Array.from({ length: n }, (_, i) => sha(Buffer.from(`entry ${seed} ${i}`)).toString("hex"));
/** A checkpoint, proof material and entries of a tree of `n` entries. */
function tree(n, seed = 0) {
  const hashes = entryHashes(n, seed);
  const leaves = hashes.map(leafOf);
  return { hashes, leaves, checkpoint: (size) => ({ origin: "nucleus/t", size, root: b64(mth(leaves.slice(0, size))), hash: size ? hashes[size - 1] : null }) };
}
const inclusion = (t, index, size) => ({ kind: "inclusion", index, size, path: auditPath(index, t.leaves.slice(0, size)).map(b64) });
const consistency = (t, from, to) => ({ kind: "consistency", from, to, path: subproof(from, t.leaves.slice(0, to), true).map(b64) });
const flipB64 = (text, bit) => {
  const bytes = Buffer.from(text, "base64");
  bytes[bit >> 3] ^= 1 << (bit & 7);
  return bytes.toString("base64");
};

/** Asserts that `promise` rejects with `code` (and `reason` when given); returns the error. */
async function rejects(promise, code, reason) {
  let caught;
  await assert.rejects(promise, (err) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof N.NucleusError, `not a NucleusError: ${caught?.stack ?? caught}`);
  assert.equal(caught.code, code, caught.message);
  if (reason !== undefined) assert.equal(caught.details.reason, reason, caught.message);
  return caught;
}

// ---------------------------------------------------------------- the RFC 6962 vectors

/** A checkpoint of an RFC 6962 vector's tree (its entries' chain hashes are unknown: any hex stands in). */
const vectorCheckpoint = (size, root) => ({ origin: "nucleus/rfc6962", size, root, hash: size ? "00".repeat(32) : null });

function vectorFiles(kind) {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith(".json")) out.push(join(dir, e.name));
    }
  };
  walk(join(vectorsDir, kind));
  return out.sort();
}

/** src/proofs/merkle.ts bundled for Node: the verification core, which takes raw hashes as the vectors give them. */
async function merkleCore() {
  const outfile = join(tempDir(), "merkle.mjs");
  await esbuild.build({
    entryPoints: [join(jsRoot, "src", "proofs", "merkle.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "warning",
  });
  return import(pathToFileURL(outfile).href);
}

describe("RFC 6962 vectors (transparency-dev/merkle testdata)", async () => {
  const core = await merkleCore();
  const raw = (text) => new Uint8Array(Buffer.from(text, "base64"));
  const inclusionFiles = vectorFiles("inclusion");
  const consistencyFiles = vectorFiles("consistency");

  test("there are vectors of both kinds, happy and not", () => {
    assert.ok(inclusionFiles.length >= 50 && consistencyFiles.length >= 50, `${inclusionFiles.length} / ${consistencyFiles.length}`);
  });

  /** The vector's verdict from `run`: "ok", or a coded error (PROOF_INVALID or INVALID_ARGUMENT only). */
  async function verdict(run) {
    try {
      await run();
      return "ok";
    } catch (err) {
      assert.ok(["PROOF_INVALID", "INVALID_ARGUMENT"].includes(err.code), `uncoded failure: ${err?.stack ?? err}`);
      return "error";
    }
  }

  test("every inclusion vector gets its verdict from the verification core", async () => {
    for (const file of inclusionFiles) {
      const v = JSON.parse(readFileSync(file, "utf8"));
      const got = await verdict(() => core.verifyInclusionPath(raw(v.leafHash), v.leafIdx, v.treeSize, (v.proof ?? []).map(raw), raw(v.root)));
      assert.equal(got, v.wantErr ? "error" : "ok", `${file}: ${v.desc}`);
    }
  });

  test("every consistency vector gets its verdict from the verification core", async () => {
    for (const file of consistencyFiles) {
      const v = JSON.parse(readFileSync(file, "utf8"));
      const got = await verdict(() => core.verifyConsistencyPath(v.size1, v.size2, raw(v.root1), raw(v.root2), (v.proof ?? []).map(raw)));
      assert.equal(got, v.wantErr ? "error" : "ok", `${file}: ${v.desc}`);
    }
  });

  test("every consistency vector through the package's verifyConsistency: its verdict, or INVALID_ARGUMENT for a non-32-byte hash", async () => {
    let happy = 0;
    for (const file of consistencyFiles) {
      const v = JSON.parse(readFileSync(file, "utf8"));
      const run = () =>
        verifyConsistency(vectorCheckpoint(v.size1, v.root1), vectorCheckpoint(v.size2, v.root2), { kind: "consistency", from: v.size1, to: v.size2, path: v.proof ?? [] });
      const wellFormed = [v.root1, v.root2, ...(v.proof ?? [])].every((h) => Buffer.from(h, "base64").length === 32);
      if (!wellFormed) {
        await rejects(run(), "INVALID_ARGUMENT");
      } else if (v.wantErr) {
        assert.equal(await verdict(run), "error", `${file}: ${v.desc}`);
      } else {
        assert.equal(await run(), true, `${file}: ${v.desc}`);
        happy++;
      }
    }
    assert.ok(happy >= 5, `only ${happy} happy vectors ran through the package`);
  });
});

// ---------------------------------------------------------------- properties against the reference tree

describe("property tests: proofs verify; a one-bit change fails", () => {
  const runs = { numRuns: 60 };
  const sizeAndIndex = fc.integer({ min: 1, max: 300 }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1), fc.nat(1000)));

  test("inclusion: every proof verifies; a flipped bit of a path hash, the root, the entry hash, the index or the size fails", async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex, fc.nat(255), fc.nat(9), async ([size, index, pick], bit, numberBit) => {
        const t = tree(size, size);
        const entry = { seq: index, hash: t.hashes[index] };
        const proof = inclusion(t, index, size);
        const cp = t.checkpoint(size);
        assert.equal(await verifyInclusion(entry, proof, cp), true);
        assert.equal(await verifyInclusion(entry, proof, formatCheckpoint(cp)), true, "the checkpoint's text works as well");
        if (proof.path.length) {
          const path = [...proof.path];
          const i = pick % path.length;
          path[i] = flipB64(path[i], bit);
          await rejects(verifyInclusion(entry, { ...proof, path }, cp), "PROOF_INVALID", "root_mismatch");
          await rejects(verifyInclusion(entry, { ...proof, path: proof.path.slice(1) }, cp), "PROOF_INVALID");
        }
        await rejects(verifyInclusion(entry, { ...proof, path: [...proof.path, cp.root] }, cp), "PROOF_INVALID", "path_length");
        await rejects(verifyInclusion(entry, proof, { ...cp, root: flipB64(cp.root, bit) }), "PROOF_INVALID", "root_mismatch");
        const hash = Buffer.from(entry.hash, "hex");
        hash[bit >> 3] ^= 1 << (bit & 7);
        await rejects(verifyInclusion({ ...entry, hash: hash.toString("hex") }, proof, cp), "PROOF_INVALID", "root_mismatch");
        const otherIndex = index ^ (1 << numberBit);
        await rejects(verifyInclusion({ ...entry, seq: otherIndex }, { ...proof, index: otherIndex }, cp), "PROOF_INVALID");
        await rejects(verifyInclusion(entry, { ...proof, index: otherIndex }, cp), "PROOF_INVALID", "index_mismatch");
        const otherSize = size ^ (1 << numberBit);
        await rejects(verifyInclusion(entry, { ...proof, size: otherSize }, cp), "PROOF_INVALID", "size_mismatch");
        await rejects(verifyInclusion(entry, proof, { ...cp, size: otherSize, hash: otherSize ? cp.hash : null }), "PROOF_INVALID", "size_mismatch");
      }),
      runs,
    );
  });

  test("consistency: every proof verifies; a flipped bit of a path hash, either root, from or to fails", async () => {
    const sizes = fc.integer({ min: 1, max: 300 }).chain((to) => fc.tuple(fc.integer({ min: 1, max: to }), fc.constant(to), fc.nat(1000)));
    await fc.assert(
      fc.asyncProperty(sizes, fc.nat(255), fc.nat(9), async ([from, to, pick], bit, numberBit) => {
        const t = tree(to, from);
        const proof = consistency(t, from, to);
        const older = t.checkpoint(from);
        const newer = t.checkpoint(to);
        assert.equal(await verifyConsistency(older, newer, proof), true);
        if (proof.path.length) {
          const path = [...proof.path];
          const i = pick % path.length;
          path[i] = flipB64(path[i], bit);
          await rejects(verifyConsistency(older, newer, { ...proof, path }), "PROOF_INVALID");
          await rejects(verifyConsistency(older, newer, { ...proof, path: proof.path.slice(0, -1) }), "PROOF_INVALID");
        }
        await rejects(verifyConsistency(older, newer, { ...proof, path: [...proof.path, newer.root] }), "PROOF_INVALID", "path_length");
        await rejects(verifyConsistency({ ...older, root: flipB64(older.root, bit) }, newer, proof), "PROOF_INVALID", "root_mismatch");
        await rejects(verifyConsistency(older, { ...newer, root: flipB64(newer.root, bit) }, proof), "PROOF_INVALID", "root_mismatch");
        await rejects(verifyConsistency(older, newer, { ...proof, from: from ^ (1 << numberBit) }), "PROOF_INVALID", "size_mismatch");
        await rejects(verifyConsistency(older, newer, { ...proof, to: to ^ (1 << numberBit) }), "PROOF_INVALID", "size_mismatch");
      }),
      runs,
    );
  });

  test("a proof against the wrong tree fails: an entry of another ledger, a fork of the same size", async () => {
    const a = tree(20, 1);
    const b = tree(20, 2);
    await rejects(verifyInclusion({ seq: 3, hash: a.hashes[3] }, inclusion(a, 3, 20), b.checkpoint(20)), "PROOF_INVALID", "root_mismatch");
    // b agrees with a nowhere, so no proof makes b's 20 entries extend a's first 8.
    await rejects(verifyConsistency(a.checkpoint(8), b.checkpoint(20), consistency(b, 8, 20)), "PROOF_INVALID", "root_mismatch");
  });

  test("sizes past 2^32 work (no 32-bit shifts): a leaf at the right edge of a tree of 2^40 + 3 leaves", async () => {
    // The tree: a complete left subtree of 2^40 leaves (its root stands in) and three leaves on the right.
    const size = 2 ** 40 + 3;
    const hashes = entryHashes(3, 40);
    const right = hashes.map(leafOf);
    const left = sha(Buffer.from("a complete subtree of 2^40 leaves"));
    const root = nodeOf(left, nodeOf(nodeOf(right[0], right[1]), right[2]));
    const proof = { kind: "inclusion", index: size - 1, size, path: [nodeOf(right[0], right[1]), left].map(b64) };
    const cp = { origin: "nucleus/big", size, root: b64(root), hash: hashes[2] };
    assert.equal(await verifyInclusion({ seq: size - 1, hash: hashes[2] }, proof, cp), true);
    await rejects(verifyInclusion({ seq: size - 2, hash: hashes[2] }, { ...proof, index: size - 2 }, cp), "PROOF_INVALID");
  });
});

// ---------------------------------------------------------------- malformed input

describe("malformed input is INVALID_ARGUMENT", () => {
  const t = tree(5);
  const entry = { seq: 2, hash: t.hashes[2] };
  const proof = inclusion(t, 2, 5);
  const cp = t.checkpoint(5);

  test("proofs: wrong kind, unknown key, negative or fractional numbers, a path hash not 32 bytes of canonical base64", async () => {
    for (const bad of [
      { ...proof, kind: "consistency" },
      { ...proof, extra: 1 },
      { ...proof, index: -1 },
      { ...proof, size: 5.5 },
      { ...proof, size: 2 ** 53 },
      { ...proof, path: "abc" },
      { ...proof, path: [...proof.path.slice(1), proof.path[0].slice(0, -1)] },
      { ...proof, path: [...proof.path.slice(1), ` ${proof.path[0]}`] },
      { ...proof, path: [...proof.path.slice(1), Buffer.alloc(31).toString("base64")] },
      { ...proof, path: [...proof.path.slice(1), 7] },
      null,
      [],
    ]) {
      await rejects(verifyInclusion(entry, bad, cp), "INVALID_ARGUMENT");
    }
    const c = consistency(t, 2, 5);
    await rejects(verifyConsistency(t.checkpoint(2), cp, { ...c, kind: "inclusion" }), "INVALID_ARGUMENT");
    await rejects(verifyConsistency(t.checkpoint(2), cp, { ...c, index: 2 }), "INVALID_ARGUMENT");
  });

  test("entries and checkpoints: bad seq or hash; a legacy checkpoint has no root; from 0 proves nothing", async () => {
    await rejects(verifyInclusion({ seq: 2, hash: t.hashes[2].toUpperCase() }, proof, cp), "INVALID_ARGUMENT");
    await rejects(verifyInclusion({ seq: "2", hash: t.hashes[2] }, proof, cp), "INVALID_ARGUMENT");
    await rejects(verifyInclusion(entry, proof, { size: 5, hash: cp.hash }), "INVALID_ARGUMENT");
    await rejects(verifyInclusion(entry, proof, `nucleus checkpoint v1\n5\n${cp.hash}\n`), "INVALID_ARGUMENT");
    await rejects(verifyInclusion(entry, proof, { ...cp, root: cp.root.slice(0, 43) }), "INVALID_ARGUMENT");
    await rejects(verifyInclusion(entry, proof, { ...cp, origin: "elsewhere/t" }), "INVALID_ARGUMENT");
    await rejects(verifyInclusion(entry, proof, { ...cp, witness: "x" }), "INVALID_ARGUMENT");
    const empty = t.checkpoint(0);
    // From 0 proves nothing: refused as Python refuses it (docs/FORMAT.md §9, bad_sizes).
    await rejects(verifyConsistency(empty, cp, { kind: "consistency", from: 0, to: 5, path: [] }), "PROOF_INVALID", "bad_sizes");
    // Exactly {origin, size, root, hash} or the legacy {size, hash}, as the Python engine takes a checkpoint.
    for (const partial of [{ origin: cp.origin, size: 5, root: cp.root }, { size: 5, root: cp.root }, { size: 5, root: cp.root, hash: cp.hash }]) {
      await rejects(verifyInclusion(entry, proof, partial), "INVALID_ARGUMENT");
    }
    await rejects(verifyConsistency(cp, t.checkpoint(2), { kind: "consistency", from: 5, to: 2, path: [] }), "PROOF_INVALID", "bad_sizes");
    await rejects(verifyInclusion({ seq: 5, hash: t.hashes[2] }, { ...proof, index: 5 }, cp), "PROOF_INVALID", "bad_sizes");
    assert.equal(await verifyConsistency(cp, cp, { kind: "consistency", from: 5, to: 5, path: [] }), true);
  });
});

// ---------------------------------------------------------------- checkpoint text

describe("checkpoint text (C2SP tlog-checkpoint body; the legacy form)", () => {
  const t = tree(3);
  const cp = t.checkpoint(3);
  const text = `nucleus/t\n3\n${cp.root}\nchain ${cp.hash}\n`;

  test("format and parse are inverse; size 0 has no chain line; the legacy text gives {size, hash}", () => {
    assert.equal(formatCheckpoint(cp), text);
    assert.deepEqual(parseCheckpoint(text), cp);
    const empty = { origin: "nucleus/orders.eu-1", size: 0, root: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", hash: null };
    assert.equal(formatCheckpoint(empty), `nucleus/orders.eu-1\n0\n${empty.root}\n`);
    assert.deepEqual(parseCheckpoint(formatCheckpoint(empty)), empty);
    assert.deepEqual(parseCheckpoint(`nucleus checkpoint v1\n3\n${cp.hash}\n`), { size: 3, hash: cp.hash });
    assert.deepEqual(parseCheckpoint("nucleus checkpoint v1\n0\n\n"), { size: 0, hash: null });
    assert.equal(b64(mth([])), empty.root, "the empty tree's root is SHA-256 of nothing");
  });

  test("parsing is strict", () => {
    for (const bad of [
      text.slice(0, -1),
      `${text}\n`,
      `${text}extra\n`,
      text.replace("\n3\n", "\n03\n"),
      text.replace("\n3\n", "\n+3\n"),
      text.replace("chain ", "chain  "),
      text.replace("chain ", "tip "),
      text.replace(cp.hash, cp.hash.toUpperCase()),
      text.replace(cp.root, cp.root.slice(0, -1)),
      text.replace("nucleus/t", "nucleus/"),
      text.replace("nucleus/t", "other/t"),
      text.replace("\r", "").replace("\n", "\r\n"),
      `nucleus/t\n0\n${cp.root}\nchain ${cp.hash}\n`,
      `nucleus/t\n3\n${cp.root}\n`,
      `${text}\n\u2014 example.com/log AAAAAAAA\n`,
      `nucleus checkpoint v1\n3\n${cp.hash}\n\n`,
      "nucleus checkpoint v1\n0\n",
      `nucleus/t\n${2 ** 53}\n${cp.root}\nchain ${cp.hash}\n`,
    ]) {
      assert.throws(() => parseCheckpoint(bad), (err) => err.code === "INVALID_ARGUMENT", JSON.stringify(bad));
    }
    assert.throws(() => formatCheckpoint({ size: 3, hash: cp.hash }), (err) => err.code === "INVALID_ARGUMENT");
    assert.throws(() => formatCheckpoint({ ...cp, hash: null }), (err) => err.code === "INVALID_ARGUMENT");
  });
});

// ---------------------------------------------------------------- signed notes

describe("signed notes (C2SP signed-note, Ed25519)", () => {
  // golang.org/x/mod/sumdb/note's test keys and signatures (note_test.go: TestSign, TestOpen).
  const peterSigner = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  const peterKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  const enochKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
  const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const peterSig = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
  const enochSig = "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
  // The C2SP signed-note spec's own example (its key is not published: it can only be ignored as unknown).
  const quasimodo =
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u00e8 subito sera.\n\n" +
    "\u2014 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

  test("signing Go's example text with Go's key gives Go's signed note, byte for byte", async () => {
    assert.equal(await signNote(text, peterSigner), `${text}\n${peterSig}`);
    assert.equal(await signNote(`${text}\n${peterSig}`, peterSigner), `${text}\n${peterSig}`, "signing again replaces this key's line");
    assert.equal(await signNote(`${text}\n${enochSig}`, peterSigner), `${text}\n${enochSig}${peterSig}`, "cosigning keeps the others' lines");
  });

  test("Go's signed notes verify; k of n counts distinct trusted keys; unknown keys are ignored", async () => {
    const both = `${text}\n${peterSig}${enochSig}`;
    assert.deepEqual(await verifyNote(both, [peterKey]), { text, signers: ["PeterNeumann"] });
    assert.deepEqual(await verifyNote(both, [enochKey, peterKey], { threshold: 2 }), { text, signers: ["EnochRoot", "PeterNeumann"] });
    assert.deepEqual(await verifyNote(`${text}\n${peterSig}${peterSig}`, [peterKey, peterKey]), { text, signers: ["PeterNeumann"] });
    const few = await rejects(verifyNote(`${text}\n${peterSig}${peterSig}`, [peterKey, enochKey], { threshold: 2 }), "SIGNATURE_INVALID", "too_few");
    assert.equal(few.details.verified, 1);
    await rejects(verifyNote(both, []), "INVALID_ARGUMENT", "threshold");
    await rejects(verifyNote(`${text}\n${enochSig}`, [peterKey]), "SIGNATURE_INVALID", "too_few");
    await rejects(verifyNote(quasimodo, [peterKey]), "SIGNATURE_INVALID", "too_few");
    // A key sharing the name (not the id) of a signature is not that signature's key.
    const { verifier: otherPeter } = await generateKey("PeterNeumann");
    await rejects(verifyNote(both, [otherPeter]), "SIGNATURE_INVALID", "too_few");
  });

  test("a changed byte of the text or of a trusted signature is bad_signature", async () => {
    const changed = `${text.replace("answer", "Answer")}\n${peterSig}`;
    await rejects(verifyNote(changed, [peterKey]), "SIGNATURE_INVALID", "bad_signature");
    const sig = `${peterSig.slice(0, 60)}ABCD${peterSig.slice(60)}`;
    await rejects(verifyNote(`${text}\n${sig}`, [peterKey]), "SIGNATURE_INVALID", "bad_signature");
    // ...also when another trusted key's signature is fine.
    await rejects(verifyNote(`${text}\n${enochSig}${sig}`, [peterKey, enochKey]), "SIGNATURE_INVALID", "bad_signature");
  });

  test("malformed notes (Go's list and more) are SIGNATURE_INVALID, reason malformed", async () => {
    for (const bad of [
      text,
      `${text}\n`,
      `${text}\n${peterSig.slice(0, -1)}`,
      `\u0001${text}\n${peterSig}`,
      `\ud800${text}\n${peterSig}`,
      `${text}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${text}\n${peterSig}Unexpected line.\n`,
      `${text}\n${peterSig.replace("\u2014", "-")}`,
      `${text}\n\u2014 PeterNeumann AAAA\n`,
      `${text}\n${peterSig.repeat(101)}`,
    ]) {
      await rejects(verifyNote(bad, [peterKey]), "SIGNATURE_INVALID", "malformed");
    }
  });

  test("keys: generated pairs work and are refused when changed; names and thresholds are checked", async () => {
    const { signer, verifier } = await generateKey("example.com/orders");
    assert.match(verifier, /^example\.com\/orders\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    assert.match(signer, new RegExp(`^PRIVATE\\+KEY\\+example\\.com/orders\\+${verifier.split("+")[1]}\\+[A-Za-z0-9+/]{44}$`));
    const signed = await signNote("a\n", signer);
    assert.deepEqual(await verifyNote(signed, [verifier]), { text: "a\n", signers: ["example.com/orders"] });
    for (const name of ["", "a+b", "a b", "a\tb", "a\u00a0b", 7]) await assert.rejects(generateKey(name), (e) => e.code === "INVALID_ARGUMENT");
    for (const key of [peterKey.replace("c74f20a3", "c74f20a4"), peterKey.slice(0, -1), peterKey.replace("+A", "+B"), `x${peterKey}`, peterSigner]) {
      await rejects(verifyNote(signed, [key]), "INVALID_ARGUMENT");
    }
    await rejects(signNote("a\n", peterSigner.replace("c74f20a3", "c74f20a4")), "INVALID_ARGUMENT");
    await rejects(signNote("a\n", peterKey), "INVALID_ARGUMENT");
    await rejects(signNote("no newline", signer), "SIGNATURE_INVALID", "malformed");
    for (const threshold of [0, -1, 1.5, "1"]) await rejects(verifyNote(signed, [verifier], { threshold }), "INVALID_ARGUMENT");
    await rejects(verifyNote(signed, [verifier, `example.com/orders+${verifier.split("+")[1]}+${peterKey.split("+")[2]}`]), "INVALID_ARGUMENT");
  });

  test("a checkpoint signed by the log and cosigned by a witness: 2 of 2, and the text parses back", async () => {
    const t = tree(9);
    const log = await generateKey("example.com/log");
    const witness = await generateKey("witness.example/w1");
    const note = await signNote(await signNote(formatCheckpoint(t.checkpoint(9)), log.signer), witness.signer);
    const verdict = await verifyNote(note, [log.verifier, witness.verifier], { threshold: 2 });
    assert.deepEqual(verdict.signers, ["example.com/log", "witness.example/w1"]);
    assert.deepEqual(parseCheckpoint(verdict.text), t.checkpoint(9));
    assert.throws(() => parseCheckpoint(note), (e) => e.code === "INVALID_ARGUMENT");
    await rejects(verifyNote(note.replace("\n9\n", "\n8\n"), [log.verifier]), "SIGNATURE_INVALID", "bad_signature");
  });
});

test("none of it starts the engine: no WebAssembly is compiled after the import until runtimeInfo() starts it", async () => {
  const t = tree(6);
  const material = { entry: { seq: 4, hash: t.hashes[4] }, inc: inclusion(t, 4, 6), con: consistency(t, 2, 6), old: t.checkpoint(2), cp: t.checkpoint(6) };
  const r = await runScript(`
    let compiled = 0;
    for (const name of ["compile", "instantiate", "compileStreaming", "instantiateStreaming"]) {
      const original = WebAssembly[name];
      WebAssembly[name] = (...args) => { compiled++; return original.apply(WebAssembly, args); };
    }
    const N = await import("@onoal/nucleus");
    // Importing Pyodide's JS module compiles a tiny feature probe; the engine is what counts from here on.
    const imported = compiled;
    const m = ${JSON.stringify(material)};
    await N.verifyInclusion(m.entry, m.inc, m.cp);
    await N.verifyConsistency(m.old, m.cp, m.con);
    const keys = await N.generateKey("example.com/log");
    await N.verifyNote(await N.signNote(N.formatCheckpoint(m.cp), keys.signer), [keys.verifier]);
    const before = compiled - imported;
    await N.runtimeInfo();
    console.log(JSON.stringify({ before, after: compiled - imported }));
  `);
  assert.equal(r.code, 0, r.stderr);
  const { before, after } = JSON.parse(r.stdout.trim().split("\n").pop());
  assert.equal(before, 0, "verifying compiled WebAssembly: the engine started");
  assert.ok(after > 0, "the probe saw no WebAssembly when the engine did start: it proves nothing");
});

// ---------------------------------------------------------------- the ledger's methods

describe("ledger methods: arguments are checked before anything reaches the engine", () => {
  test("inclusionProof and consistencyProof refuse non-counts with INVALID_ARGUMENT", async () => {
    const ledger = await N.createLedger({ id: "args" });
    try {
      for (const bad of [-1, 1.5, "3", NaN, Infinity, 2 ** 53, null, {}]) {
        await rejects(ledger.inclusionProof(bad), "INVALID_ARGUMENT");
        await rejects(ledger.inclusionProof(0, bad), "INVALID_ARGUMENT");
        await rejects(ledger.consistencyProof(bad), "INVALID_ARGUMENT");
        await rejects(ledger.consistencyProof(1, bad), "INVALID_ARGUMENT");
      }
      await rejects(ledger.verify({ checkpoint: { size: 0, hash: null, witness: "x" } }), "INVALID_ARGUMENT");
    } finally {
      await ledger.close();
    }
  });
});

describe("ledger proofs (needs the engine's inclusionProof/consistencyProof operations)", () => {
  const SIZE = 37;
  async function filled(id = "proofs") {
    const ledger = await N.createLedger({ id });
    const records = Array.from({ length: SIZE }, (_, i) => ({ id: `r-${i}`, stream: "s", timestamp: 1_700_000_000_000 + i, payload: { i } }));
    const hashes = await ledger.appendBatch(records);
    return { ledger, hashes, leaves: hashes.map(leafOf) };
  }

  test("checkpoint() has origin and root; the root is the reference tree's, at every size", async () => {
    const { ledger, hashes, leaves } = await filled();
    try {
      assert.deepEqual(await ledger.checkpoint(), { origin: "nucleus/proofs", size: SIZE, root: b64(mth(leaves)), hash: hashes[SIZE - 1] });
      const empty = await N.createLedger({ id: "empty" });
      assert.deepEqual(await empty.checkpoint(), { origin: "nucleus/empty", size: 0, root: b64(mth([])), hash: null });
      await empty.close();
    } finally {
      await ledger.close();
    }
  });

  test("every inclusion and consistency proof equals the reference's and verifies", async () => {
    const { ledger, hashes, leaves } = await filled();
    try {
      const now = await ledger.checkpoint();
      for (let size = 1; size <= SIZE; size++) {
        const cp = { origin: "nucleus/proofs", size, root: b64(mth(leaves.slice(0, size))), hash: hashes[size - 1] };
        for (const seq of [0, size >> 1, size - 1]) {
          const proof = await ledger.inclusionProof(seq, size);
          assert.deepEqual(proof, { kind: "inclusion", index: seq, size, path: auditPath(seq, leaves.slice(0, size)).map(b64) });
          assert.equal(await verifyInclusion({ seq, hash: hashes[seq] }, proof, cp), true);
        }
        const con = await ledger.consistencyProof(size);
        assert.deepEqual(con, { kind: "consistency", from: size, to: SIZE, path: subproof(size, leaves, true).map(b64) });
        assert.equal(await verifyConsistency(cp, now, con), true);
      }
      const entry = await ledger.getEntry(hashes[5]);
      assert.equal(await verifyInclusion(entry, await ledger.inclusionProof(5), now), true, "a whole entry from getEntry is accepted");
    } finally {
      await ledger.close();
    }
  });

  test("out-of-range seq and sizes are INVALID_ARGUMENT naming the range", async () => {
    const { ledger } = await filled();
    try {
      for (const [seq, size] of [[SIZE, undefined], [3, 3], [0, SIZE + 1]]) {
        const err = await rejects(ledger.inclusionProof(seq, size), "INVALID_ARGUMENT");
        assert.match(err.message, /\d/);
      }
      for (const [from, to] of [[0, undefined], [5, 4], [1, SIZE + 1], [SIZE + 1, undefined]]) await rejects(ledger.consistencyProof(from, to), "INVALID_ARGUMENT");
      assert.deepEqual(await ledger.consistencyProof(SIZE), { kind: "consistency", from: SIZE, to: SIZE, path: [] });
    } finally {
      await ledger.close();
    }
  });

  test("verify({checkpoint}) and open-from-checkpoint take the new checkpoint, its text and a signed one's body", async () => {
    const dir = tempDir();
    const path = join(dir, "cp.db");
    const { hashes } = await (async () => {
      const ledger = await N.createLedger({ id: "cp", storage: N.sqliteStorage(path) });
      const hashes = await ledger.appendBatch(Array.from({ length: 5 }, (_, i) => ({ id: `r-${i}`, stream: "s", payload: { i } })));
      await ledger.close();
      return { hashes };
    })();
    const ledger = await N.createLedger({ id: "cp", storage: N.sqliteStorage(path) });
    const cp = await ledger.checkpoint();
    await ledger.verify({ checkpoint: cp });
    await ledger.verify({ checkpoint: N.formatCheckpoint(cp) });
    await ledger.verify({ checkpoint: { size: cp.size, hash: cp.hash } });
    // An undefined member is refused as everywhere in the package (JSON cannot hold it): omit the key instead.
    await rejects(ledger.verify({ checkpoint: { ...cp, origin: undefined } }), "INVALID_ARGUMENT");
    // The engine takes the whole checkpoint or the legacy {size, hash}, nothing in between (docs/FORMAT.md §4b).
    const { origin: _omitted, ...withoutOrigin } = cp;
    await rejects(ledger.verify({ checkpoint: withoutOrigin }), "INVALID_ARGUMENT");
    const keys = await generateKey("example.com/log");
    const { text } = await verifyNote(await signNote(N.formatCheckpoint(cp), keys.signer), [keys.verifier]);
    await ledger.verify({ checkpoint: text });
    await rejects(ledger.verify({ checkpoint: { ...cp, root: b64(sha(Buffer.from("forged"))) } }), "CHAIN_INVALID");
    assert.equal(cp.hash, hashes[4]);
    await ledger.close();
    const reopened = await N.createLedger({ id: "cp", storage: N.sqliteStorage(path), checkpoint: N.formatCheckpoint(cp), verify: "fromCheckpoint" });
    await reopened.close();
  });
});
