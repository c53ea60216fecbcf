/**
 * The {@link Ledger} interface: what `createLedger` resolves to. Each method (`modules.*` and `acl.*` included) is
 * the engine operation of the same name (docs/BRIDGE.md); tests_py/test_operations.py keeps the two lists equal.
 */

import type { CheckParams, Grant, RevokeParams } from "./acl.js";
import type { ModuleMetadata, ModuleState } from "./module.js";
import type { ConsistencyProof, InclusionProof } from "./proof.js";
import type {
  Checkpoint,
  CheckpointInput,
  ImportResult,
  LedgerEntry,
  LedgerRecord,
  NewRecord,
  QueryFilters,
  QueryResult,
} from "./record.js";
import type { RequestContext } from "./context.js";

/** Options of {@link Ledger.verify} and {@link Ledger.verifyStorage}. */
export interface VerifyOptions {
  /**
   * Also check that the chain extends this checkpoint (a kept {@link Checkpoint}, a legacy `{size, hash}`, or
   * either's text); its root, when it has one, must be the ledger's root at that size.
   */
  checkpoint?: CheckpointInput;
}

/** The loaded modules of a ledger. */
export interface LedgerModules {
  /** Ids of the loaded modules. */
  list(): Promise<string[]>;
  /** `{id, version, state}` of each loaded module. */
  metadata(): Promise<ModuleMetadata[]>;
  /** The lifecycle state of a module, or `null` when no such module is loaded. */
  getState(id: string): Promise<ModuleState | null>;
}

/** Access control of a ledger. Grants and revocations are entries of the ledger's own chain (stream `nucleus.acl`). */
export interface LedgerAcl {
  /**
   * Appends a grant to the chain. With access control on, `context.requesterOid` must be the owner or hold a
   * live `admin` grant, and be the grant's `grantedBy`. Resolves to the stored grant.
   */
  grant(grant: Grant, context?: RequestContext): Promise<Grant>;
  /** Whether the subject may do the action on the resource now. */
  check(params: CheckParams): Promise<boolean>;
  /** Removes a grant; resolves to whether one was removed. */
  revoke(params: RevokeParams, context?: RequestContext): Promise<boolean>;
  /** The grants held by a subject. */
  listGrants(subjectOid: string): Promise<Grant[]>;
}

/** A tamper-evident, append-only ledger. Close it when done (or use `await using`). */
export interface Ledger extends AsyncDisposable {
  /** The ledger id. */
  readonly id: string;
  /** Loaded modules. */
  readonly modules: LedgerModules;
  /** Access control. */
  readonly acl: LedgerAcl;
  /**
   * Whether the ledger was opened read-only (`sqliteStorage(path, { readOnly: true })`): reads, `verify`
   * and `export` work; every write rejects with `STORAGE_ERROR`, `details.reason` `"read_only_open"`.
   */
  readonly readOnly: boolean;
  /**
   * What this ledger cannot promise, in words, as the engine reports it when it opens the storage; empty
   * unless read-only. A read-only ledger says, for example, that another process may append meanwhile (reads
   * serve the entries verified at open), and that if that process checkpoints the file's write-ahead log,
   * later reads reject with `STORAGE_ERROR`, `details.reason` `"changed"` (open it again to read on). Fixed
   * when the ledger opens.
   */
  readonly caveats: readonly string[];

  /** Appends one record; resolves to its entry hash (lowercase hex). `context` is needed only with ACL on. */
  append(record: NewRecord, context?: RequestContext): Promise<string>;
  /** Appends records atomically: all or none. Resolves to their entry hashes, in order. */
  appendBatch(records: NewRecord[], context?: RequestContext): Promise<string[]>;
  /** The record of the entry with this hash, or `null`. */
  get(hash: string): Promise<LedgerRecord | null>;
  /** The latest record with this id, or `null`. */
  getById(id: string): Promise<LedgerRecord | null>;
  /** The entry (seq, hash, prevHash, record) with this hash, or `null`. */
  getEntry(hash: string): Promise<LedgerEntry | null>;
  /** Records matching the filters, oldest first unless `order: "desc"`. */
  query(filters?: QueryFilters): Promise<QueryResult>;
  /** Verifies the chain; rejects with a `ChainIntegrityError` naming the first bad seq. */
  verify(options?: VerifyOptions): Promise<void>;
  /** Number of entries. */
  length(): Promise<number>;
  /** Whether the ledger has no entries. */
  isEmpty(): Promise<boolean>;
  /** Hash of the last entry, or `null` when empty. */
  latestHash(): Promise<string | null>;
  /** Whether entries persist (SQLite); `false` in memory. */
  hasStorage(): Promise<boolean>;
  /** Re-reads the storage and verifies it from scratch; `false` when there is no storage. */
  verifyStorage(options?: VerifyOptions): Promise<boolean>;
  /**
   * The current `{origin, size, root, hash}`, to keep elsewhere (or sign: {@link formatCheckpoint},
   * {@link signNote}) and check later with `verify({checkpoint})`, {@link verifyInclusion} and
   * {@link verifyConsistency}.
   */
  checkpoint(): Promise<Checkpoint>;
  /**
   * That entry `seq` is in the ledger as of size `size` (default: the current length): an RFC 9162 inclusion proof
   * for {@link verifyInclusion}, against the checkpoint of that size. `seq` must be below `size`, and `size` at
   * most the length (else `INVALID_ARGUMENT`).
   */
  inclusionProof(seq: number, size?: number): Promise<InclusionProof>;
  /**
   * That the ledger of `newSize` entries (default: the current length) extends the ledger of `oldSize` entries:
   * an RFC 9162 consistency proof for {@link verifyConsistency}. Needs 1 <= `oldSize` <= `newSize` <= the length
   * (else `INVALID_ARGUMENT`).
   */
  consistencyProof(oldSize: number, newSize?: number): Promise<ConsistencyProof>;
  /** The whole ledger as JSON Lines text (docs/FORMAT.md, Export). */
  export(): Promise<string>;
  /**
   * The same export in parts of whole lines (the header line first, each part ending with "\n"), each read from the
   * engine when the loop asks for it, so that a large ledger is written out without ever holding its export whole.
   * The parts joined equal {@link export} at the length when the first part was read; entries appended while the
   * loop runs are not in it. `LEDGER_CLOSED` when the ledger closes before the loop ends. docs/SCALING.md shows it
   * writing a file.
   */
  exportStream(): AsyncIterableIterator<string>;
  /**
   * Adds the entries of an export that this ledger lacks. The export must verify whole and extend this
   * ledger's chain; nothing is written otherwise. With ACL on, `context` must be the owner's or hold a `write` or `admin` grant.
   */
  importEntries(data: string, context?: RequestContext): Promise<ImportResult>;
  /**
   * Operation counters (`appends`, `batches`, `queries`, `verifications`, `verifiedEntries`: the entries walked by
   * opening and by `verify`) and `entries`; needs `options.enableMetrics` (else `INVALID_CONFIG`).
   */
  metrics(): Promise<Record<string, number>>;
  /** Closes the ledger and releases its file lock. Further calls reject with `LEDGER_CLOSED`. Idempotent. */
  close(): Promise<void>;
  /** Whether {@link close} was called. */
  readonly closed: boolean;
}
