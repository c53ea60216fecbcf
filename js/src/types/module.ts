/** Module configuration and lifecycle types. */

/**
 * A module to load into a ledger, as `proofModule()` and `assetModule()` make it. From TypeScript only the
 * built-in ids `"proof"` and `"asset"` exist (custom modules are Python classes, docs/ENGINE.md); another id
 * is refused with `INVALID_CONFIG`.
 */
export interface ModuleConfig {
  /** Module id: `"proof"` or `"asset"`. */
  id: string;
  /** Module version, reported by `modules.metadata()`. */
  version: string;
  /** The module's configuration: a {@link ProofModuleConfig} or an {@link AssetModuleConfig}. */
  config: Record<string, unknown>;
}

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
