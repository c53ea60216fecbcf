/**
 * The Node.js {@link Host}: local assets, the fsync hook, the verifier's primitives (SHA-256, JSON), Ed25519, file
 * locks and NODEFS mounts; docs/ARCHITECTURE.md ("What Node.js changes") says why each is needed. Not public.
 */

import type { PyodideAPI } from "pyodide";
import type { Host } from "../host.js";
import { nodeEd25519, nodeSha256 } from "../crypto.js";
import { lendPrimitives } from "../host-primitives.js";
import { nodeAssets } from "./assets.js";
import { installFsyncHook } from "./fsync.js";
import { hostPathsIn } from "./mounts.js";
import { installPgChannel, resolvePg } from "./pg-channel.js";
import { openSqliteOnNode } from "./sqlite.js";

/** Platform services under Node.js. */
export const nodeHost: Host = {
  assets: nodeAssets,
  prepare(pyodide: PyodideAPI): void {
    installFsyncHook(pyodide);
    lendPrimitives(pyodide, nodeSha256, nodeEd25519);
    installPgChannel(pyodide);
  },
  openSqlite: openSqliteOnNode,
  openPostgres(config) {
    resolvePg(); // a missing driver fails here, before the engine is asked
    const bridge: { type: "postgres"; dsn: string; schema?: string; timeout?: number } = { type: "postgres", dsn: config.connectionString };
    if (config.schema !== undefined) bridge.schema = config.schema;
    if (config.timeout !== undefined) bridge.timeout = config.timeout;
    return { bridge, release: () => {} };
  },
  hostPaths: hostPathsIn,
};
