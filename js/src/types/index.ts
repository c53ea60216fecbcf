/** All public types. */

export type { AclConfig, CheckParams, Grant, RevokeParams } from "./acl.js";
export type {
  BackendConfig,
  Durability,
  OpenVerification,
  LedgerConfig,
  LedgerOptions,
  MemoryStorageConfig,
  PostgresStorageConfig,
  SqliteStorageConfig,
  StorageConfig,
  WasmBackendConfig,
} from "./config.js";
export type { RequestContext } from "./context.js";
export type { Ledger, LedgerAcl, LedgerModules, VerifyOptions } from "./ledger.js";
export type {
  AssetModuleConfig,
  ModuleConfig,
  ModuleMetadata,
  ModuleState,
  ProofModuleConfig,
} from "./module.js";
export type { ConsistencyProof, InclusionProof, NoteKeyPair, NoteVerdict, VerifyNoteOptions } from "./proof.js";
export type {
  Checkpoint,
  CheckpointInput,
  ImportResult,
  KeptCheckpoint,
  LedgerEntry,
  LedgerRecord,
  NewRecord,
  QueryFilters,
  QueryResult,
  RecordMetadata,
  RecordPayload,
} from "./record.js";
