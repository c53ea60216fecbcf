/**
 * Makes `os.fsync(fd)` inside Pyodide reach the host disk.
 *
 * Emscripten's `fsync` syscall calls `stream.stream_ops.fsync(stream)`, and NODEFS defines no such
 * operation, so a sync of a file on a NODEFS mount silently does nothing. Every NODEFS node shares the
 * one `FS.filesystems.NODEFS.stream_ops` object, so setting `fsync` there covers every file, and
 * `stream.nfd` is the host file descriptor. SQLite's own syncs go through `fdatasync`, which Pyodide
 * stubs out; the engine therefore calls `os.fsync` itself after each durable commit (docs/ARCHITECTURE.md,
 * "What Node.js changes"). Not public.
 */

import { fsyncSync } from "node:fs";
import type { PyodideAPI } from "pyodide";

/** The part of a NODEFS stream this hook uses. */
interface NodefsStream {
  nfd?: number;
}

/** The part of Emscripten's FS this hook needs. */
interface FsWithNodefs {
  filesystems: { NODEFS?: { stream_ops: { fsync?: (stream: NodefsStream) => number } } };
}

/** Installs the hook (idempotent). Throws if this Pyodide has no NODEFS, which would be a packaging bug. */
export function installFsyncHook(pyodide: PyodideAPI): void {
  const fs = pyodide.FS as unknown as FsWithNodefs;
  const nodefs = fs.filesystems.NODEFS;
  if (!nodefs) throw new Error("this Pyodide build has no NODEFS; @onoal/nucleus needs it under Node.js");
  nodefs.stream_ops.fsync = (stream: NodefsStream): number => {
    if (typeof stream.nfd === "number") fsyncSync(stream.nfd);
    return 0;
  };
}
