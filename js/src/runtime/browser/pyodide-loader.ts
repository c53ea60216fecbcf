/**
 * The browser build's stand-in for the `pyodide` package (swapped in by scripts/lib/browser.mjs):
 * `loadPyodide` imports `pyodide.mjs` from the assets folder at run time instead of bundling it, so
 * Pyodide always finds its wasm and stdlib beside itself on the app's own origin. Not public.
 */

import type { loadPyodide as LoadPyodide, PyodideAPI } from "pyodide";

type Options = NonNullable<Parameters<typeof LoadPyodide>[0]>;

export type { PyodideAPI };

/** Loads Pyodide from `options.indexURL` (an absolute URL with a trailing slash). */
export async function loadPyodide(options: Options): Promise<PyodideAPI> {
  const url = new URL("pyodide.mjs", options.indexURL).href;
  // The comments keep bundlers from trying to resolve this import at build time.
  const mod = (await import(/* webpackIgnore: true */ /* @vite-ignore */ url)) as { loadPyodide: typeof LoadPyodide };
  return mod.loadPyodide(options);
}
