/**
 * The Node.js stand-in for the `pyodide` package (swapped in by scripts/lib/bundle.mjs): `loadPyodide` imports
 * `pyodide.mjs` from the package's own dist/browser/, the folder that also holds the engine files browsers are
 * served. Pyodide's files thus ship once, and the package does not depend on the `pyodide` package (whose
 * files would be a second copy in node_modules). Not public.
 */

import type { loadPyodide as LoadPyodide, PyodideAPI } from "pyodide";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { engineDir } from "./assets.js";

type Options = NonNullable<Parameters<typeof LoadPyodide>[0]>;

export type { PyodideAPI };

/** Loads Pyodide from dist/browser/ (`options.indexURL` is that folder). */
export async function loadPyodide(options: Options): Promise<PyodideAPI> {
  const url = pathToFileURL(join(engineDir(), "pyodide.mjs")).href;
  const mod = (await import(url)) as { loadPyodide: typeof LoadPyodide };
  return mod.loadPyodide(options);
}
