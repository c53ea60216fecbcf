/**
 * JSON value types, and the check that a JS value survives `JSON.stringify` unchanged.
 *
 * `JSON.stringify` silently turns `NaN` into `null`, drops `undefined` keys, calls `toJSON` on dates
 * and turns a `Map` into `{}`. A ledger must never store something other than what it was given, so
 * values are checked here, before they cross into the engine, and refused with the path of the bad value.
 */

import { MAX_PARSE_DEPTH } from "./generated/engine-rules.js";

/** A JSON primitive. */
export type JsonPrimitive = string | number | boolean | null;
/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
/** A JSON object. */
export interface JsonObject {
  /** Any member name; any JSON value. */
  [key: string]: JsonValue;
}

/** Why a value is not plain JSON, with its path (e.g. `payload.items[2].price`). */
export interface JsonProblem {
  path: string;
  problem: string;
}

/**
 * Deepest nesting sent to the engine: the bound its own parser applies, since deeper JSON would overflow
 * Pyodide's stack, which kills the runtime (docs/ARCHITECTURE.md, "What Pyodide changes").
 */
const MAX_DEPTH = MAX_PARSE_DEPTH;

/** Describes a value's type for messages: `number 42`, `string "abc"`, `undefined`, `Date`. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}${typeof value === "bigint" ? "n" : ""}`;
    case "object": {
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return "an object";
      const name = (value as { constructor?: { name?: string } }).constructor?.name;
      return name ? `a ${name}` : "a non-plain object";
    }
    default:
      return typeof value;
  }
}

/** Whether `value` is a plain object (`{...}` or `Object.create(null)`), not an array, Date, Map... */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The first reason `value` would not round-trip through JSON unchanged, or `null` when it would.
 * Range checks that RFC 8785 needs (safe integers, lone surrogates) stay with the engine.
 *
 * Two walks: {@link isJsonValue} answers yes/no without building paths (the common, valid case: about
 * twice as fast on a 10,000-record batch); only when it says no does the walk that names the path run.
 */
export function findJsonProblem(value: unknown, path: string): JsonProblem | null {
  if (isJsonValue(value)) return null;
  return walk(value, path, new Set<object>(), 0);
}

/**
 * Whether `value` round-trips through JSON unchanged: `findJsonProblem(value, path) === null`, without
 * building paths. It keeps no set of the objects on the current path: a circular value nests forever,
 * so it fails the depth limit here, and {@link findJsonProblem} then names it as circular.
 */
export function isJsonValue(value: unknown): boolean {
  return jsonSizeAtLeast(value, Number.POSITIVE_INFINITY) >= 0;
}

/**
 * A lower bound of the bytes `value` takes in canonical JSON (RFC 8785), or -1 when it is not plain JSON
 * (the same test as {@link isJsonValue}, in the same single walk). The walk stops as soon as the bound
 * passes `limit`, so a value far too large costs no more than one that just fits: the result is then
 * some number above `limit`, not the whole bound.
 *
 * Each UTF-16 unit of a string or key is at least one byte of UTF-8 (escapes and non-ASCII only add), so
 * lengths are read and no string is encoded or copied.
 */
export function jsonSizeAtLeast(value: unknown, limit: number): number {
  const walker = { size: 0, limit };
  return sizeWalk(value, 0, walker) ? walker.size : -1;
}

/** Adds `value`'s bound to `w.size`; false when it is not plain JSON. Stops (true) once past `w.limit`. */
function sizeWalk(value: unknown, depth: number, w: { size: number; limit: number }): boolean {
  switch (typeof value) {
    case "string":
      w.size += value.length + 2;
      return true;
    case "boolean":
      w.size += value ? 4 : 5;
      return true;
    case "number":
      w.size += 1;
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) {
    w.size += 4;
    return true;
  }
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    w.size += value.length + 1; // brackets and commas
    for (let i = 0; i < value.length && w.size <= w.limit; i++) {
      if (!(i in value) || !sizeWalk(value[i], depth + 1, w)) return false;
    }
    return true;
  }
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  w.size += keys.length + 1; // braces and commas
  for (let i = 0; i < keys.length && w.size <= w.limit; i++) {
    const key = keys[i] as string;
    w.size += key.length + 3; // quotes and colon
    if (!sizeWalk(value[key], depth + 1, w)) return false;
  }
  return true;
}

function walk(value: unknown, path: string, seen: Set<object>, depth: number): JsonProblem | null {
  switch (typeof value) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : { path, problem: `is ${String(value)}; JSON has no NaN or Infinity` };
    case "undefined":
      return { path, problem: "is undefined; JSON cannot hold it (omit the key or use null)" };
    case "object":
      break;
    default:
      return { path, problem: `is ${describe(value)}; only JSON values (objects, arrays, strings, finite numbers, booleans, null) are allowed` };
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return { path, problem: `is nested more than ${MAX_DEPTH} levels deep` };
  if (seen.has(value)) return { path, problem: "is a circular reference" };
  if (Array.isArray(value)) {
    seen.add(value);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return { path: `${path}[${i}]`, problem: "is a hole in a sparse array" };
      const p = walk(value[i], `${path}[${i}]`, seen, depth + 1);
      if (p) return p;
    }
    seen.delete(value);
    return null;
  }
  if (!isPlainObject(value)) {
    return { path, problem: `is ${describe(value)}; only plain objects are allowed (convert it first, e.g. a Date to date.getTime())` };
  }
  seen.add(value);
  for (const key of Object.keys(value)) {
    const p = walk(value[key], `${path}.${key}`, seen, depth + 1);
    if (p) return p;
  }
  seen.delete(value);
  return null;
}
