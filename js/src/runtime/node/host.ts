/** The Node.js {@link Host}: local assets, the fsync hook, file locks and NODEFS mounts. Not public. */

import type { Host } from "../host.js";
import { nodeAssets } from "./assets.js";
import { installFsyncHook } from "./fsync.js";
import { hostPathsIn } from "./mounts.js";
import { openSqliteOnNode } from "./sqlite.js";

/** Platform services under Node.js. */
export const nodeHost: Host = {
  name: "Node.js",
  assets: nodeAssets,
  prepare: installFsyncHook,
  openSqlite: openSqliteOnNode,
  hostPaths: hostPathsIn,
};
