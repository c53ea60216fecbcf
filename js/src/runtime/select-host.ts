/**
 * Picks the platform's {@link Host}. This module is the Node.js build's; the browser build swaps in
 * runtime/browser/select-host.ts (scripts/lib/browser.mjs), so that no `node:` import reaches a browser
 * bundle. Not public.
 */

import { StorageUnsupportedError } from "../errors.js";
import type { Host } from "./host.js";
import { nodeHost } from "./node/host.js";
import { isNode } from "./platform.js";

/** The host of this platform. */
export function selectHost(): Host {
  // Reached outside Node.js only when a bundler or loader picked the package's Node.js entry instead of
  // its `browser` export.
  if (!isNode()) {
    throw new StorageUnsupportedError(
      "this is the Node.js build of @onoal/nucleus; in a browser import its browser build " +
        '("@onoal/nucleus/browser", which bundlers pick through the package\'s "browser" export; docs/BROWSER.md)',
    );
  }
  return nodeHost;
}
