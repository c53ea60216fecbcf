// Helpers shared by the Node.js benchmark scripts (the JavaScript side of common.py): the statistics and number
// format of the result tables, and the benchmark record. The record itself lives in browser/record.mjs because the
// browser bench page is served from bench/browser/ and imports it from there.

import os from "node:os";

export { makeRecord, T0 } from "./browser/record.mjs";

/** The `q`th percentile (0–100) of `samples`, interpolated linearly between the closest ranks (as common.py). */
export function percentile(samples, q) {
  const data = [...samples].sort((a, b) => a - b);
  const pos = ((data.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return data[lo] + (data[hi] - data[lo]) * (pos - lo);
}

/** The median of `samples`. */
export const median = (samples) => percentile(samples, 50);

/** The 1-, 5- and 15-minute load averages, to two decimals. */
export const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

/** A number for a table cell: thousands separated from 10,000, fewer decimals the larger it is; "-" for none. */
export function fmt(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "-";
  if (x >= 10_000) return Math.round(x).toLocaleString("en-US");
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}
