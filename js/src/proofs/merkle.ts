/**
 * RFC 9162 Merkle tree hashing (§2.1.1) and proof verification (§2.1.3.2 inclusion, §2.1.4.2 consistency) over
 * raw hashes. Needs no ledger and no engine. Failures are `PROOF_INVALID` with `details.reason`; the callers
 * (verify.ts) check the shape of their arguments first. Not public.
 */

import { ArgumentError, ProofInvalidError } from "../errors.js";
import { sha256 } from "../runtime/crypto.js";
import { concatBytes, equalBytes } from "./bytes.js";

/** Why a proof does not verify (`details.reason` of `PROOF_INVALID`). */
export type ProofFailure = "size_mismatch" | "index_mismatch" | "root_mismatch" | "path_length" | "bad_sizes";

/** `PROOF_INVALID` with `details.reason` and any further facts. */
export function proofInvalid(reason: ProofFailure, message: string, details: Record<string, string | number> = {}): ProofInvalidError {
  return new ProofInvalidError(message, { reason, ...details });
}

/** RFC 9162 leaf hash: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(Uint8Array.of(0), data));
}

/** RFC 9162 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(Uint8Array.of(1), left, right));
}

// Sizes go up to 2^53 - 1, past the 32 bits that JavaScript's shift operators keep: halve by division.
const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && !odd(n)) n = half(n);
  return n === 1;
}

function pathLength(expected: string): ProofInvalidError {
  return proofInvalid("path_length", `the proof's path has the wrong number of hashes for ${expected}`);
}

/**
 * Checks that `path` proves leaf `leaf` at `index` in the tree of `size` leaves whose root is `root` (RFC 9162
 * §2.1.3.2). Resolves when it does; rejects with `PROOF_INVALID` (`bad_sizes`, `path_length`, `root_mismatch`).
 */
export async function verifyInclusionPath(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[], root: Uint8Array): Promise<void> {
  if (leaf.length !== 32) throw new ArgumentError(`a leaf hash is 32 bytes, got ${leaf.length}`, { argument: "leaf" });
  if (index >= size) throw proofInvalid("bad_sizes", `leaf index ${index} is not in a tree of size ${size}`, { index, size });
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw pathLength(`leaf ${index} of a tree of size ${size}`);
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw pathLength(`leaf ${index} of a tree of size ${size}`);
  if (!equalBytes(r, root)) throw proofInvalid("root_mismatch", `the inclusion proof of leaf ${index} leads to another root than the checkpoint's`);
}

/**
 * Checks that `path` proves the tree of `size1` leaves with root `root1` a prefix of the tree of `size2` leaves
 * with root `root2` (RFC 9162 §2.1.4.2). Rejects with `PROOF_INVALID`: `bad_sizes` (not 0 < `size1` <= `size2`),
 * `path_length`, `root_mismatch`.
 */
export async function verifyConsistencyPath(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, path: readonly Uint8Array[]): Promise<void> {
  // From 0 is refused (every tree extends the empty one: nothing to prove) with the reason Python gives.
  if (size1 === 0) throw proofInvalid("bad_sizes", "a consistency proof from size 0 proves nothing: every tree extends the empty tree", { from: size1, to: size2 });
  if (size1 > size2) throw proofInvalid("bad_sizes", `a tree of size ${size1} cannot be a prefix of a tree of size ${size2}`, { from: size1, to: size2 });
  if (size1 === size2) {
    if (path.length !== 0) throw pathLength(`two trees of the same size (it must be empty)`);
    if (!equalBytes(root1, root2)) throw proofInvalid("root_mismatch", `two checkpoints of size ${size1} have different roots`, { which: "new" });
    return;
  }
  // RFC 9162 §2.1.4.2, step 1: a power-of-two old size is a complete subtree, left out of the proof.
  const c = isPowerOfTwo(size1) ? [root1, ...path] : path;
  const first = c[0];
  if (first === undefined) throw pathLength(`sizes ${size1} and ${size2}`);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = first;
  let sr = first;
  for (let i = 1; i < c.length; i++) {
    const x = c[i] as Uint8Array;
    if (sn === 0) throw pathLength(`sizes ${size1} and ${size2}`);
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(x, fr);
      sr = await nodeHash(x, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await nodeHash(sr, x);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw pathLength(`sizes ${size1} and ${size2}`);
  if (!equalBytes(fr, root1)) throw proofInvalid("root_mismatch", `the consistency proof leads to another root of size ${size1} than the old checkpoint's`, { which: "old" });
  if (!equalBytes(sr, root2)) throw proofInvalid("root_mismatch", `the consistency proof leads to another root of size ${size2} than the new checkpoint's`, { which: "new" });
}
