/**
 * Picks the platform's {@link Host}. This build targets Node.js; a browser build replaces this module
 * (e.g. with an esbuild alias) so that no `node:` import reaches a browser bundle. Not public.
 */

import { StorageUnsupportedError } from "../errors.js";
import type { Host } from "./host.js";
import { nodeHost } from "./node/host.js";
import { isNode } from "./platform.js";

/** The host of this platform. */
export function selectHost(): Host {
  if (!isNode()) {
    throw new StorageUnsupportedError(
      "this build of @onoal/nucleus runs under Node.js only; a browser build is not available yet",
    );
  }
  return nodeHost;
}
