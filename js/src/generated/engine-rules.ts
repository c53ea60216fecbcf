/**
 * The engine's rules that this package checks before a call reaches the engine, so that a mistake fails at
 * once with the engine's own verdict. Generated from the Python engine (py/nucleus) by
 * js/scripts/lib/engine_rules.py during `npm run build`: do not edit. tests_py/test_engine_rules.py fails
 * when this file is not what the generator writes. Not public (errors.ts re-exports `ERROR_CODES`).
 */

/**
 * Every stable error code, in the engine's order (`nucleus.ERROR_CODES`). The runtime also compares this
 * list with the loaded engine's and refuses to start when they differ.
 */
export const ERROR_CODES = [
  "INVALID_RECORD",
  "INVALID_CONFIG",
  "INVALID_CONTEXT",
  "INVALID_ARGUMENT",
  "ACCESS_DENIED",
  "MODULE_REJECTED",
  "CHAIN_INVALID",
  "STORAGE_ERROR",
  "STORAGE_UNSUPPORTED",
  "LEDGER_LOCKED",
  "LEDGER_CLOSED",
  "LEDGER_MISMATCH",
  "LEDGER_FULL",
  "PROOF_INVALID",
  "SIGNATURE_INVALID",
] as const;

/**
 * A requester's OID as the engine accepts it: `oid:onoal:<type>:<id>` (`nucleus._context.OID_PATTERN`,
 * docs/FORMAT.md §4a), matched whole.
 */
export const OID_PATTERN: RegExp = /^(?:oid:onoal:[a-z][a-z0-9_-]{0,63}:[A-Za-z0-9][A-Za-z0-9._~:@-]{0,190})$/;

/** How far a context's timestamp may lie in the future, in ms (`nucleus._context.MAX_FUTURE_SKEW_MS`). */
export const MAX_FUTURE_SKEW_MS = 300000;

/** The members a record may have (`nucleus._records.RECORD_FIELDS`, docs/FORMAT.md §1). */
export const RECORD_FIELDS: readonly string[] = ["id", "stream", "timestamp", "payload", "meta"];

/** The limit on a record's canonical form, in bytes (`nucleus.MAX_RECORD_BYTES`, docs/FORMAT.md §1). */
export const MAX_RECORD_BYTES = 1048576;

/**
 * The deepest nesting of JSON the engine parses (`nucleus._json.MAX_PARSE_DEPTH`): deeper text would
 * overflow Pyodide's stack (docs/ARCHITECTURE.md, "What Pyodide changes").
 */
export const MAX_PARSE_DEPTH = 256;
