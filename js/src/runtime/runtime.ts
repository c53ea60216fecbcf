/**
 * The one Pyodide runtime of this process, loaded on first use and shared by every ledger. Loading is a
 * linear, staged sequence: find assets → start Pyodide (local files only; from a memory snapshot when
 * there is one, else normally) → install the engine wheel (normal start only) →
 * let the host prepare (fsync hook) → get the bridge function → check the engine version. Not public.
 */

import { loadPyodide, type PyodideAPI } from "pyodide";
import type { PyProxy } from "pyodide/ffi";
import { ConfigError, ERROR_CODES, StorageError } from "../errors.js";
import { errorFromCode } from "../error-map.js";
import type { JsonObject, JsonValue } from "../json.js";
import { VERSION } from "../version.js";
import type { BridgeResponse, EngineVersion } from "./bridge-types.js";
import type { Host } from "./host.js";
import { selectHost } from "./select-host.js";
import { type ExpandedSnapshot, expandSnapshot, withFreshInstance } from "./snapshot.js";

/** The bridge function: JSON text in (a string, or its UTF-8 bytes), JSON text out. */
type HandleRequest = (request: string | Uint8Array) => string;

/**
 * Requests longer than this go to Python as UTF-8 bytes: Pyodide builds a Python `str` from a JS string
 * character by character (~16 ms for a 10,000-record batch, 1.8 MB), while `TextEncoder` plus one copy
 * of the bytes takes ~2 ms; with `json.loads`, which takes either, a batch's request costs 7–14 ms less.
 * Short requests stay strings (a few µs cheaper).
 */
const BYTES_ABOVE = 1024;

/** A callable Python object seen from JS. */
type PyProxyCallable = PyProxy & ((...args: unknown[]) => unknown);
const encoder = new TextEncoder();

/** A loaded runtime. */
export interface Runtime {
  /** The platform services. */
  readonly host: Host;
  /** The Pyodide instance (for host services only; ledgers talk through {@link Runtime.call}). */
  readonly pyodide: PyodideAPI;
  /** The engine's version report. */
  readonly engine: EngineVersion;
  /** How Pyodide started: from the memory snapshot, or normally (with the reason the snapshot was not used). */
  readonly start: { mode: "snapshot" | "normal"; snapshotError?: string };
  /** Milliseconds each load stage took, for benchmarks. */
  readonly timings: Readonly<Record<string, number>>;
  /** Sends one request; returns its result or throws the mapped {@link NucleusError}. */
  call(op: string, ledger: number | undefined, args?: JsonObject): JsonValue;
}

let loading: Promise<Runtime> | undefined;

/** The shared runtime, loading it on first call. A failed load is retried by the next call. */
export function getRuntime(): Promise<Runtime> {
  loading ??= load(selectHost()).catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

async function load(host: Host): Promise<Runtime> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const stage = (name: string): void => {
    const now = performance.now();
    timings[name] = Math.round((now - mark) * 10) / 10;
    mark = now;
  };

  const assets = await host.assets();
  stage("assets");
  const options = {
    indexURL: assets.indexURL,
    ...(assets.stdLibURL === undefined ? {} : { stdLibURL: assets.stdLibURL }),
    packages: [],
    checkAPIVersion: true,
  };
  let pyodide: PyodideAPI | undefined;
  let start: Runtime["start"] = { mode: "normal" };
  if (assets.snapshot) {
    try {
      // A promise: in the browser the download still overlaps Pyodide's own fetches.
      let expanded: ExpandedSnapshot | undefined;
      const snapshot = Promise.resolve(assets.snapshot).then((compact) => (expanded = expandSnapshot(compact)).bytes);
      snapshot.catch(() => {}); // reported by loadPyodide, which awaits it (maybe only after it failed)
      // The snapshot's pages still equal to a fresh instance come from that instance's memory (snapshot.ts).
      pyodide = await withFreshInstance(
        (memory) => expanded?.fill(memory),
        () => loadPyodide({ ...options, stdLibURL: assets.snapshotStdLibURL ?? assets.stdLibURL, _loadSnapshot: snapshot }),
      );
      forgetSnapshot(pyodide);
      start = { mode: "snapshot" };
    } catch (err) {
      start = { mode: "normal", snapshotError: err instanceof Error ? err.message : String(err) };
    }
  }
  pyodide ??= await loadPyodide(options);
  stage("pyodide");
  if (start.mode === "normal") {
    // A snapshot already holds every engine module imported (scripts/lib/precompile.mjs); unpacking the
    // wheel there again would only cost time (~0.3 s: first use of zip code paths in fresh wasm).
    const sitePackages = String(pyodide.runPython("import sysconfig; sysconfig.get_paths()['purelib']"));
    pyodide.unpackArchive(await assets.wheel(), "wheel", { extractDir: sitePackages });
  }
  stage("wheel");
  host.prepare(pyodide);
  const bridge = pyodide.pyimport("nucleus._bridge") as { handle_request: HandleRequest };
  const handle = bridgeHandle(pyodide, bridge.handle_request);
  stage("engine");

  const hostPaths = host.hostPaths;
  const toHost = hostPaths ? (text: string): string => hostPaths(pyodide, text) : (text: string): string => text;
  const call = (op: string, ledger: number | undefined, args?: JsonObject): JsonValue =>
    send(handle, toHost, op, ledger, args);
  const engine = call("version", undefined) as unknown as EngineVersion;
  if (engine.engine !== VERSION || assets.engineVersion !== VERSION) {
    throw new ConfigError(
      `engine version ${engine.engine} does not match @onoal/nucleus ${VERSION}; reinstall the package ` +
        "(or run `npm run build` in js/ when working from the repository)",
      { engine: engine.engine, package: VERSION },
    );
  }
  // The two code tables must agree, or an engine error could reach users with a code this package lacks.
  if (engine.codes.join() !== ERROR_CODES.join()) {
    throw new ConfigError(
      `the engine's error codes (${engine.codes.join(", ")}) differ from this package's (${ERROR_CODES.join(", ")}); ` +
        "rebuild the package",
      { engine: engine.codes, package: [...ERROR_CODES] },
    );
  }
  stage("version");
  return { host, pyodide, engine, start, timings, call };
}

/**
 * Pyodide keeps its options (private `_api.config`), the 31 MB snapshot among them: dropping it once it is in the
 * WebAssembly memory lowers the process's resident memory by as much. Best effort: Pyodide's internals may differ.
 */
function forgetSnapshot(pyodide: PyodideAPI): void {
  try {
    delete (pyodide as unknown as { _api: { config: { _loadSnapshot?: unknown } } })._api.config._loadSnapshot;
  } catch {
    // nothing held, or not ours to drop
  }
}

/**
 * The bridge function taking JSON text, sent as UTF-8 bytes above {@link BYTES_ABOVE} characters.
 * `JSON.stringify` never emits a lone surrogate (it escapes them), so the encoding loses nothing.
 */
function bridgeHandle(pyodide: PyodideAPI, handleText: HandleRequest): (request: string) => string {
  const wrap = pyodide.runPython("lambda handle: lambda data: handle(data.to_bytes())") as PyProxyCallable;
  const fromBytes = wrap(handleText) as HandleRequest;
  wrap.destroy();
  return (request) => (request.length > BYTES_ABOVE ? fromBytes(encoder.encode(request)) : handleText(request));
}

/**
 * Sends one request through the bridge. Python exceptions (a bug) become `STORAGE_ERROR`. Every error
 * leaves through here, so this is where the runtime's file paths in its message and details become the
 * host's (`toHost`): users never see where the runtime mounted their directory.
 */
function send(
  handle: (request: string) => string,
  toHost: (text: string) => string,
  op: string,
  ledger: number | undefined,
  args?: JsonObject,
): JsonValue {
  const request: Record<string, JsonValue> = { op };
  if (ledger !== undefined) request["ledger"] = ledger;
  if (args !== undefined) request["args"] = args;
  let text: string;
  try {
    text = handle(JSON.stringify(request));
  } catch (err) {
    // A PythonError carries only strings; nothing here keeps a PyProxy alive.
    const detail = err instanceof Error ? err.message : String(err);
    throw new StorageError(toHost(`the engine failed unexpectedly during "${op}": ${detail}`), { op });
  }
  const response = JSON.parse(text) as BridgeResponse;
  if (response.ok) return response.result;
  const { code, message, details } = response.error;
  throw errorFromCode(code, toHost(message), mapStrings(details ?? {}, toHost));
}

/** `value` with `fn` applied to every string in it (keys stay as they are). */
function mapStrings<T extends JsonValue>(value: T, fn: (text: string) => string): T;
function mapStrings(value: JsonValue, fn: (text: string) => string): JsonValue {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fn));
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = mapStrings(item, fn);
  return out;
}

/** Whether a runtime is loaded or loading (for tests and the CLI). */
export function runtimeStarted(): boolean {
  return loading !== undefined;
}

