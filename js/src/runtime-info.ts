/** `runtimeInfo()`: how the shared engine runtime started, for diagnostics and benchmarks. */

import { getRuntime } from "./runtime/runtime.js";

/** What {@link runtimeInfo} reports. */
export interface RuntimeInfo {
  /** Engine version (equals the package version). */
  engine: string;
  /** Hash format version. */
  format: number;
  /** `"snapshot"`: started from the bundled memory snapshot; `"normal"`: a full start. */
  startMode: "snapshot" | "normal";
  /** Why the snapshot was not used, when loading it failed. */
  snapshotError?: string;
  /** Milliseconds per start-up stage (assets, pyodide, wheel, engine, version). */
  timings: Readonly<Record<string, number>>;
}

/**
 * Starts the shared runtime if needed and reports how it started.
 *
 * @example
 * const info = await runtimeInfo(); // { engine: "0.1.0", startMode: "snapshot", timings: {...} }
 */
export async function runtimeInfo(): Promise<RuntimeInfo> {
  const runtime = await getRuntime();
  const info: RuntimeInfo = {
    engine: runtime.engine.engine,
    format: runtime.engine.format,
    startMode: runtime.start.mode,
    timings: runtime.timings,
  };
  if (runtime.start.snapshotError !== undefined) info.snapshotError = runtime.start.snapshotError;
  return info;
}
