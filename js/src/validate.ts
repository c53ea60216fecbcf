/**
 * Shape checks at the edge, before anything crosses into the engine: friendly messages for wrong types,
 * and a guarantee that what is sent is exactly what the caller gave (see json.ts). The engine stays the
 * authority on everything else (limits, RFC 8785 ranges, context rules, module rules). Not public.
 */

import { ArgumentError, ContextError, ValidationError } from "./errors.js";
import { describe, findJsonProblem, isPlainObject, type JsonObject } from "./json.js";

const RECORD_SHAPE = "{ id: string, stream: string, timestamp?: number, payload: object | array, meta?: object }";

/** Checks one record; returns it as JSON (top-level `timestamp`/`meta` that are undefined are left out). */
export function checkRecord(record: unknown, where = "record"): JsonObject {
  if (!isPlainObject(record)) {
    throw new ValidationError(`${where} must be an object ${RECORD_SHAPE}, got ${describe(record)}`);
  }
  for (const key of ["id", "stream"] as const) {
    const value = record[key];
    if (typeof value !== "string" || value === "") {
      throw new ValidationError(`${where}.${key} must be a non-empty string, got ${describe(value)}`, { field: key });
    }
  }
  const ts = record["timestamp"];
  if (ts !== undefined && (typeof ts !== "number" || !Number.isSafeInteger(ts))) {
    throw new ValidationError(
      `${where}.timestamp must be an integer number of ms since the epoch (or left out to use the current time), got ${describe(ts)}`,
      { field: "timestamp" },
    );
  }
  const payload = record["payload"];
  if (!isPlainObject(payload) && !Array.isArray(payload)) {
    throw new ValidationError(`${where}.payload must be a JSON object or array, got ${describe(payload)}`, { field: "payload" });
  }
  const meta = record["meta"];
  if (meta !== undefined && !isPlainObject(meta)) {
    throw new ValidationError(`${where}.meta must be a JSON object when given, got ${describe(meta)}`, { field: "meta" });
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined && (key === "timestamp" || key === "meta")) continue;
    out[key] = value;
  }
  const problem = findJsonProblem(out, where);
  if (problem) throw new ValidationError(`${problem.path} ${problem.problem}`, { path: problem.path });
  return out as JsonObject;
}

/** Checks a batch: an array of records. */
export function checkRecords(records: unknown): JsonObject[] {
  if (!Array.isArray(records)) {
    throw new ValidationError(`appendBatch takes an array of records ${RECORD_SHAPE}[], got ${describe(records)}`);
  }
  return records.map((r, i) => checkRecord(r, `records[${i}]`));
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
