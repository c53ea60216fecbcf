/** Records, queries and entries: the data that goes in and comes out of a ledger. */

/** A record's payload: a JSON object or array (checked to be plain JSON before it is stored). */
export type RecordPayload = Record<string, unknown> | unknown[];

/** A record's optional metadata: a JSON object. */
export type RecordMetadata = Record<string, unknown>;

/** A record as stored in the ledger. Records come back as plain objects. */
export interface LedgerRecord {
  /** Non-empty record id. Ids may repeat unless the ledger requires unique ids; `getById` returns the latest. */
  id: string;
  /** Non-empty stream name (e.g. `"proofs"`, `"assets"`). */
  stream: string;
  /** Integer milliseconds since the epoch; non-decreasing along the chain. */
  timestamp: number;
  /** The record's content. */
  payload: RecordPayload;
  /** Optional metadata, hashed like the payload. */
  meta?: RecordMetadata;
}

/**
 * A record to append. Like {@link LedgerRecord}, but `timestamp` may be left out: the engine then
 * stamps the current time.
 */
export interface NewRecord {
  /** Non-empty record id. */
  id: string;
  /** Non-empty stream name. */
  stream: string;
  /** Integer milliseconds since the epoch; omit it (or give `null`) to let the engine stamp the current time. */
  timestamp?: number | null;
  /** The record's content: a JSON object or array. */
  payload: RecordPayload;
  /** Optional metadata; `null` is the same as leaving it out. */
  meta?: RecordMetadata | null;
}

/** One link of the chain: the record plus its position and hashes. */
export interface LedgerEntry {
  /** 0-based, gap-free sequence number. */
  seq: number;
  /** This entry's hash (SHA-256, lowercase hex). */
  hash: string;
  /** The previous entry's hash; `null` for the first entry. */
  prevHash: string | null;
  /** The record. */
  record: LedgerRecord;
}

/** Filters for {@link Ledger.query}. All given filters must match. */
export interface QueryFilters {
  /** Only records in this stream. */
  stream?: string;
  /** Only records with this id. */
  id?: string;
  /** Only records with `timestamp >= timestampFrom` (ms). */
  timestampFrom?: number;
  /** Only records with `timestamp <= timestampTo` (ms); works with or without `timestampFrom`. */
  timestampTo?: number;
  /**
   * Payload conditions, by the id of a loaded module: `{ proof: { subject_oid: "oid:onoal:human:alice" } }`.
   * A module filters by its required fields only; every condition must hold.
   */
  moduleFilters?: Record<string, Record<string, string | number | boolean>>;
  /** Skip this many matches. */
  offset?: number;
  /** Return at most this many matches. */
  limit?: number;
  /** Sequence order of the results: `"asc"` (oldest first, the default) or `"desc"`. */
  order?: "asc" | "desc";
}

/** Result of {@link Ledger.query}. */
export interface QueryResult {
  /** The matching records on this page. */
  records: LedgerRecord[];
  /** How many records match in all, ignoring offset and limit. */
  total: number;
  /** Whether more matches follow this page. */
  hasMore: boolean;
}

/**
 * A signed-off point of the chain, as {@link Ledger.checkpoint} returns it: its length, the hash of its last
 * entry and the RFC 9162 Merkle root of its entries. Its text form ({@link formatCheckpoint}) is a C2SP
 * tlog-checkpoint note body, which {@link signNote} signs.
 */
export interface Checkpoint {
  /** `"nucleus/<ledger id>"`: which log this is a checkpoint of. */
  origin: string;
  /** Number of entries covered. */
  size: number;
  /** Merkle root of the entries `0 .. size - 1` (RFC 9162 §2.1.1), base64 with padding. */
  root: string;
  /** Hash of entry `size - 1`; `null` when `size` is 0 (docs/FORMAT.md §4b). */
  hash: string | null;
}

/**
 * A checkpoint as kept and given back: a {@link Checkpoint}, or a legacy `{size, hash}` (kept before checkpoints
 * had roots; its root is then not checked). Where a checkpoint is taken, its text form is accepted too
 * ({@link CheckpointInput}).
 */
export interface KeptCheckpoint {
  /** `"nucleus/<ledger id>"`; absent in a legacy checkpoint. */
  origin?: string;
  /** Number of entries covered. */
  size: number;
  /** Merkle root, base64; absent in a legacy checkpoint. */
  root?: string;
  /** Hash of entry `size - 1`; `null` when `size` is 0. */
  hash: string | null;
}

/**
 * What every function that takes a checkpoint accepts: a {@link KeptCheckpoint}, or its text form (the C2SP
 * tlog-checkpoint body of {@link formatCheckpoint}, or the legacy `nucleus checkpoint v1` text).
 */
export type CheckpointInput = KeptCheckpoint | string;

/** Result of {@link Ledger.importEntries}. */
export interface ImportResult {
  /** Entries added by this import. */
  imported: number;
  /** The ledger's length afterwards. */
  length: number;
}
