/**
 * Standalone proof verification: a third party checks that an entry is in a ledger, or that a ledger extends an
 * older one, from the proof and the checkpoints alone. No ledger, no storage, no engine: importing and calling
 * these starts nothing (no Pyodide), in Node.js and in browsers.
 */

import { ArgumentError } from "../errors.js";
import { describe, isPlainObject } from "../json.js";
import type { ConsistencyProof, InclusionProof } from "../types/proof.js";
import type { CheckpointInput } from "../types/record.js";
import { checkCount, checkKeys } from "../validate.js";
import { base64ToBytes, hexToBytes } from "./bytes.js";
import { readCheckpoint } from "./checkpoint.js";
import { leafHash, proofInvalid, verifyConsistencyPath, verifyInclusionPath } from "./merkle.js";

const HASH = /^[0-9a-f]{64}$/;

function bad(argument: string, message: string): ArgumentError {
  return new ArgumentError(`${argument}: ${message}`, { argument });
}

/** The proof's fields checked: kind, the two numbers and the path decoded. */
function readProof(value: unknown, kind: "inclusion" | "consistency", numbers: readonly [string, string]): { a: number; b: number; path: Uint8Array[] } {
  if (!isPlainObject(value)) throw bad("proof", `an ${kind} proof is an object {kind, ${numbers.join(", ")}, path}, got ${describe(value)}`);
  checkKeys(value, ["kind", ...numbers, "path"], "proof field", ArgumentError, { argument: "proof" });
  if (value["kind"] !== kind) throw bad("proof", `kind must be "${kind}", got ${describe(value["kind"])}`);
  const a = checkCount(`proof.${numbers[0]}`, value[numbers[0]]);
  const b = checkCount(`proof.${numbers[1]}`, value[numbers[1]]);
  const path = value["path"];
  if (!Array.isArray(path)) throw bad("proof", `path must be an array of base64 hashes, got ${describe(path)}`);
  return {
    a,
    b,
    path: path.map((h: unknown, i) => {
      const bytes = typeof h === "string" ? base64ToBytes(h) : undefined;
      if (bytes?.length !== 32) throw bad("proof", `path[${i}] must be a 32-byte hash in base64 with padding, got ${describe(h)}`);
      return bytes;
    }),
  };
}

function rootOf(checkpoint: CheckpointInput, argument: string): { size: number; root: Uint8Array } {
  const cp = readCheckpoint(checkpoint, argument);
  if (cp.root === undefined) {
    throw bad(argument, "this checkpoint has no Merkle root (a legacy {size, hash}): take a new one with ledger.checkpoint() to check proofs against");
  }
  return { size: cp.size, root: cp.root };
}

/**
 * Checks that `entry` is in the ledger as of `checkpoint`, by `proof` (RFC 9162 §2.1.3.2). Needs no ledger and
 * starts no engine.
 *
 * @param entry - the entry (at least its `seq` and `hash`, as {@link Ledger.getEntry} gives it)
 * @param proof - from {@link Ledger.inclusionProof}: `{kind: "inclusion", index, size, path}`
 * @param checkpoint - the checkpoint with a `root` (object or text) the proof is for; its `origin` is not checked
 * @returns `true` when the proof holds
 * @throws {ProofInvalidError} `details.reason`, the first that applies (docs/FORMAT.md §9): `index_mismatch`
 *   (the proof is for another seq), `size_mismatch` (proof and checkpoint sizes differ), `bad_sizes` (index not
 *   below size), `path_length` or `root_mismatch`
 * @throws {ArgumentError} an argument is malformed, or the checkpoint has no root
 * @example
 * // What a page received with its receipt: the entry, its proof and the ledger's (signed) checkpoint.
 * const entry = { seq: 1, hash: "896a195d6ebb267bc8fde8b624d04508cd3bd0d076c4cfeb5f0c489f6aafb5fa" };
 * const checkpoint = { origin: "nucleus/receipts", size: 2, root: "LSHm/3Nqrz/D+FOmjg2n9DHwxm0CKFzfqoKx4UI5g18=", hash: entry.hash };
 * await verifyInclusion(entry, { kind: "inclusion", index: 1, size: 2, path: ["MIqq+tOszct/WkUIa8iagpa/ps36mhNX6i3ehUEtpuE="] }, checkpoint);
 */
export async function verifyInclusion(entry: { seq: number; hash: string }, proof: InclusionProof, checkpoint: CheckpointInput): Promise<true> {
  if (!isPlainObject(entry)) throw bad("entry", `an entry is an object with seq and hash, got ${describe(entry)}`);
  const seq = checkCount("entry.seq", entry["seq"]);
  const hash = entry["hash"];
  if (typeof hash !== "string" || !HASH.test(hash)) throw bad("entry", `hash must be 64 lowercase hex digits, got ${describe(hash)}`);
  const { a: index, b: size, path } = readProof(proof, "inclusion", ["index", "size"]);
  const cp = rootOf(checkpoint, "checkpoint");
  // The order of docs/FORMAT.md §9, the Python verifier's: the same inputs give the same reason everywhere.
  if (index !== seq) throw proofInvalid("index_mismatch", `the proof is for seq ${index}, the entry has seq ${seq}`, { index, seq });
  if (size !== cp.size) throw proofInvalid("size_mismatch", `the proof is for size ${size}, the checkpoint has size ${cp.size}`, { proofSize: size, checkpointSize: cp.size });
  await verifyInclusionPath(await leafHash(hexToBytes(hash)), index, size, path, cp.root);
  return true;
}

/**
 * Checks that the ledger of `newCheckpoint` extends the ledger of `oldCheckpoint` without changing it, by
 * `proof` (RFC 9162 §2.1.4.2). Needs no ledger and starts no engine.
 *
 * @param oldCheckpoint - the checkpoint kept earlier (with a `root`; object or text)
 * @param newCheckpoint - the current checkpoint (with a `root`)
 * @param proof - from {@link Ledger.consistencyProof}: `{kind: "consistency", from, to, path}`
 * @returns `true` when the proof holds
 * @throws {ProofInvalidError} `details.reason`, the first that applies (docs/FORMAT.md §9): `size_mismatch`
 *   (the proof is for other sizes), `bad_sizes` (not 0 < `from` <= `to`: from 0 proves nothing), `path_length` or
 *   `root_mismatch` (`details.which`: `"old"` or `"new"`)
 * @throws {ArgumentError} an argument is malformed, or a checkpoint has no root
 * @example
 * // Yesterday's checkpoint (size 1) and today's (size 2): today's ledger extends yesterday's, unchanged.
 * const before = { origin: "nucleus/receipts", size: 1, root: "MIqq+tOszct/WkUIa8iagpa/ps36mhNX6i3ehUEtpuE=", hash: "4826510bbb5b73e1fb5ee300efd773808952cec52619b3b549bf63a54e61834f" };
 * const now = { origin: "nucleus/receipts", size: 2, root: "LSHm/3Nqrz/D+FOmjg2n9DHwxm0CKFzfqoKx4UI5g18=", hash: "896a195d6ebb267bc8fde8b624d04508cd3bd0d076c4cfeb5f0c489f6aafb5fa" };
 * await verifyConsistency(before, now, { kind: "consistency", from: 1, to: 2, path: ["oznM1XG7g4S0rrVaFeFkNVAEEnMSwQkS8WGL5yYzoXo="] });
 */
export async function verifyConsistency(oldCheckpoint: CheckpointInput, newCheckpoint: CheckpointInput, proof: ConsistencyProof): Promise<true> {
  const { a: from, b: to, path } = readProof(proof, "consistency", ["from", "to"]);
  const older = rootOf(oldCheckpoint, "oldCheckpoint");
  const newer = rootOf(newCheckpoint, "newCheckpoint");
  if (from !== older.size || to !== newer.size) {
    throw proofInvalid("size_mismatch", `the proof is from size ${from} to ${to}, the checkpoints have sizes ${older.size} and ${newer.size}`, {
      from,
      to,
      oldSize: older.size,
      newSize: newer.size,
    });
  }
  await verifyConsistencyPath(from, to, older.root, newer.root, path);
  return true;
}
