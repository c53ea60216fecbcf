/** The JSON shapes of the engine bridge (docs/BRIDGE.md). Not public. */

import type { JsonObject, JsonValue } from "../json.js";

/** Storage as the engine's `open` takes it; paths are inside the Pyodide file system. */
export type BridgeStorage =
  | { type: "none" }
  | { type: "sqlite"; path: string; durability: "full" | "fast"; lock: boolean; readOnly: boolean }
  | { type: "postgres"; dsn: string; schema?: string; timeout?: number };

/**
 * A storage opened on the host: what to tell the engine, and how to let go of it. Here rather than in host.ts,
 * which the public declarations must not reach: host.ts names Pyodide's types, and the package does not
 * depend on the `pyodide` package (it ships Pyodide's files in dist/browser/).
 */
export interface HostStorage {
  /** The storage argument of the bridge's `open`. */
  bridge: BridgeStorage;
  /** Releases host resources (the file lock). Safe to call twice. */
  release(): void;
}

/** One request: `{op, ledger?, args?}`. */
export interface BridgeRequest {
  op: string;
  ledger?: number;
  args?: JsonObject;
}

/**
 * Where a ledger's requests go: the engine in this thread, or the one in the page's Nucleus worker. Either way a
 * request reaches the engine's `handle_request` as it was sent.
 */
export interface Transport {
  /** Sends `{op, ledger?, args?}`; resolves to the result, or rejects with the error mapped to its class. */
  send(op: string, ledger: number | undefined, args?: JsonObject): Promise<JsonValue>;
}

/** An error as the bridge reports it. */
export interface BridgeError {
  code: string;
  message: string;
  details?: JsonObject;
}

/** One response. */
export type BridgeResponse = { ok: true; result: JsonValue } | { ok: false; error: BridgeError };

/** Result of the `version` op. */
export interface EngineVersion {
  engine: string;
  format: number;
  codes: string[];
}

/** Result of the `open` op. */
export interface OpenResult {
  handle: number;
  length: number;
  latestHash: string | null;
  /** Whether the storage was opened read-only. */
  readOnly: boolean;
  /** What the ledger cannot promise (empty unless read-only). */
  caveats: string[];
}
