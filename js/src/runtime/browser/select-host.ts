/**
 * The browser build's replacement for ../select-host.ts (swapped in by scripts/lib/browser.mjs), so
 * that no `node:` import reaches a browser bundle. Not public.
 */

import type { Host } from "../host.js";
import { browserHost } from "./host.js";

/** The host of this platform: always the browser's. */
export function selectHost(): Host {
  return browserHost;
}
