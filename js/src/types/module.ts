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

/** Configuration of the built-in `asset` module (records in its stream need `owner_oid`). */
export interface AssetModuleConfig {
  /** The stream the module watches; `"assets"` when absent. */
  stream?: string;
  /** Asset name. */
  name?: string;
  /** Schema definition. */
  schema?: Record<string, unknown>;
  /** Payload fields to index by. */
  indexBy?: string[];
  /** Further module-specific settings. */
  [key: string]: unknown;
}

/** Configuration of the built-in `proof` module (records in its stream need `subject_oid` and `issuer_oid`). */
export interface ProofModuleConfig {
  /** The stream the module watches; `"proofs"` when absent. */
  stream?: string;
  /** Proof strategies. */
  strategies?: string[];
  /** Further module-specific settings. */
  [key: string]: unknown;
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
