/**
 * Where the browser runtime's static files are, and fetching the engine wheel from there. Everything
 * comes from one folder on the app's own origin (docs/BROWSER.md); nothing is ever loaded from a CDN
 * or by package name. Not public.
 */

import { ConfigError } from "../../errors.js";
import type { RuntimeAssets } from "../host.js";
import { importPyodide } from "./pyodide-loader.js";

/** `manifest.json` in the assets folder, written by scripts/lib/browser.mjs. */
export interface BrowserManifest {
  /** Engine version inside the wheel. */
  engineVersion: string;
  /** File name of the engine wheel. */
  wheel: string;
  /** File name of the (precompiled) stdlib zip, or null for Pyodide's own. */
  stdlib: string | null;
  /** File name of the memory snapshot of a started engine, or null to start normally (slower, smaller). */
  snapshot: string | null;
  /** File name of the stdlib zip a start from the snapshot mounts (without the modules it has imported), or null. */
  snapshotStdlib?: string | null;
  /** The Pyodide version the stdlib and snapshot fit (read by the Node runtime; the browser's Pyodide is the folder's own). */
  pyodide?: string;
}

/** The file name of the worker script in the assets folder. */
export const WORKER_SCRIPT = "nucleus-worker.js";

let configured: string | undefined;

/** The default assets folder: the folder this module was loaded from (dist/browser/ in the package). */
export function defaultAssetsURL(): string {
  return new URL("./", import.meta.url).href;
}

/**
 * Resolves an `assetsURL` option to an absolute URL with a trailing slash (relative URLs resolve against
 * the page). Throws `INVALID_CONFIG` for a string that is not a URL.
 */
export function resolveAssetsURL(option: string | URL | undefined): string {
  if (option === undefined) return defaultAssetsURL();
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(String(option), base);
  } catch {
    throw new ConfigError(`assetsURL ${JSON.stringify(String(option))} is not a URL; give the folder that holds pyodide.asm.wasm, e.g. "/nucleus/"`);
  }
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}

/** Remembers the assets folder for the runtime's first load. */
export function useAssetsURL(url: string): void {
  configured = url;
}

/** The assets folder the runtime loads (or loaded) from. */
export function currentAssetsURL(): string {
  return configured ?? defaultAssetsURL();
}

/** Fetches one asset; a 404 or a network failure becomes `INVALID_CONFIG` naming the URL and the option. */
export async function fetchAsset(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new ConfigError(`could not fetch ${url} (${err instanceof Error ? err.message : String(err)}); ${HINT}`, { url });
  }
  if (!response.ok) throw new ConfigError(`could not fetch ${url}: HTTP ${response.status}; ${HINT}`, { url });
  return response;
}

const HINT = "serve the files of @onoal/nucleus/dist/browser/ from your origin and point the assetsURL option at that folder (docs/BROWSER.md)";

async function bytes(url: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetchAsset(url)).arrayBuffer());
}

/**
 * The runtime's files: Pyodide from the assets folder, the snapshot's bytes fetched from it (as a promise),
 * the engine wheel fetched only when asked for (a normal start). The folder's manifest.json says which files it holds;
 * pyodide.mjs is imported meanwhile. A snapshot that cannot be fetched only means a normal start.
 */
export async function browserAssets(): Promise<RuntimeAssets> {
  const base = currentAssetsURL();
  const pyodide = importPyodide(base);
  pyodide.catch(() => {}); // reported by loadPyodide, which awaits the same promise
  const info = (await (await fetchAsset(new URL("manifest.json", base).href)).json()) as BrowserManifest;
  // Still downloading while Pyodide fetches and compiles its wasm; if it fails, the start is normal.
  const snapshot = info.snapshot ? bytes(new URL(info.snapshot, base).href) : undefined;
  snapshot?.catch(() => {}); // reported through loadPyodide, which awaits the same promise
  const wheel = (): Promise<Uint8Array> => bytes(new URL(info.wheel, base).href);
  return {
    indexURL: base,
    stdLibURL: info.stdlib === null ? undefined : new URL(info.stdlib, base).href,
    snapshotStdLibURL: info.snapshot && info.snapshotStdlib ? new URL(info.snapshotStdlib, base).href : undefined,
    snapshot,
    wheel,
    engineVersion: info.engineVersion,
  };
}
