/**
 * The shipped form of the memory snapshot: Pyodide's snapshot (a header, then a copy of the whole WebAssembly
 * memory) with its all-zero 4 KiB pages left out. More than half of that memory is zeros (unused stack and heap),
 * so the file is 14 MB rather than 31 MB on disk and in node_modules; HTTP compression shrank the zeros anyway,
 * so what a browser downloads barely changes. Written by scripts/lib/precompile.mjs (`compactSnapshot`). Not public.
 *
 * Layout, little-endian: the magic "NUCSNAP1", u32 expanded length, u32 page size, u32 run count, then per run
 * u32 first page and u32 page count, then the runs' bytes one after the other.
 */

/** The first eight bytes of a compact snapshot. */
const MAGIC = "NUCSNAP1";

/**
 * Pyodide's snapshot from its compact form. The zero pages cost nothing here: a fresh buffer is zeros, and the
 * operating system backs untouched pages lazily. Throws on anything that is not a whole compact snapshot, which
 * the runtime reports as `snapshotError` before starting normally.
 */
export function expandSnapshot(compact: Uint8Array): Uint8Array {
  const view = new DataView(compact.buffer, compact.byteOffset, compact.byteLength);
  const magic = compact.byteLength >= 20 ? String.fromCharCode(...compact.subarray(0, 8)) : "";
  if (magic !== MAGIC) throw new Error("snapshot.bin is not a compact snapshot (bad magic): rebuild the package");
  const length = view.getUint32(8, true);
  const page = view.getUint32(12, true);
  const runs = view.getUint32(16, true);
  const out = new Uint8Array(length);
  let data = 20 + runs * 8;
  for (let i = 0; i < runs; i++) {
    const start = view.getUint32(20 + i * 8, true) * page;
    const size = Math.min(view.getUint32(24 + i * 8, true) * page, length - start);
    if (start + size > length || data + size > compact.byteLength) throw new Error("snapshot.bin is truncated: rebuild the package");
    out.set(compact.subarray(data, data + size), start);
    data += size;
  }
  if (data !== compact.byteLength) throw new Error("snapshot.bin has trailing bytes: rebuild the package");
  return out;
}
