/**
 * Request-context helpers: `createContext`, `validateContext`, `requireContext`, `isValidContext`.
 *
 * The engine checks contexts itself on every call that takes one; these helpers let an application
 * check early, with the engine's own rules (generated from it into generated/engine-rules.ts):
 * `requesterOid` matches the engine's OID pattern and the timestamp lies at most 5 minutes ahead.
 */

import { ArgumentError, ContextValidationError, MissingContextError } from "./errors.js";
import { MAX_FUTURE_SKEW_MS, OID_PATTERN } from "./generated/engine-rules.js";
import { describe, isPlainObject } from "./json.js";
import type { RequestContext } from "./types/context.js";
import { checkKeys, KNOWN_KEYS } from "./validate.js";

/**
 * Builds a request context stamped with the current time.
 *
 * @param requesterOid - who makes the request, e.g. `"oid:onoal:human:alice"`
 * @param options - a fixed `timestamp` (ms) and/or `metadata`
 * @throws {ArgumentError} `INVALID_ARGUMENT` when `options` is not an object or has another key
 * @example
 * const ledger = await createLedger({ id: "orders", acl: "inMemory", owner: "oid:onoal:human:alice" });
 * await ledger.append({ id: "o-1", stream: "orders", payload: { total: 42 } }, createContext("oid:onoal:human:alice"));
 */
export function createContext(
  requesterOid: string,
  options: { timestamp?: number; metadata?: Record<string, unknown> } = {},
): RequestContext {
  if (!isPlainObject(options)) {
    throw new ArgumentError(`createContext options must be an object like { timestamp: 1700000000000 }, got ${describe(options)}`);
  }
  checkKeys(options, KNOWN_KEYS.createContext, "createContext option", ArgumentError, { argument: "createContext options" });
  const ctx: RequestContext = { requesterOid, timestamp: options.timestamp ?? Date.now() };
  if (options.metadata !== undefined) ctx.metadata = options.metadata;
  return ctx;
}

/**
 * Checks a context and throws when it is invalid.
 *
 * @throws {ContextValidationError} `INVALID_CONTEXT`: not an object, an unknown field, a malformed
 *   `requesterOid`, a timestamp that is not an integer or lies more than 5 minutes in the future,
 *   non-object metadata
 */
export function validateContext(ctx: RequestContext): void {
  if (!isPlainObject(ctx)) {
    throw new ContextValidationError(`context must be an object like { requesterOid: "oid:onoal:human:alice" }, got ${describe(ctx)}`);
  }
  checkKeys(ctx, KNOWN_KEYS.context, "context field", ContextValidationError);
  const oid: unknown = ctx.requesterOid;
  if (typeof oid !== "string" || oid.trim() === "") {
    throw new ContextValidationError(`requesterOid is required (a string like "oid:onoal:human:alice"), got ${describe(oid)}`);
  }
  if (!OID_PATTERN.test(oid)) {
    throw new ContextValidationError(
      `requesterOid must look like "oid:onoal:{type}:{id}", matching ${OID_PATTERN.source} (docs/FORMAT.md §4a), got ${JSON.stringify(oid)}`,
    );
  }
  const ts: unknown = ctx.timestamp;
  if (ts !== undefined) {
    if (typeof ts !== "number" || !Number.isSafeInteger(ts)) {
      throw new ContextValidationError(`timestamp must be an integer (ms since the epoch), got ${describe(ts)}`);
    }
    if (ts > Date.now() + MAX_FUTURE_SKEW_MS) {
      throw new ContextValidationError(`timestamp ${ts} lies more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes in the future`);
    }
  }
  if (ctx.metadata !== undefined && !isPlainObject(ctx.metadata)) {
    throw new ContextValidationError(`metadata must be an object, got ${describe(ctx.metadata)}`);
  }
}

/**
 * Returns the context when it is present and valid; throws otherwise.
 *
 * @throws {MissingContextError} `INVALID_CONTEXT` when `ctx` is undefined or null
 * @throws {ContextValidationError} `INVALID_CONTEXT` when it is invalid
 */
export function requireContext(ctx: RequestContext | undefined | null): RequestContext {
  if (ctx === undefined || ctx === null) throw new MissingContextError();
  validateContext(ctx);
  return ctx;
}

/** Whether `ctx` is present and valid. Never throws. */
export function isValidContext(ctx: RequestContext | undefined | null): boolean {
  try {
    requireContext(ctx);
    return true;
  } catch {
    return false;
  }
}
