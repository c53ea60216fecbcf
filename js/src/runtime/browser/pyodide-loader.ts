/**
 * The browser build's stand-in for the `pyodide` package (swapped in by scripts/lib/browser.mjs):
 * `loadPyodide` imports `pyodide.mjs` from the assets folder at run time instead of bundling it, so
 * Pyodide always finds its wasm and stdlib beside itself on the app's own origin. Not public.
 */

import type { loadPyodide as LoadPyodide, PyodideAPI } from "pyodide";

type Options = NonNullable<Parameters<typeof LoadPyodide>[0]>;
type PyodideModule = { loadPyodide: typeof LoadPyodide };

export type { PyodideAPI };

const imports = new Map<string, Promise<PyodideModule>>();

/** Imports `pyodide.mjs` from the folder `indexURL` (once per folder); call early to overlap the fetch. */
export function importPyodide(indexURL: string): Promise<PyodideModule> {
  const url = new URL("pyodide.mjs", indexURL).href;
  let mod = imports.get(url);
  if (mod === undefined) {
    // The comments keep bundlers from trying to resolve this import at build time.
    mod = import(/* webpackIgnore: true */ /* @vite-ignore */ url) as Promise<PyodideModule>;
    imports.set(url, mod);
  }
  return mod;
}

/** Loads Pyodide from `options.indexURL` (an absolute URL with a trailing slash). */
export async function loadPyodide(options: Options): Promise<PyodideAPI> {
  const mod = await importPyodide(options.indexURL ?? "./");
  return mod.loadPyodide(options);
}
