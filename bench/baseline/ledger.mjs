/**
 * The plain-JavaScript baseline of bench/compare_node.mjs: the job of @onoal/nucleus's SQLite ledger written the
 * way a Node developer would write it by hand, with better-sqlite3 and node:crypto, producing the same bytes
 * (docs/FORMAT.md: the §5 file, the §3 entry hash, the §2 canonical form, the §4 verification walk).
 *
 * It is a yardstick, not a second implementation: bench/README.md lists what it leaves out (access-control
 * entries, modules, the lock's stale-holder takeover, the full record rules of §1). What it does, it does the way
 * the package must: a new file is durable before it is returned, every append is one transaction, opening
 * re-hashes every entry and checks links, canonical bytes, derived columns and timestamp order.
 */

import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where `node bench/compare_node.mjs --build-native --node PATH` puts a better-sqlite3 addon built for another
 * Node.js (its ABI), so one install serves both; the addon npm built is used otherwise. */
export const NATIVE_BINDING = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".native", `node-abi${process.versions.modules}`, "better_sqlite3.node");

/** A better-sqlite3 connection through the addon for this Node.js. */
export function sqlite(path, options = {}) {
  return new Database(path, existsSync(NATIVE_BINDING) ? { ...options, nativeBinding: NATIVE_BINDING } : options);
}

const APPLICATION_ID = 0x4e55434c; // "NUCL"
const SCHEMA_VERSION = 3;
const FORMAT_VERSION = "2";
const MAX_RECORD_BYTES = 1_048_576;
const RECORD_KEYS = new Set(["id", "stream", "timestamp", "payload", "meta"]);

// The schema a Nucleus schema-3 file ends with (py/nucleus/storage/_schema.py after its three migrations).
const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE entries (
    seq INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, prev_hash TEXT,
    record_id TEXT NOT NULL, stream TEXT NOT NULL, timestamp INTEGER NOT NULL, record TEXT NOT NULL
  );
  CREATE INDEX entries_by_record_id ON entries(record_id, seq);
  CREATE INDEX entries_by_stream ON entries(stream, seq);
  CREATE INDEX entries_by_timestamp ON entries(timestamp, seq);
  CREATE TABLE tree (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
`;

/** A verification or record failure, with the §4 `kind` and the entry's position. */
export class BaselineError extends Error {
  constructor(message, kind, seq = null) {
    super(message);
    this.kind = kind;
    this.seq = seq;
  }
}

/**
 * RFC 8785 canonical JSON of plain JSON data (what the `canonicalize` npm package does): members sorted by UTF-16
 * code units (JavaScript's default string order), numbers and strings as JSON.stringify writes them, which is
 * exactly RFC 8785's ECMAScript number form and escaping.
 */
export function canonicalize(value) {
  if (typeof value === "number" && !Number.isFinite(value)) throw new BaselineError(`not a JSON number: ${value}`, "record");
  if (value === null || typeof value !== "object") {
    if (typeof value === "undefined" || typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
      throw new BaselineError(`not JSON: ${typeof value}`, "record");
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i ? "," : "") + canonicalize(value[i]);
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) out += `${i ? "," : ""}${JSON.stringify(keys[i])}:${canonicalize(value[keys[i]])}`;
  return `${out}}`;
}

/** The record's own checks (a subset of FORMAT.md §1: members, types, the reserved streams, the size). */
function checkRecord(record, seq = null) {
  const fail = (why) => {
    throw new BaselineError(`invalid record${seq === null ? "" : ` at seq ${seq}`}: ${why}`, "record", seq);
  };
  if (record === null || typeof record !== "object" || Array.isArray(record)) fail("not an object");
  for (const key of Object.keys(record)) if (!RECORD_KEYS.has(key)) fail(`unknown member ${key}`);
  if (typeof record.id !== "string" || !record.id.trim() || record.id.length > 256) fail("bad id");
  if (typeof record.stream !== "string" || !record.stream.trim() || record.stream.length > 128) fail("bad stream");
  if (record.stream.startsWith("nucleus.")) fail("reserved stream");
  if (!Number.isSafeInteger(record.timestamp) || record.timestamp < 0) fail("bad timestamp");
  if (record.payload === null || typeof record.payload !== "object") fail("payload must be an object or array");
  if (record.meta !== undefined && (record.meta === null || typeof record.meta !== "object" || Array.isArray(record.meta))) {
    fail("meta must be an object");
  }
}

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return h.digest();
};

/**
 * The right edge of the Merkle tree (FORMAT.md §9, RFC 9162 §2.1.1): `nodes[level]` is the root of the complete
 * subtree of 2^level leaves in the binary decomposition of `size`. The file stores every completed subtree root at
 * the levels that are positive multiples of 8.
 */
class MerkleEdge {
  constructor(size = 0, nodes = []) {
    this.size = size;
    this.nodes = nodes;
  }

  copy() {
    return new MerkleEdge(this.size, [...this.nodes]);
  }

  /** Adds the leaf of entry hash `hex`; pushes the stored-level nodes it completes onto `completed` as [level, idx, hash]. */
  push(hex, completed) {
    let node = sha256(LEAF, Buffer.from(hex, "hex"));
    let idx = this.size;
    let level = 0;
    while (idx % 2 === 1) {
      node = sha256(NODE, this.nodes[level], node);
      this.nodes[level] = undefined;
      level += 1;
      idx = (idx - 1) / 2;
      if (level % 8 === 0) completed.push([level, idx, node]);
    }
    this.nodes[level] = node;
    this.size += 1;
  }
}

/** `<file>.lock`, created exclusively and synced (FORMAT.md §5's lock file, without its stale-holder takeover). */
function takeLock(path) {
  const lock = `${path}.lock`;
  const fd = openSync(lock, "wx", 0o644);
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: Date.now(), tool: "plain-js" }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return lock;
}

function fsyncPath(path) {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A ledger file, open for appending; `openLedger` verified it. */
export class PlainLedger {
  #db;
  #lock;
  #insert;
  #insertNode;
  #prefix;
  #tree = new MerkleEdge();
  size = 0;
  head = null;
  lastTimestamp = 0;

  constructor(db, lock, id) {
    this.#db = db;
    this.#lock = lock;
    this.id = id;
    // The entry preimage (FORMAT.md §3) up to "prev": the keys are in canonical order already.
    this.#prefix = `{"format":"nucleus-entry-v2","ledger":"${id}","prev":`;
    this.#insert = db.prepare(
      "INSERT INTO entries (seq, hash, prev_hash, record_id, stream, timestamp, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.#insertNode = db.prepare("INSERT INTO tree (level, idx, hash) VALUES (?, ?, ?)");
  }

  /** The entry hash of canonical record text `text` at `seq` after `prev`. */
  entryHash(seq, prev, text) {
    const preimage = `${this.#prefix}${prev === null ? "null" : `"${prev}"`},"record":${text},"seq":${seq}}`;
    return createHash("sha256").update(preimage).digest("hex");
  }

  /** The row of `record` appended after the chain's current end (`state` is advanced). */
  #row(record, state) {
    if (record.timestamp === undefined || record.timestamp === null) {
      const { timestamp: _drop, ...rest } = record;
      record = { ...rest, timestamp: Math.max(Date.now(), state.last) };
    }
    checkRecord(record);
    if (record.timestamp < state.last) throw new BaselineError("timestamp goes back", "timestamp", state.seq);
    const text = canonicalize(record);
    if (Buffer.byteLength(text) > MAX_RECORD_BYTES) throw new BaselineError("record too large", "record", state.seq);
    const hash = this.entryHash(state.seq, state.prev, text);
    const row = [state.seq, hash, state.prev, record.id, record.stream, record.timestamp, text];
    state.seq += 1;
    state.prev = hash;
    state.last = record.timestamp;
    return row;
  }

  #commit(state, tree) {
    this.#tree = tree;
    this.size = state.seq;
    this.head = state.prev;
    this.lastTimestamp = state.last;
  }

  /** Appends one record (one transaction: better-sqlite3 runs a lone statement in its own; with the tree nodes it
   * completes, every 256th entry, one transaction of both); its hash, as the package's `append` returns. */
  append(record) {
    const state = { seq: this.size, prev: this.head, last: this.lastTimestamp };
    const row = this.#row(record, state);
    const tree = this.#tree.copy();
    const nodes = [];
    tree.push(row[1], nodes);
    if (nodes.length === 0) this.#insert.run(row);
    else this.#write([row], nodes);
    this.#commit(state, tree);
    return row[1];
  }

  /** Appends records in one transaction, all or none; their hashes, as the package's `appendBatch` returns. */
  appendBatch(records) {
    const state = { seq: this.size, prev: this.head, last: this.lastTimestamp };
    const rows = records.map((r) => this.#row(r, state));
    const tree = this.#tree.copy();
    const nodes = [];
    for (const row of rows) tree.push(row[1], nodes);
    this.#write(rows, nodes);
    this.#commit(state, tree);
    return rows.map((row) => row[1]);
  }

  #write(rows, nodes) {
    this.#db.transaction(() => {
      for (const row of rows) this.#insert.run(row);
      for (const node of nodes) this.#insertNode.run(node);
    })();
  }

  /** The number of entries (the package's `length()`). */
  length() {
    return this.size;
  }

  /** The last entry's hash, or null (the package's `latestHash()`). */
  latestHash() {
    return this.head;
  }

  /** Every row of the file, in seq order (for the bench's byte comparison). */
  rows() {
    return this.#db.prepare("SELECT seq, hash, prev_hash, record_id, stream, timestamp, record FROM entries ORDER BY seq").raw().all();
  }

  /** The §4 walk over the stored rows; sets size, head and lastTimestamp. `chainOnly` re-hashes and checks seqs and
   * links only, skipping the record checks (steps 4–6): the bench reports it beside the full walk. */
  verify({ chainOnly = false } = {}) {
    let expected = 0;
    let prev = null;
    let last = 0;
    const tree = new MerkleEdge();
    const nodes = [];
    const stmt = this.#db.prepare("SELECT seq, hash, prev_hash, record_id, stream, timestamp, record FROM entries ORDER BY seq").raw();
    for (const [seq, hash, prevHash, recordId, stream, timestamp, text] of stmt.iterate()) {
      if (seq !== expected) throw new BaselineError(`entry ${expected} missing (found seq ${seq})`, "sequence", expected);
      if (prevHash !== prev) throw new BaselineError(`entry ${seq} does not link to the previous one`, "link", seq);
      if (this.entryHash(seq, prevHash, text) !== hash) throw new BaselineError(`entry ${seq} hash mismatch`, "hash", seq);
      tree.push(hash, nodes);
      prev = hash;
      expected += 1;
      if (chainOnly) {
        last = timestamp;
        continue;
      }
      let record;
      try {
        record = JSON.parse(text);
      } catch {
        throw new BaselineError(`entry ${seq} is not JSON`, "record", seq);
      }
      checkRecord(record, seq);
      if (canonicalize(record) !== text) throw new BaselineError(`entry ${seq} is not canonical`, "record", seq);
      if (recordId !== record.id || stream !== record.stream || timestamp !== record.timestamp) {
        throw new BaselineError(`entry ${seq}: index columns differ from the record`, "derived", seq);
      }
      if (record.timestamp < last) throw new BaselineError(`entry ${seq}: timestamp goes back`, "timestamp", seq);
      last = record.timestamp;
    }
    // The stored tree must be exactly the nodes the entries complete (none missing, none wrong, none extra).
    const stored = this.#db.prepare("SELECT level, idx, hash FROM tree ORDER BY level, idx").raw().all();
    nodes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const same = stored.length === nodes.length && stored.every(([lv, idx, h], i) => lv === nodes[i][0] && idx === nodes[i][1] && nodes[i][2].equals(h));
    if (!same) throw new BaselineError("the stored Merkle tree does not match the entries", "tree");
    this.#tree = tree;
    this.size = expected;
    this.head = prev;
    this.lastTimestamp = last;
  }

  close() {
    this.#db.close();
    unlinkSync(this.#lock);
  }
}

/**
 * Opens (creating it when absent) the ledger `id` in the SQLite file `path` and verifies the whole chain.
 * `durability`: "full" (synchronous=FULL: every commit is fsynced) or "fast" (NORMAL). `chainOnly`: see `verify`.
 */
export function openLedger(path, id, { durability = "full", chainOnly = false } = {}) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._~:@-]{0,127}$/.test(id)) throw new BaselineError(`bad ledger id ${id}`, "format");
  let exists = false;
  try {
    exists = statSync(path).size > 0;
  } catch {
    // absent: created below
  }
  const lock = takeLock(path);
  let db;
  try {
    db = sqlite(path);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
    if (!exists) {
      db.transaction(() => {
        db.exec(SCHEMA);
        const put = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
        put.run("ledger_id", id);
        put.run("format_version", FORMAT_VERSION);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }).immediate();
      // A new file is durable before it is used: the schema in the database file, the file in its directory.
      db.pragma("wal_checkpoint(TRUNCATE)");
      fsyncPath(path);
      fsyncPath(dirname(path));
    }
    if (db.pragma("application_id", { simple: true }) !== APPLICATION_ID) throw new BaselineError(`${path} is not a Nucleus ledger`, "format");
    if (db.pragma("user_version", { simple: true }) !== SCHEMA_VERSION) throw new BaselineError(`${path}: schema version is not ${SCHEMA_VERSION}`, "format");
    const meta = Object.fromEntries(db.prepare("SELECT key, value FROM meta").raw().all());
    if (meta.ledger_id !== id) throw new BaselineError(`${path} holds ledger ${meta.ledger_id}, not ${id}`, "format");
    if (Object.keys(meta).length !== 2 || meta.format_version !== FORMAT_VERSION) throw new BaselineError(`${path}: meta is not format 2`, "format", 0);
    const ledger = new PlainLedger(db, lock, id);
    ledger.verify({ chainOnly });
    return ledger;
  } catch (err) {
    db?.close();
    unlinkSync(lock);
    throw err;
  }
}
