/**
 * The shipped form of the memory snapshot: Pyodide's snapshot (a header, then a copy of the whole WebAssembly
 * memory) without what the runtime has anyway. Two kinds of 4 KiB memory pages are left out: all-zero pages (unused
 * stack and heap: a fresh buffer is zeros) and pages still equal to the memory of a freshly instantiated
 * pyodide.asm.wasm (its data segments: CPython's static data, which the browser downloads inside the wasm anyway).
 * The file is 11 MB rather than 31 MB, and 1.3 MB less to download compressed. Written by
 * scripts/lib/precompile.mjs (`compactSnapshot`). Not public.
 *
 * Layout, little-endian: the magic "NUCSNAP2", u32 expanded length, u32 page size, u32 header length (Pyodide's
 * header, stored whole; pages count from its end), u32 run count, then per run u32 first page, u32 page count and
 * u32 kind (0: bytes stored here; 1: the fresh instance's memory; 2: bytes stored here XOR the fresh instance's
 * memory, for the few pages of static data the start changed), then the header, then the stored runs' bytes.
 */

/** The first eight bytes of a compact snapshot. */
const MAGIC = "NUCSNAP2";
const STORED = 0;
const FROM_INSTANCE = 1;
const XOR_INSTANCE = 2;

/** A WebAssembly memory, as far as this module reads it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** A snapshot expanded but for the pages that come from the fresh instance's memory. */
export interface ExpandedSnapshot {
  /**
   * Pyodide's snapshot. Until {@link ExpandedSnapshot.fill} has run, its first four bytes (Pyodide's magic number)
   * are zero, so that Pyodide refuses an incomplete snapshot ("invalid magic number") and the runtime starts normally.
   */
  readonly bytes: Uint8Array;
  /** Copies the pages still equal to a fresh instance from `memory`, that instance's memory, and completes `bytes`. */
  fill(memory: WasmMemory): void;
}

/**
 * Pyodide's snapshot from its compact form. The zero pages cost nothing here: a fresh buffer is zeros, and the
 * operating system backs untouched pages lazily. Throws on anything that is not a whole compact snapshot, which
 * the runtime reports as `snapshotError` before starting normally.
 */
export function expandSnapshot(compact: Uint8Array): ExpandedSnapshot {
  const view = new DataView(compact.buffer, compact.byteOffset, compact.byteLength);
  const magic = compact.byteLength >= 24 ? String.fromCharCode(...compact.subarray(0, 8)) : "";
  if (magic !== MAGIC) throw new Error("snapshot.bin is not a compact snapshot (bad magic): rebuild the package");
  const length = view.getUint32(8, true);
  const page = view.getUint32(12, true);
  const header = view.getUint32(16, true);
  const runs = view.getUint32(20, true);
  const out = new Uint8Array(length);
  let data = 24 + runs * 12;
  if (data + header > compact.byteLength || header < 4 || header > length) throw new Error("snapshot.bin is truncated: rebuild the package");
  out.set(compact.subarray(data, data + header), 0);
  data += header;
  const fromInstance: Array<[start: number, size: number, xor: boolean]> = [];
  for (let i = 0; i < runs; i++) {
    const start = header + view.getUint32(24 + i * 12, true) * page;
    const size = Math.min(view.getUint32(28 + i * 12, true) * page, length - start);
    if (start + size > length) throw new Error("snapshot.bin is damaged: rebuild the package");
    const kind = view.getUint32(32 + i * 12, true);
    if (kind === FROM_INSTANCE) {
      fromInstance.push([start, size, false]);
      continue;
    }
    if ((kind !== STORED && kind !== XOR_INSTANCE) || data + size > compact.byteLength) {
      throw new Error("snapshot.bin is truncated: rebuild the package");
    }
    out.set(compact.subarray(data, data + size), start);
    if (kind === XOR_INSTANCE) fromInstance.push([start, size, true]);
    data += size;
  }
  if (data !== compact.byteLength) throw new Error("snapshot.bin has trailing bytes: rebuild the package");
  const pyodideMagic = out.slice(0, 4);
  out.fill(0, 0, 4);
  let filled = false;
  return {
    bytes: out,
    fill(memory) {
      if (filled) return;
      const fresh = new Uint8Array(memory.buffer);
      if (fromInstance.some(([start, size]) => start - header + size > fresh.length)) return; // not the memory it was made against
      for (const [start, size, xor] of fromInstance) {
        const base = fresh.subarray(start - header, start - header + size);
        if (!xor) out.set(base, start);
        else for (let i = 0; i < size; i++) out[start + i] = out[start + i]! ^ base[i]!;
      }
      out.set(pyodideMagic, 0);
      filled = true;
    },
  };
}

/** The part of the global `WebAssembly` object this module wraps (the TypeScript lib here declares its types only). */
interface WasmGlobal {
  instantiate(...args: unknown[]): Promise<unknown>;
  instantiateStreaming?(...args: unknown[]): Promise<unknown>;
  Memory: abstract new (...args: never[]) => WasmMemory;
}

/** The memory of a Pyodide instance (exports `memory` and `Py_Initialize`) in an instantiation result, else undefined. */
function pyodideMemory(result: unknown, Memory: WasmGlobal["Memory"]): WasmMemory | undefined {
  const withInstance = result as { instance?: { exports?: Record<string, unknown> }; exports?: Record<string, unknown> };
  const exports = withInstance.instance?.exports ?? withInstance.exports ?? {};
  const memory = exports["memory"];
  return memory instanceof Memory && typeof exports["Py_Initialize"] === "function" ? memory : undefined;
}

/**
 * Runs `load` (Pyodide's start) while WebAssembly instantiation hands each new Pyodide instance's memory to
 * `onInstance` before its caller sees the instance, i.e. before Pyodide restores the snapshot into that memory.
 * Pyodide instantiates its wasm itself and exposes no hook for this; a wrapper around the two global functions is
 * the one place to see the memory in its fresh state. Restored afterwards.
 */
export async function withFreshInstance<T>(onInstance: (memory: WasmMemory) => void, load: () => Promise<T>): Promise<T> {
  const wasm = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;
  const { instantiate, instantiateStreaming } = wasm;
  const seen = (result: unknown): unknown => {
    const memory = pyodideMemory(result, wasm.Memory);
    if (memory) onInstance(memory);
    return result;
  };
  wasm.instantiate = (...args) => instantiate.apply(wasm, args).then(seen);
  if (instantiateStreaming) wasm.instantiateStreaming = (...args) => instantiateStreaming.apply(wasm, args).then(seen);
  try {
    return await load();
  } finally {
    wasm.instantiate = instantiate;
    if (instantiateStreaming) wasm.instantiateStreaming = instantiateStreaming;
  }
}
