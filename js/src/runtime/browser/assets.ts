/**
 * Where the browser runtime's static files are, and fetching the engine wheel from there. Everything
 * comes from one folder on the app's own origin (docs/BROWSER.md); nothing is ever loaded from a CDN
 * or by package name. Not public.
 */

import { ConfigError } from "../../errors.js";
import type { RuntimeAssets } from "../host.js";

/** Injected by scripts/lib/browser.mjs from engine/manifest.json; absent in an unbundled build. */
declare const __NUCLEUS_BROWSER_MANIFEST__: BrowserManifest | undefined;

/** The part of engine/manifest.json the browser needs. */
export interface BrowserManifest {
  /** Engine version inside the wheel. */
  engineVersion: string;
  /** File name of the engine wheel in the assets folder. */
  wheel: string;
  /** File name of the (precompiled) stdlib zip in the assets folder, or null for Pyodide's own. */
  stdlib: string | null;
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

async function manifest(base: string): Promise<BrowserManifest> {
  if (typeof __NUCLEUS_BROWSER_MANIFEST__ === "object") return __NUCLEUS_BROWSER_MANIFEST__;
  return (await (await fetchAsset(new URL("manifest.json", base).href)).json()) as BrowserManifest;
}

/** The runtime's files: Pyodide from the assets folder, the engine wheel's bytes fetched from it. */
export async function browserAssets(): Promise<RuntimeAssets> {
  const base = currentAssetsURL();
  const info = await manifest(base);
  const wheel = new Uint8Array(await (await fetchAsset(new URL(info.wheel, base).href)).arrayBuffer());
  return {
    indexURL: base,
    stdLibURL: info.stdlib === null ? undefined : new URL(info.stdlib, base).href,
    snapshot: undefined,
    wheel,
    engineVersion: info.engineVersion,
  };
}
