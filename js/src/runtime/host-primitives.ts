/**
 * The primitives this runtime lends the engine's verifier (`nucleus._host` in Python): SHA-256 of many
 * preimages (Node's `crypto`, where there is one) and a check that a chunk of stored records is exactly the
 * canonical form of valid records (the JavaScript engine's `JSON.parse` and `JSON.stringify`). In Pyodide
 * both cost three to five times more in Python, and opening a ledger does both for every entry.
 *
 * Neither may make verification more lenient: each only answers "all of these pass" for a whole chunk, and
 * says false whenever it is not sure (numbers with a fraction, astral characters, deep nesting, ids made only
 * of non-ASCII characters…); the engine then judges the chunk with its own Python rules. The Python suite runs
 * inside Pyodide with these installed (tests_py/pyodide/run_pytest.mjs), and its differential test holds them
 * to the exact path's verdict. Not public.
 */

import type { PyodideAPI } from "pyodide";
import type { PyProxy } from "pyodide/ffi";
import { bytesToHex } from "../proofs/bytes.js";

/** A Python `bytes`-like argument as JavaScript receives it: a proxy with a buffer. */
interface PyBytes {
  getBuffer(type?: string): { data: ArrayLike<number> & { subarray(start: number, end: number): Uint8Array }; release(): void };
}

/** The host's SHA-256 (Node's `crypto`, in crypto.ts). */
export interface Sha256 {
  /** SHA-256 of `data`, its 32 bytes written into `out` at `at`: no hex and no allocation per digest. */
  into(data: Uint8Array, out: Uint8Array, at: number): void;
}

/**
 * Ed25519 (RFC 8032) on raw keys, synchronous: the host's implementation (Node's, in crypto.ts). Unlike
 * the others it is not a shortcut: Pyodide has no Ed25519 of its own, so the engine's signed notes need it.
 */
export interface Ed25519 {
  /** The 32-byte public key of a 32-byte private seed. */
  publicKey(seed: Uint8Array): Uint8Array;
  /** The 64-byte signature of `message` by the key of `seed`. */
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** Whether `signature` of `message` verifies under `publicKey`: false, never a throw, for a malformed key. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Containers this deep or deeper are left to the engine (its limit is 64 levels; no record needs this path there). */
const DEPTH = 32;
/** At least one printable ASCII character other than space: surely not blank (Python's `str.isspace`). */
/** 2^53 − 1, the largest integer the number rule allows, as the digits a 16-digit integer is compared with. */
const MAX_SAFE_DIGITS = Uint8Array.from("9007199254740991", (c) => c.charCodeAt(0));
const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const ID = bytesOf('{"id":');
const META = bytesOf(',"meta":');
const PAYLOAD = bytesOf(',"payload":');
const STREAM = bytesOf(',"stream":');
const TIMESTAMP = bytesOf(',"timestamp":');
const TRUE = bytesOf("true");
const FALSE = bytesOf("false");
const NULL = bytesOf("null");
/** The byte after a backslash that RFC 8785 writes as such (`"`, `\`, b, f, n, r, t); `u` is handled apart. */
const SHORT_ESCAPES = new Set([0x22, 0x5c, 0x62, 0x66, 0x6e, 0x72, 0x74]);
/** Control characters RFC 8785 writes with a short escape, never as `\u00XX`. */
const SHORT_CONTROLS = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/**
 * A scanner of one chunk of stored records: the UTF-8 bytes of `[record,record,…]`. It accepts only text that
 * RFC 8785 would write (no whitespace, members in UTF-16 order and unique, strings and integers spelled
 * canonically) and returns false on anything else, or on what it leaves to the engine: numbers with a fraction
 * or exponent, integers past 15 digits unless within 2^53 − 1, characters outside the BMP, escapes in member
 * names, ids or streams without printable ASCII, nesting of {@link DEPTH} levels. One pass, no parse tree:
 * where JSON.parse + JSON.stringify took ~2.5 µs per record, this takes a fraction of one.
 */
class Scanner {
  private pos = 0;
  /** A byte of 0x80 or above was seen inside a string: the chunk's UTF-8 must be validated. */
  nonAscii = false;

  constructor(
    private readonly buf: Uint8Array,
    private readonly end = buf.length,
  ) {}

  /**
   * Whether the chunk holds exactly `count` records whose ids, streams and timestamps are, in order, those
   * of `columns`: the UTF-8 of `id US stream US timestamp` per record, joined by RS.
   */
  records(count: number, columns: Uint8Array, maxId: number, maxStream: number): boolean {
    const buf = this.buf;
    if (buf[0] !== 0x5b) return false;
    this.pos = 1;
    let at = 0; // where the next record's columns start in `columns`
    for (let i = 0; i < count; i++) {
      if (i > 0 && (buf[this.pos++] !== 0x2c || columns[at++] !== 0x1e)) return false;
      at = this.record(columns, at, maxId, maxStream);
      if (at < 0) return false;
    }
    return buf[this.pos] === 0x5d && this.pos + 1 === this.end && at === columns.length;
  }

  /**
   * One record, members in their only canonical order (id, meta if any, payload, stream, timestamp), its
   * columns read from `columns` at `at`; where its columns end there, or -1.
   */
  private record(columns: Uint8Array, at: number, maxId: number, maxStream: number): number {
    if (!this.literal(ID)) return -1;
    at = this.label(columns, at, maxId);
    if (at < 0 || columns[at++] !== 0x1f) return -1;
    if (this.literal(META)) {
      if (this.buf[this.pos] !== 0x7b || !this.value(0)) return -1;
    }
    if (!this.literal(PAYLOAD)) return -1;
    const open = this.buf[this.pos];
    if ((open !== 0x7b && open !== 0x5b) || !this.value(0)) return -1;
    if (!this.literal(STREAM)) return -1;
    at = this.label(columns, at, maxStream);
    if (at < 0 || columns[at++] !== 0x1f || !this.literal(TIMESTAMP)) return -1;
    const from = this.pos;
    if (this.buf[from] === 0x2d || !this.number()) return -1; // a timestamp is not negative
    for (let i = from; i < this.pos; i++) if (columns[at++] !== this.buf[i]) return -1;
    if (this.buf[this.pos++] !== 0x7d) return -1;
    return at;
  }

  /**
   * An id or stream: a string of 1 to `max` characters with a printable ASCII one among them (so not blank),
   * without escapes (those are left to the engine), equal to the column text at `at`; where that ends, or -1.
   */
  private label(columns: Uint8Array, at: number, max: number): number {
    const buf = this.buf;
    const from = this.pos + 1;
    if (buf[this.pos] !== 0x22 || !this.string()) return -1;
    const to = this.pos - 1;
    let chars = 0;
    let printable = false;
    for (let i = from; i < to; i++) {
      const c = buf[i] as number;
      if (c === 0x5c || columns[at++] !== c) return -1;
      if ((c & 0xc0) !== 0x80) chars++; // no astral characters get here: code points are UTF-16 units
      if (c > 0x20 && c < 0x7f) printable = true;
    }
    return chars >= 1 && chars <= max && printable ? at : -1;
  }

  private literal(bytes: Uint8Array): boolean {
    const buf = this.buf;
    const at = this.pos;
    for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
    this.pos = at + bytes.length;
    return true;
  }

  /** Any JSON value at `depth` (the record itself is depth 0). */
  private value(depth: number): boolean {
    const c = this.buf[this.pos];
    if (c === 0x22) return this.string();
    if (c === 0x7b) return this.object(depth + 1);
    if (c === 0x5b) return this.array(depth + 1);
    if (c === 0x74) return this.literal(TRUE);
    if (c === 0x66) return this.literal(FALSE);
    if (c === 0x6e) return this.literal(NULL);
    return this.number();
  }

  private object(depth: number): boolean {
    if (depth >= DEPTH) return false;
    const buf = this.buf;
    this.pos++;
    if (buf[this.pos] === 0x7d) {
      this.pos++;
      return true;
    }
    let prevFrom = -1;
    let prevTo = -1;
    for (;;) {
      const from = this.pos + 1;
      if (buf[this.pos] !== 0x22 || !this.string()) return false;
      const to = this.pos - 1;
      // Escaped names would need decoding to compare: left to the engine. Unescaped UTF-8 without astral
      // characters compares byte by byte in the order of UTF-16 code units.
      for (let i = from; i < to; i++) if (buf[i] === 0x5c) return false;
      if (prevFrom >= 0 && !this.before(prevFrom, prevTo, from, to)) return false;
      prevFrom = from;
      prevTo = to;
      if (buf[this.pos++] !== 0x3a || !this.value(depth)) return false;
      const c = buf[this.pos++];
      if (c === 0x7d) return true;
      if (c !== 0x2c) return false;
    }
  }

  /** Whether bytes [aFrom, aTo) sort strictly before [bFrom, bTo). */
  private before(aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
    const buf = this.buf;
    const n = Math.min(aTo - aFrom, bTo - bFrom);
    for (let i = 0; i < n; i++) {
      const a = buf[aFrom + i] as number;
      const b = buf[bFrom + i] as number;
      if (a !== b) return a < b;
    }
    return aTo - aFrom < bTo - bFrom;
  }

  private array(depth: number): boolean {
    if (depth >= DEPTH) return false;
    const buf = this.buf;
    this.pos++;
    if (buf[this.pos] === 0x5d) {
      this.pos++;
      return true;
    }
    for (;;) {
      if (!this.value(depth)) return false;
      const c = buf[this.pos++];
      if (c === 0x5d) return true;
      if (c !== 0x2c) return false;
    }
  }

  /** A string as RFC 8785 writes it, from its opening quote to just past its closing one. */
  private string(): boolean {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos + 1;
    while (pos < end) {
      const c = buf[pos++] as number;
      if (c === 0x22) {
        this.pos = pos;
        return true;
      }
      if (c === 0x5c) {
        const e = buf[pos++] as number;
        if (SHORT_ESCAPES.has(e)) continue;
        // \u00XX (lowercase hex) for a control character without a short form; nothing else is escaped.
        if (e !== 0x75 || buf[pos] !== 0x30 || buf[pos + 1] !== 0x30) return false;
        const hi = buf[pos + 2] as number;
        const lo = buf[pos + 3] as number;
        const low = lo >= 0x30 && lo <= 0x39 ? lo - 0x30 : lo >= 0x61 && lo <= 0x66 ? lo - 0x57 : -1;
        if ((hi !== 0x30 && hi !== 0x31) || low < 0 || SHORT_CONTROLS.has((hi - 0x30) * 16 + low)) return false;
        pos += 4;
      } else if (c < 0x20 || c >= 0xf0) {
        return false; // a raw control character (not canonical), or an astral character (left to the engine)
      } else if (c >= 0x80) {
        this.nonAscii = true;
      }
    }
    return false;
  }

  /** An integer as RFC 8785 writes it, within ±(2^53 − 1); anything with a fraction or exponent is declined. */
  private number(): boolean {
    const buf = this.buf;
    let pos = this.pos;
    const negative = buf[pos] === 0x2d;
    if (negative) pos++;
    const first = pos;
    let c = buf[pos];
    if (c === 0x30) {
      if (negative) return false; // -0
      pos++;
    } else if (c !== undefined && c >= 0x31 && c <= 0x39) {
      pos++;
      while ((c = buf[pos]) !== undefined && c >= 0x30 && c <= 0x39) pos++;
    } else {
      return false;
    }
    c = buf[pos];
    if (c === 0x2e || c === 0x65 || c === 0x45) return false;
    const digits = pos - first;
    if (digits > 16) return false;
    if (digits === 16 && !this.withinSafe(first)) return false;
    this.pos = pos;
    return true;
  }

  /** Whether the 16 digits at `from` are at most 9007199254740991. */
  private withinSafe(from: number): boolean {
    for (let i = 0; i < 16; i++) {
      const a = this.buf[from + i] as number;
      const b = MAX_SAFE_DIGITS[i] as number;
      if (a !== b) return a < b;
    }
    return true;
  }
}

/**
 * True only when `bytes` (UTF-8) is a JSON array of exactly `count` records, each in RFC 8785 form and valid
 * under FORMAT.md §1, whose ids, streams and timestamps are `columns` (the UTF-8 of what
 * `nucleus._host.columns_text` spells). False means "not judged here", never "invalid".
 */
export function recordsPass(bytes: Uint8Array, count: number, columns: Uint8Array, maxId: number, maxStream: number): boolean {
  const scanner = new Scanner(bytes);
  if (!scanner.records(count, columns, maxId, maxStream)) return false;
  if (scanner.nonAscii) {
    try {
      decoder.decode(bytes); // well-formed UTF-8, no encoded surrogates, no overlong forms
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * `nucleus._host`'s `sha256_into`: the SHA-256 of each piece of `data`, cut at `lengths` (a Python `array("I")`),
 * written one after another into `out` (a Python bytearray). Raw, into Python's buffer: a hex text handed back
 * cost Pyodide about as much as the hashing itself.
 */
function sha256Pieces(sha256: Sha256, data: PyBytes, lengths: PyBytes, out: PyBytes): void {
  const bytes = data.getBuffer("u8");
  const sizes = lengths.getBuffer("u32");
  const target = out.getBuffer("u8");
  try {
    const digests = target.data as Uint8Array;
    let offset = 0;
    for (let i = 0; i < sizes.data.length; i++) {
      const end = offset + (sizes.data[i] as number);
      sha256.into(bytes.data.subarray(offset, end), digests, 32 * i);
      offset = end;
    }
  } finally {
    bytes.release();
    sizes.release();
    target.release();
  }
}

/**
 * `nucleus._host`'s `merkle_fold`: the RFC 9162 levels over the 32-byte pieces of `data` (leaf inputs when
 * `leaves`, else level-0 nodes) placed from index `first` on, each level preceded by the next 32 bytes of `edge`
 * when bit `level` of `first` is set, written into `out` level after level until a level is empty. One crossing
 * for a whole chunk or block, where hashing level by level (`sha256_into`) took a crossing and a Python blob
 * per level.
 */
function merkleFold(sha256: Sha256, pieces: PyBytes, first: number, edge: PyBytes, leaves: boolean, out: PyBytes): void {
  const input = pieces.getBuffer("u8");
  const left = edge.getBuffer("u8");
  const target = out.getBuffer("u8");
  try {
    const data = input.data;
    const edges = left.data;
    const nodes = target.data as Uint8Array;
    const preimage = new Uint8Array(65); // 0x00 || leaf, or 0x01 || left || right
    const leafPreimage = preimage.subarray(0, 33);
    let e = 0; // the next edge node in `edges`
    let w = 0; // where the next node goes in `nodes`
    let place = first; // the index of the level's first node (`first >> level`): a number, as sizes are < 2^53
    const edgeNode = (): void => {
      nodes.set(edges.subarray(e, e + 32), w);
      e += 32;
      w += 32;
    };
    if (place % 2 === 1) edgeNode();
    if (leaves) {
      for (let at = 0; at < data.length; at += 32) {
        preimage.set(data.subarray(at, at + 32), 1);
        sha256.into(leafPreimage, nodes, w);
        w += 32;
      }
    } else {
      nodes.set(data.subarray(0, data.length - (data.length % 32)), w);
      w += data.length - (data.length % 32);
    }
    let start = 0; // where the current level begins in `nodes`
    preimage[0] = 1;
    for (;;) {
      const pairs = Math.floor((w - start) / 64);
      if (pairs === 0) return;
      const below = start;
      start = w;
      place = Math.floor(place / 2);
      if (place % 2 === 1) edgeNode();
      for (let p = 0; p < pairs; p++) {
        preimage.set(nodes.subarray(below + 64 * p, below + 64 * p + 64), 1);
        sha256.into(preimage, nodes, w);
        w += 32;
      }
    }
  } finally {
    input.release();
    left.release();
    target.release();
  }
}

/** A copy of a Python `bytes` argument (its buffer is only valid during the call). */
function copyOf(value: PyBytes): Uint8Array {
  const view = value.getBuffer("u8");
  try {
    return new Uint8Array(view.data.subarray(0, view.data.length));
  } finally {
    view.release();
  }
}

/** The `ed25519_*` keyword arguments of `nucleus._host.install` for `ed25519`. */
function ed25519Primitives(ed25519: Ed25519): Record<string, unknown> {
  return {
    ed25519_public: (seed: PyBytes): string => bytesToHex(ed25519.publicKey(copyOf(seed))),
    ed25519_sign: (seed: PyBytes, message: PyBytes): string => bytesToHex(ed25519.sign(copyOf(seed), copyOf(message))),
    ed25519_verify: (publicKey: PyBytes, message: PyBytes, signature: PyBytes): boolean =>
      ed25519.verify(copyOf(publicKey), copyOf(message), copyOf(signature)),
  };
}

/**
 * Lends the primitives to the engine (`nucleus._host.install`): `sha256` and `ed25519` where the host has
 * synchronous ones.
 */
export function lendPrimitives(pyodide: PyodideAPI, sha256?: Sha256, ed25519?: Ed25519): void {
  const module = pyodide.pyimport("nucleus._host") as PyProxy & { install: PyProxy & { callKwargs(...args: unknown[]): unknown } };
  const install = module.install;
  try {
    const records = (text: PyBytes, count: number, columns: PyBytes, maxId: number, maxStream: number): boolean => {
      const view = text.getBuffer("u8");
      const spelled = columns.getBuffer("u8");
      try {
        return recordsPass(view.data as Uint8Array, count, spelled.data as Uint8Array, maxId, maxStream);
      } finally {
        view.release();
        spelled.release();
      }
    };
    const hashing = sha256
      ? {
          sha256_into: (data: PyBytes, lengths: PyBytes, out: PyBytes): void => sha256Pieces(sha256, data, lengths, out),
          merkle_fold: (data: PyBytes, first: number, edge: PyBytes, leaves: boolean, out: PyBytes): void =>
            merkleFold(sha256, data, first, edge, leaves, out),
        }
      : {};
    install.callKwargs({
      records_pass: records,
      ...hashing,
      ...(ed25519 ? ed25519Primitives(ed25519) : {}),
    });
  } finally {
    install.destroy();
    module.destroy();
  }
}
