/** Module configuration and lifecycle types. */

/** A module to load into a ledger: built-in ids are `"proof"` and `"asset"`. */
export interface ModuleConfig {
  /** Module id. */
  id: string;
  /** Module version. */
  version: string;
  /** Module-specific configuration (e.g. `{ stream: "proofs" }`). */
  config: Record<string, unknown>;
}

/** Builds a {@link ModuleConfig}. */
export type ModuleFactory = (config?: Record<string, unknown>) => ModuleConfig;

/**
 * Configuration of the built-in `asset` module (records in its stream need `owner_oid`). Other keys are
 * refused with `INVALID_CONFIG`.
 */
export interface AssetModuleConfig {
  /** The stream the module watches; `"assets"` when absent. */
  stream?: string;
  /** Payload fields each record in the stream must carry as non-empty strings; `["owner_oid"]` when absent. */
  requiredFields?: string[];
}

/**
 * Configuration of the built-in `proof` module (records in its stream need `subject_oid` and
 * `issuer_oid`). Other keys are refused with `INVALID_CONFIG`.
 */
export interface ProofModuleConfig {
  /** The stream the module watches; `"proofs"` when absent. */
  stream?: string;
  /** Payload fields each record in the stream must carry as non-empty strings; `["subject_oid", "issuer_oid"]` when absent. */
  requiredFields?: string[];
}

/** Lifecycle state of a loaded module. */
export type ModuleState = "Registered" | "Initialized" | "Started" | "Stopped";

/** What `modules.metadata()` reports per module. */
export interface ModuleMetadata {
  /** Module id. */
  id: string;
  /** Module version. */
  version: string;
  /** Current lifecycle state. */
  state: ModuleState;
}
