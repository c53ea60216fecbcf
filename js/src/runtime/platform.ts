/** Which JavaScript platform this is. Not public. */

/** Whether this is Node.js (not a browser, not a worker without `process`). */
export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === "string";
}
