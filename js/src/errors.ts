/**
 * The one error hierarchy of `@onoal/nucleus`.
 *
 * Every failure is a {@link NucleusError} with a stable string `code` and JSON-safe `details`. Each code
 * has its own subclass, so both `err.code === "LEDGER_LOCKED"` and `err instanceof LedgerLockedError`
 * work. The codes are the engine's (`nucleus.ERROR_CODES`), generated into generated/engine-rules.ts.
 */

import { ERROR_CODES } from "./generated/engine-rules.js";
import type { JsonObject } from "./json.js";

export { ERROR_CODES };

/** A stable error code: what went wrong, independent of the message text. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base of every error thrown by `@onoal/nucleus`. Holds no reference to any Python object. */
export class NucleusError extends Error {
  /** Stable code; branch on this, not on the message. */
  readonly code: ErrorCode;
  /** JSON-safe facts about the failure (for `CHAIN_INVALID`: `seq`, `kind`, `message`). */
  readonly details: Readonly<JsonObject>;

  /**
   * @param code - one of {@link ERROR_CODES}
   * @param message - what was wrong and what to do about it
   * @param details - JSON-safe facts (optional)
   */
  constructor(code: ErrorCode, message: string, details: JsonObject = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

/** `INVALID_RECORD`: a record is malformed or holds a value JSON/RFC 8785 cannot represent. */
export class ValidationError extends NucleusError {
  /** @param message - what is wrong with the record @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("INVALID_RECORD", message, details);
  }
}

/** `INVALID_CONFIG`: ledger, storage or module configuration is wrong. */
export class ConfigError extends NucleusError {
  /** @param message - which option is wrong and why @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("INVALID_CONFIG", message, details);
  }
}

/** `INVALID_ARGUMENT`: an argument of an API call (query filter, hash, export text) is wrong. */
export class ArgumentError extends NucleusError {
  /** @param message - which argument is wrong and why @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("INVALID_ARGUMENT", message, details);
  }
}

/** `INVALID_CONTEXT`: a request context is missing or malformed. Base of the two context errors. */
export class ContextError extends NucleusError {
  /** @param message - what is wrong with the context @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("INVALID_CONTEXT", message, details);
  }
}

/** `INVALID_CONTEXT`: a context was given but is invalid (bad OID, timestamp in the future). */
export class ContextValidationError extends ContextError {
  /** @param message - what is wrong; prefixed with "Context validation failed: " */
  constructor(message: string, details?: JsonObject) {
    super(`Context validation failed: ${message}`, details);
  }
}

/** `INVALID_CONTEXT`: an operation needs a context (access control is on) and none was given. */
export class MissingContextError extends ContextError {
  /** @param message - optional override of the default explanation */
  constructor(message = "Request context is required. Provide a context with requesterOid, e.g. createContext(\"oid:onoal:human:alice\").") {
    super(message);
  }
}

/** `ACCESS_DENIED`: access control refused the operation. */
export class AccessDeniedError extends NucleusError {
  /** @param message - who was refused what @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("ACCESS_DENIED", message, details);
  }
}

/** `MODULE_REJECTED`: a module's before-append hook refused a record. */
export class ModuleRejectedError extends NucleusError {
  /** @param message - which module refused and why @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("MODULE_REJECTED", message, details);
  }
}

/** What broke in a chain: for each entry, `sequence` to `acl` in the order verification checks them, then
 * `checkpoint` after the walk (docs/FORMAT.md §4); `tree` (a stored Merkle tree node wrong, missing or extra, at the
 * first seq it covers, §9); `format` (a file's meta table, checked before the walk) and
 * `size` (an export header announcing another number of entries, checked after it, §6). */
export type ChainBreakKind = "sequence" | "link" | "hash" | "record" | "derived" | "timestamp" | "acl" | "checkpoint" | "format" | "size" | "tree";

/** `CHAIN_INVALID`: the hash chain does not verify. `seq` is the first bad entry, `kind` what broke. */
export class ChainIntegrityError extends NucleusError {
  /** Sequence number of the first bad entry. */
  readonly seq: number;
  /** What broke at `seq`. */
  readonly kind: ChainBreakKind;

  /** @param message - the verifier's report @param details - must hold `seq` and `kind` */
  constructor(message: string, details: JsonObject = {}) {
    super("CHAIN_INVALID", message, details);
    this.seq = typeof details["seq"] === "number" ? details["seq"] : -1;
    this.kind = (typeof details["kind"] === "string" ? details["kind"] : "hash") as ChainBreakKind;
  }

  /** `{seq, kind, message}`: where the chain first breaks and how. */
  get report(): { seq: number; kind: ChainBreakKind; message: string } {
    return { seq: this.seq, kind: this.kind, message: this.message };
  }
}

/** `STORAGE_ERROR`: the storage backend failed (I/O, full or read-only disk, not a ledger file). */
export class StorageError extends NucleusError {
  /** @param message - what failed and where @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("STORAGE_ERROR", message, details);
  }
}

/**
 * `STORAGE_UNSUPPORTED`: this storage is not available on this platform (SQLite in a browser) or not yet
 * (PostgreSQL), or this build of the package does not run here (the Node.js build outside Node.js).
 */
export class StorageUnsupportedError extends NucleusError {
  /** @param message - what is unsupported and the alternative @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("STORAGE_UNSUPPORTED", message, details);
  }
}

/** `LEDGER_LOCKED`: another process (or another ledger in this process) holds the file's lock. */
export class LedgerLockedError extends NucleusError {
  /** @param message - names the holder @param details - `{path, pid, hostname}` */
  constructor(message: string, details?: JsonObject) {
    super("LEDGER_LOCKED", message, details);
  }
}

/** `LEDGER_CLOSED`: the ledger was closed; open it again with `createLedger`. */
export class LedgerClosedError extends NucleusError {
  /** @param message - which call came after close() @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("LEDGER_CLOSED", message, details);
  }
}

/** `LEDGER_MISMATCH`: the database or export belongs to another ledger, or to a newer format. */
export class LedgerMismatchError extends NucleusError {
  /** @param message - what does not match @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("LEDGER_MISMATCH", message, details);
  }
}

/** `LEDGER_FULL`: the ledger reached its configured `maxEntries`. */
export class LedgerFullError extends NucleusError {
  /** @param message - the limit that was reached @param details - JSON-safe facts */
  constructor(message: string, details?: JsonObject) {
    super("LEDGER_FULL", message, details);
  }
}

/** `PROOF_INVALID`: a Merkle inclusion or consistency proof, or a checkpoint, does not verify. */
export class ProofInvalidError extends NucleusError {
  /** @param message - which check failed @param details - JSON-safe facts (`reason`) */
  constructor(message: string, details?: JsonObject) {
    super("PROOF_INVALID", message, details);
  }
}

/** `SIGNATURE_INVALID`: a signed note is malformed or lacks enough valid signatures from trusted keys. */
export class SignatureInvalidError extends NucleusError {
  /** @param message - what is missing or wrong @param details - JSON-safe facts (`reason`) */
  constructor(message: string, details?: JsonObject) {
    super("SIGNATURE_INVALID", message, details);
  }
}
