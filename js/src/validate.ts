/**
 * Shape checks at the edge, before anything crosses into the engine: friendly messages for wrong types,
 * and a guarantee that what is sent is exactly what the caller gave (see json.ts). The engine stays the
 * authority on everything else (limits, RFC 8785 ranges, context rules, module rules). Not public.
 */

import { ArgumentError, ContextError, ValidationError } from "./errors.js";
import { describe, findJsonProblem, isJsonValue, isPlainObject, type JsonObject } from "./json.js";

const RECORD_SHAPE = "{ id: string, stream: string, timestamp?: number, payload: object | array, meta?: object }";

/**
 * Checks one record; returns a shallow copy as JSON (top-level `timestamp`/`meta` that are undefined are
 * left out): the copy is what is checked and sent. `index` is its place in a batch, for messages
 * (`records[3].id must be ...`); the message text is only built when a check fails.
 */
export function checkRecord(record: unknown, index?: number): JsonObject {
  const where = (): string => (index === undefined ? "record" : `records[${index}]`);
  if (!isPlainObject(record)) {
    throw new ValidationError(`${where()} must be an object ${RECORD_SHAPE}, got ${describe(record)}`);
  }
  const { id, stream, timestamp: ts, payload, meta } = record;
  if (typeof id !== "string" || id === "") throw fieldError(where(), "id", id);
  if (typeof stream !== "string" || stream === "") throw fieldError(where(), "stream", stream);
  if (ts !== undefined && (typeof ts !== "number" || !Number.isSafeInteger(ts))) {
    throw new ValidationError(
      `${where()}.timestamp must be an integer number of ms since the epoch (or left out to use the current time), got ${describe(ts)}`,
      { field: "timestamp" },
    );
  }
  if (!isPlainObject(payload) && !Array.isArray(payload)) {
    throw new ValidationError(`${where()}.payload must be a JSON object or array, got ${describe(payload)}`, { field: "payload" });
  }
  if (meta !== undefined && !isPlainObject(meta)) {
    throw new ValidationError(`${where()}.meta must be a JSON object when given, got ${describe(meta)}`, { field: "meta" });
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = record[key];
    if (value === undefined && (key === "timestamp" || key === "meta")) continue;
    out[key] = value;
  }
  if (!isJsonValue(out)) {
    const problem = findJsonProblem(out, where());
    if (problem) throw new ValidationError(`${problem.path} ${problem.problem}`, { path: problem.path });
  }
  return out as JsonObject;
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

/** Checks an optional object argument (filters, options, grants); top-level undefined keys are dropped. */
export function checkObject(name: string, value: unknown, optional = true): JsonObject {
  if (value === undefined && optional) return {};
  if (!isPlainObject(value)) {
    throw new ArgumentError(`${name} must be an object, got ${describe(value)}`, { argument: name });
  }
  const clean = dropUndefined(value);
  const problem = findJsonProblem(clean, name);
  if (problem) throw new ArgumentError(`${problem.path} ${problem.problem}`, { argument: name });
  return clean as JsonObject;
}

/** A shallow copy without keys whose value is undefined (optional fields left unset). */
function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out;
}
