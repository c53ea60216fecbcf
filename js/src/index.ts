// The package's entry point; it only re-exports. Its doc comment opens docs/API.md.

/**
 * `@onoal/nucleus`: an embeddable, tamper-evident, append-only ledger. Open one with {@link createLedger}
 * (or {@link ledgerBuilder}); what it resolves to is a {@link Ledger}.
 *
 * @example
 * import { createLedger, sqliteStorage } from "@onoal/nucleus";
 * const ledger = await createLedger({ id: "orders", storage: sqliteStorage("./data/orders.db") });
 */

export { createLedger } from "./create-ledger.js";
export { LedgerBuilder, ledgerBuilder } from "./builder.js";
export { autoStorage, inMemoryStorage, postgresStorage, sqliteStorage, type PostgresStorageOptions, type SqliteStorageOptions } from "./storage.js";
export { assetModule, proofModule } from "./modules.js";
export { createContext, isValidContext, requireContext, validateContext } from "./context.js";
export {
  AccessDeniedError,
  ArgumentError,
  ChainIntegrityError,
  ConfigError,
  ContextError,
  ContextValidationError,
  ERROR_CODES,
  LedgerClosedError,
  LedgerFullError,
  LedgerLockedError,
  LedgerMismatchError,
  MissingContextError,
  ModuleRejectedError,
  NucleusError,
  ProofInvalidError,
  SignatureInvalidError,
  StorageError,
  StorageUnsupportedError,
  ValidationError,
  type ChainBreakKind,
  type ErrorCode,
} from "./errors.js";
export type { JsonObject, JsonPrimitive, JsonValue } from "./json.js";
export type * from "./types/index.js";
// Proofs and signed checkpoints (issue 10): standalone, they start no engine.
export { formatCheckpoint, parseCheckpoint } from "./proofs/checkpoint.js";
export { verifyConsistency, verifyInclusion } from "./proofs/verify.js";
export { generateKey, signNote, verifyNote } from "./proofs/note.js";
export { runtimeInfo, type RuntimeInfo } from "./runtime-info.js";
export { VERSION as version } from "./version.js";
