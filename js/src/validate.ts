/**
 * Shape checks at the edge, before anything crosses into the engine: friendly messages for wrong types,
 * and a guarantee that what is sent is exactly what the caller gave (see json.ts). The engine stays the
 * authority on everything else (RFC 8785 ranges, id and stream lengths, module rules); the few of its
 * rules checked here too (record members, the size limit) come from it, through generated/engine-rules.ts.
 * Not public.
 */

import { ArgumentError, ContextError, type NucleusError, ValidationError } from "./errors.js";
import { MAX_RECORD_BYTES, RECORD_FIELDS } from "./generated/engine-rules.js";
import { describe, findJsonProblem, jsonSizeAtLeast, isPlainObject, type JsonObject } from "./json.js";
import { unknownKey } from "./suggest.js";

const RECORD_SHAPE = "{ id: string, stream: string, timestamp?: number, payload: object | array, meta?: object }";

/**
 * The keys each options object of the public API accepts: one table, so that every function refuses a
 * misspelt key the same way ({@link checkKeys}). The engine checks values; these only check names.
 */
export const KNOWN_KEYS = {
  context: ["requesterOid", "timestamp", "metadata"],
  createContext: ["timestamp", "metadata"],
  verify: ["checkpoint"],
  checkpoint: ["origin", "size", "root", "hash"],
  query: ["stream", "id", "timestampFrom", "timestampTo", "moduleFilters", "offset", "limit", "order"],
  grant: ["subjectOid", "resourceOid", "action", "grantedBy", "grantedAt", "expiresAt", "metadata"],
  aclCheck: ["requesterOid", "subjectOid", "resourceOid", "action"],
  aclRevoke: ["subjectOid", "resourceOid", "action"],
} as const satisfies Record<string, readonly string[]>;

/** A {@link NucleusError} subclass that takes `(message, details)`. */
export type ErrorClass = new (message: string, details?: JsonObject) => NucleusError;

/**
 * Throws `new error(message, {...details, key})` for the first key of `value` outside `known`, naming
 * it and, when one is close, the key that was meant.
 */
export function checkKeys(value: object, known: readonly string[], what: string, error: ErrorClass, details: JsonObject = {}): void {
  const bad = unknownKey(value, known, what);
  if (bad) throw new error(bad.message, { ...details, key: bad.key });
}

/**
 * Checks one record; returns a shallow copy as JSON (a top-level `timestamp` or `meta` that is undefined or
 * null is left out): the copy is what is checked and sent. `index` is its place in a
 * batch, for messages (`records[3].id must be ...`); the message text is only built when a check fails.
 */
export function checkRecord(record: unknown, index?: number): JsonObject {
  const where = (): string => (index === undefined ? "record" : `records[${index}]`);
  if (!isPlainObject(record)) {
    throw new ValidationError(`${where()} must be an object ${RECORD_SHAPE}, got ${describe(record)}`);
  }
  const bad = unknownKey(record, RECORD_FIELDS, "record field");
  if (bad) {
    throw new ValidationError(index === undefined ? bad.message : `records[${index}]: ${bad.message}`, withIndex({ fields: [bad.key] }, index));
  }
  const { id, stream, timestamp: ts, payload, meta } = record;
  if (typeof id !== "string" || id === "") throw fieldError(where(), "id", id);
  if (typeof stream !== "string" || stream === "") throw fieldError(where(), "stream", stream);
  if (ts !== undefined && ts !== null && (typeof ts !== "number" || !Number.isSafeInteger(ts))) {
    throw new ValidationError(
      `${where()}.timestamp must be an integer number of ms since the epoch (or left out to use the current time), got ${describe(ts)}`,
      { field: "timestamp" },
    );
  }
  if (!isPlainObject(payload) && !Array.isArray(payload)) {
    throw new ValidationError(`${where()}.payload must be a JSON object or array, got ${describe(payload)}`, { field: "payload" });
  }
  if (meta !== undefined && meta !== null && !isPlainObject(meta)) {
    throw new ValidationError(`${where()}.meta must be a JSON object when given, got ${describe(meta)}`, { field: "meta" });
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = record[key];
    // "meta": null means no meta and "timestamp": null no timestamp (docs/FORMAT.md §1), as in the engine.
    if ((key === "meta" || key === "timestamp") && (value === undefined || value === null)) continue;
    out[key] = value;
  }
  // One walk answers both "is it plain JSON?" and "is it certainly too big?", stopping once past the
  // limit: a 400 MiB payload is refused here in microseconds, before it is serialized or copied.
  const size = jsonSizeAtLeast(out, MAX_RECORD_BYTES);
  if (size > MAX_RECORD_BYTES) {
    const message = `record is more than ${MAX_RECORD_BYTES} bytes in canonical form; the limit is ${MAX_RECORD_BYTES}`;
    throw new ValidationError(index === undefined ? message : `records[${index}]: ${message}`, withIndex({ limit: MAX_RECORD_BYTES }, index));
  }
  if (size < 0) {
    const problem = findJsonProblem(out, where());
    if (problem) throw new ValidationError(`${problem.path} ${problem.problem}`, { path: problem.path });
  }
  return out as JsonObject;
}

/** `details` plus the record's place in a batch, as the engine reports it. */
function withIndex(details: JsonObject, index: number | undefined): JsonObject {
  return index === undefined ? details : { ...details, index };
}

function fieldError(where: string, key: "id" | "stream", value: unknown): ValidationError {
  return new ValidationError(`${where}.${key} must be a non-empty string, got ${describe(value)}`, { field: key });
}

/** Checks a batch: an array of records. */
export function checkRecords(records: unknown): JsonObject[] {
  if (!Array.isArray(records)) {
    throw new ValidationError(`appendBatch takes an array of records ${RECORD_SHAPE}[], got ${describe(records)}`);
  }
  const out = new Array<JsonObject>(records.length);
  for (let i = 0; i < records.length; i++) out[i] = checkRecord(records[i], i);
  return out;
}

/** Checks an optional context's shape; the engine checks its content. */
export function checkContext(context: unknown): JsonObject | undefined {
  if (context === undefined || context === null) return undefined;
  if (!isPlainObject(context)) {
    throw new ContextError(`context must be an object like { requesterOid: "oid:onoal:human:alice" }, got ${describe(context)}`);
  }
  checkKeys(context, KNOWN_KEYS.context, "context field", ContextError);
  const problem = findJsonProblem(dropUndefined(context), "context");
  if (problem) throw new ContextError(`${problem.path} ${problem.problem}`);
  return dropUndefined(context) as JsonObject;
}

/** Checks a string argument such as a hash or an id. */
export function checkString(name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new ArgumentError(`${name} must be a string, got ${describe(value)}`, { argument: name });
  }
  return value;
}

/** Checks a count or index argument (a seq, a size): a non-negative safe integer. */
export function checkCount(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ArgumentError(`${name} must be a non-negative integer, got ${describe(value)}`, { argument: name });
  }
  return value;
}

/**
 * Checks an object argument (filters, options, grants): a plain object whose keys are all in `known`
 * (`INVALID_ARGUMENT` naming the first other one) and whose values are JSON. Top-level undefined values
 * are dropped. An absent optional argument is `{}`.
 */
export function checkObject(name: string, value: unknown, known: readonly string[], what: string, optional = true): JsonObject {
  if (value === undefined && optional) return {};
  if (!isPlainObject(value)) {
    throw new ArgumentError(`${name} must be an object, got ${describe(value)}`, { argument: name });
  }
  checkKeys(value, known, what, ArgumentError, { argument: name });
  const clean = dropUndefined(value);
  const problem = findJsonProblem(clean, name);
  if (problem) throw new ArgumentError(`${problem.path} ${problem.problem}`, { argument: name });
  return clean as JsonObject;
}

/**
 * Checks the options of `verify` / `verifyStorage`, including a checkpoint given as `{origin, size, root, hash}` or
 * a legacy `{size, hash}` (its text form is a string and is left to the engine).
 */
export function checkVerifyOptions(method: "verify" | "verifyStorage", options: unknown): JsonObject {
  const checked = checkObject(`${method} options`, options, KNOWN_KEYS.verify, `${method} option`);
  checkCheckpoint(checked["checkpoint"]);
  return checked;
}

/** Refuses a checkpoint object with a key other than `origin`, `size`, `root`, `hash` (`INVALID_ARGUMENT`); the engine checks the rest. */
export function checkCheckpoint(checkpoint: unknown): void {
  if (isPlainObject(checkpoint)) checkKeys(checkpoint, KNOWN_KEYS.checkpoint, "checkpoint field", ArgumentError, { argument: "checkpoint" });
}

/** A shallow copy without keys whose value is undefined (optional fields left unset). */
function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out;
}
