/**
 * Turns a `{code, message, details}` triple (as the engine's bridge sends it) into the matching
 * {@link NucleusError} subclass. Not public.
 */

import {
  AccessDeniedError,
  ArgumentError,
  ChainIntegrityError,
  ConfigError,
  ContextError,
  ERROR_CODES,
  LedgerClosedError,
  LedgerFullError,
  LedgerLockedError,
  LedgerMismatchError,
  ModuleRejectedError,
  NucleusError,
  ProofInvalidError,
  SignatureInvalidError,
  StorageError,
  StorageUnsupportedError,
  ValidationError,
  type ErrorCode,
} from "./errors.js";
import type { JsonObject } from "./json.js";

type ErrorClass = new (message: string, details?: JsonObject) => NucleusError;

/** One class per code; the table is checked for completeness at compile time. */
const CLASSES: { readonly [C in ErrorCode]: ErrorClass } = {
  INVALID_RECORD: ValidationError,
  INVALID_CONFIG: ConfigError,
  INVALID_CONTEXT: ContextError,
  INVALID_ARGUMENT: ArgumentError,
  ACCESS_DENIED: AccessDeniedError,
  MODULE_REJECTED: ModuleRejectedError,
  CHAIN_INVALID: ChainIntegrityError,
  STORAGE_ERROR: StorageError,
  STORAGE_UNSUPPORTED: StorageUnsupportedError,
  LEDGER_LOCKED: LedgerLockedError,
  LEDGER_CLOSED: LedgerClosedError,
  LEDGER_MISMATCH: LedgerMismatchError,
  LEDGER_FULL: LedgerFullError,
  PROOF_INVALID: ProofInvalidError,
  SIGNATURE_INVALID: SignatureInvalidError,
};

/** Whether `code` is one of the stable codes this package knows. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * The error for a code. An unknown code (an engine newer than this package) becomes a plain
 * `STORAGE_ERROR` that keeps the original code in `details.engineCode`, so nothing is lost.
 */
export function errorFromCode(code: unknown, message: string, details: JsonObject = {}): NucleusError {
  if (isErrorCode(code)) return new CLASSES[code](message, details);
  return new StorageError(message, { ...details, engineCode: String(code) });
}
