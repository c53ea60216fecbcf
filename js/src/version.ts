/** The package version, injected by the build from package.json. Not public. */

declare const __NUCLEUS_VERSION__: string;

/** `@onoal/nucleus` version; the engine inside must report the same. */
export const VERSION: string = typeof __NUCLEUS_VERSION__ === "string" ? __NUCLEUS_VERSION__ : "0.0.0-dev";
