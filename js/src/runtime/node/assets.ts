/**
 * Finds the runtime's files under Node.js: this package's `dist/browser/` folder, the one shipped home of
 * Pyodide's files and the engine assets (wheel, precompiled stdlib, snapshot, manifest), which browsers are
 * served too; never a CDN. `NUCLEUS_NO_SNAPSHOT=1` in the environment skips the snapshot. Not public.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../errors.js";
import type { RuntimeAssets } from "../host.js";

/** `dist/browser/manifest.json`, written by scripts/lib/browser.mjs. */
export interface EngineManifest {
  /** Engine (and package) version. */
  engineVersion: string;
  /** File name of the engine wheel in dist/browser/. */
  wheel: string;
  /** File name of the (precompiled) stdlib in dist/browser/, or null to use Pyodide's own. */
  stdlib: string | null;
  /** File name of the memory snapshot in dist/browser/, or null. Made with the stdlib above. */
  snapshot?: string | null;
  /** File name of the stdlib zip a start from the snapshot mounts (without the modules it has imported), or null. */
  snapshotStdlib?: string | null;
  /** The Pyodide version of the folder's Pyodide files, which the stdlib and snapshot were made with. */
  pyodide?: string;
}

/** The package root: dist/.. (this code is bundled into dist/index.js and dist/index.cjs). */
export function packageRoot(): string {
  return fileURLToPath(new URL("..", import.meta.url));
}

/** The folder that holds the engine assets: dist/browser/ (shared with the browser build). */
export function engineDir(): string {
  return join(packageRoot(), "dist", "browser");
}

/** Reads the manifest (and the snapshot); throws `INVALID_CONFIG` naming the fix when the package is unbuilt. */
export async function nodeAssets(): Promise<RuntimeAssets> {
  const dir = engineDir();
  let manifest: EngineManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as EngineManifest;
  } catch {
    throw new ConfigError(
      `the Nucleus engine bundle is missing (${join(dir, "manifest.json")}); ` +
        "the package was not built: run `npm run build` in js/ (or reinstall @onoal/nucleus)",
    );
  }
  // Pyodide's own files are in the same folder, copied there by the build that made the stdlib and the
  // snapshot: they always fit each other.
  const indexURL = dir + "/";
  const stdLibURL = manifest.stdlib !== null ? join(dir, manifest.stdlib) : undefined;
  // The snapshot was made with that stdlib (its code objects name the zip's paths), so it goes only with it.
  // Pyodide reads the stdlib zip in a promise that nothing awaits when the start fails first: a missing zip would end
  // the process (an unhandled rejection), not fall back. Hence the snapshot only with its own zip present.
  const snapshotStdLibURL = manifest.snapshotStdlib ? join(dir, manifest.snapshotStdlib) : undefined;
  const useSnapshot =
    stdLibURL !== undefined && manifest.snapshot && snapshotStdLibURL && existsSync(snapshotStdLibURL) && !process.env["NUCLEUS_NO_SNAPSHOT"];
  const snapshot = useSnapshot ? readOptional(join(dir, manifest.snapshot as string)) : undefined;
  const wheel = async (): Promise<Uint8Array> => new Uint8Array(readFileSync(join(dir, manifest.wheel)));
  return { indexURL, stdLibURL, snapshotStdLibURL, snapshot, wheel, engineVersion: manifest.engineVersion };
}

function readOptional(path: string): Uint8Array | undefined {
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    return undefined;
  }
}
