/**
 * Checkpoints as text and as JSON, read strictly in Node.js and browsers without the engine: the C2SP
 * tlog-checkpoint body a ledger's checkpoint is signed as, and the legacy forms kept before checkpoints had
 * Merkle roots (docs/FORMAT.md §4b).
 */

import { ArgumentError } from "../errors.js";
import { describe, isPlainObject } from "../json.js";
import type { Checkpoint, KeptCheckpoint } from "../types/record.js";
import { checkKeys } from "../validate.js";
import { base64ToBytes } from "./bytes.js";

const ORIGIN = /^nucleus\/[A-Za-z0-9][A-Za-z0-9._~:@-]{0,127}$/;
const HASH = /^[0-9a-f]{64}$/;
const SIZE = /^(?:0|[1-9][0-9]*)$/;
const LEGACY_HEADER = "nucleus checkpoint v1";
const KEYS = ["origin", "size", "root", "hash"];

/** A checkpoint read by {@link readCheckpoint}: each field checked, the root decoded. */
export interface ReadCheckpoint {
  origin?: string;
  size: number;
  root?: Uint8Array;
  rootText?: string;
  hash: string | null;
}

function bad(argument: string, message: string): ArgumentError {
  return new ArgumentError(`${argument}: ${message}`, { argument });
}

/**
 * Parses a checkpoint's text: the C2SP tlog-checkpoint body (origin line, size, base64 root, then
 * `chain <hash of entry size - 1>` when size > 0, each line ending in a newline, nothing else), or the legacy
 * `nucleus checkpoint v1\n<size>\n<hash>\n`, which has no origin and no root. Strict: any other text, a signed
 * note included (check it with {@link verifyNote}, which gives back the body), is `INVALID_ARGUMENT`.
 *
 * @param text - the checkpoint text
 * @returns the checkpoint (a legacy text gives `{size, hash}`)
 * @throws {ArgumentError} the text is not exactly one of the two forms
 * @example
 * const cp = parseCheckpoint("nucleus/orders\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
 * console.log(cp.size, cp.root);
 */
export function parseCheckpoint(text: string): KeptCheckpoint {
  const read = readCheckpoint(text, "checkpoint");
  return read.origin === undefined ? { size: read.size, hash: read.hash } : { origin: read.origin, size: read.size, root: read.rootText as string, hash: read.hash };
}

/**
 * The text form of a checkpoint: a C2SP tlog-checkpoint note body, ready for {@link signNote}.
 *
 * @param checkpoint - a checkpoint with `origin` and `root` (as {@link Ledger.checkpoint} returns it)
 * @returns `"<origin>\n<size>\n<root>\n"`, plus `"chain <hash>\n"` when size > 0
 * @throws {ArgumentError} a field is missing or malformed (a legacy `{size, hash}` has no text form of this kind)
 * @example
 * const text = formatCheckpoint({ origin: "nucleus/orders", size: 0, root: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", hash: null });
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  if (typeof checkpoint === "string") throw bad("checkpoint", "formatCheckpoint takes a checkpoint object; it is already text");
  const cp = readCheckpoint(checkpoint, "checkpoint");
  if (cp.origin === undefined || cp.rootText === undefined) {
    throw bad("checkpoint", "a checkpoint's text form needs origin, size, root and hash; a legacy {size, hash} has none");
  }
  return `${cp.origin}\n${cp.size}\n${cp.rootText}\n${cp.hash === null ? "" : `chain ${cp.hash}\n`}`;
}

/**
 * Reads a checkpoint given as JSON or text (`argument` names it in errors). An object has exactly the members
 * `origin, size, root, hash`, or the legacy `size, hash` (docs/FORMAT.md §4b), as the Python engine takes it.
 * Not public.
 */
export function readCheckpoint(value: unknown, argument: string): ReadCheckpoint {
  if (typeof value === "string") return readText(value, argument);
  if (!isPlainObject(value)) throw bad(argument, `a checkpoint is an object {origin, size, root, hash} or its text, got ${describe(value)}`);
  checkKeys(value, KEYS, "checkpoint field", ArgumentError, { argument });
  const keys = Object.keys(value);
  if (!keys.includes("hash") || !keys.includes("size") || (keys.length !== 2 && keys.length !== 4)) {
    throw bad(argument, `a checkpoint has exactly the members origin, size, root and hash (or the legacy size and hash), got ${keys.join(", ") || "none"}`);
  }
  const { origin, size, root, hash } = value;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw bad(argument, `size must be a non-negative integer, got ${describe(size)}`);
  if (hash === null ? size !== 0 : typeof hash !== "string" || !HASH.test(hash) || size === 0) {
    throw bad(argument, `hash must be 64 lowercase hex digits (null for size 0), got ${describe(hash)}`);
  }
  const out: ReadCheckpoint = { size, hash: hash as string | null };
  if (keys.length === 2) return out;
  if (typeof origin !== "string" || !ORIGIN.test(origin)) throw bad(argument, `origin must be "nucleus/<ledger id>", got ${describe(origin)}`);
  const bytes = typeof root === "string" ? base64ToBytes(root) : undefined;
  if (bytes?.length !== 32) throw bad(argument, `root must be 32 bytes in base64 with padding (44 characters), got ${describe(root)}`);
  out.origin = origin;
  out.root = bytes;
  out.rootText = root as string;
  return out;
}

function readText(text: string, argument: string): ReadCheckpoint {
  const lines = text.split("\n");
  const last = lines.pop();
  if (last !== "") throw bad(argument, "checkpoint text must end in a newline");
  if (lines[0] === LEGACY_HEADER) {
    const [, size, hash] = lines;
    if (lines.length !== 3 || size === undefined || !SIZE.test(size) || hash === undefined) {
      throw bad(argument, "legacy checkpoint text must be 'nucleus checkpoint v1\\n<size>\\n<hash>\\n'");
    }
    return readCheckpoint({ size: Number(size), hash: hash === "" ? null : hash }, argument);
  }
  const [origin, size, root, chain] = lines;
  if (lines.includes("")) {
    throw bad(argument, "checkpoint text has an empty line: a signed note? Check it with verifyNote(), which gives back the checkpoint text");
  }
  if (origin === undefined || size === undefined || root === undefined || !SIZE.test(size) || lines.length > 4) {
    throw bad(argument, "checkpoint text must be '<origin>\\n<size>\\n<root>\\n' then 'chain <hash>\\n' when size > 0");
  }
  const n = Number(size);
  if ((n > 0) !== (chain !== undefined) || (chain !== undefined && !chain.startsWith("chain "))) {
    throw bad(argument, `checkpoint text of size ${n} must ${n > 0 ? "end with the line 'chain <hash of the last entry>'" : "have no chain line"}`);
  }
  return readCheckpoint({ origin, size: n, root, hash: chain === undefined ? null : chain.slice("chain ".length) }, argument);
}
