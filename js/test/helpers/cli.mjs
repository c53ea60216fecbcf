/** Test helpers for the `nucleus` command as installed from the tarball, and directory fingerprints. */

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { consumerDir } from "./consumer.mjs";

/** `node_modules/.bin/nucleus` of the consumer project. */
export const bin = join(consumerDir, "node_modules", ".bin", "nucleus");

/**
 * Runs `nucleus ...args` in `cwd`; resolves to {code, stdout, stderr, json (parsed stdout when it is JSON)}.
 * @returns {Promise<{code: number|null, stdout: string, stderr: string, json: any}>}
 */
export function runCli(args, { cwd, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      let json;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
    child.stdin.end(input ?? "");
  });
}

/**
 * A fingerprint of a directory tree: every entry's path relative to `directory` (directories end in
 * "/") and, for files, the SHA-256 of its bytes.
 */
export function fingerprint(directory, prefix = "") {
  const out = {};
  for (const name of readdirSync(join(directory, prefix)).sort()) {
    const rel = join(prefix, name);
    if (statSync(join(directory, rel)).isDirectory()) {
      out[`${rel}/`] = "";
      Object.assign(out, fingerprint(directory, rel));
    } else {
      out[rel] = createHash("sha256").update(readFileSync(join(directory, rel))).digest("hex");
    }
  }
  return out;
}

/**
 * `fn` over `items`, at most `limit` at a time (each `nucleus` process starts its own engine); resolves
 * to the results in order.
 */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
