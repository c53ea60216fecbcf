/**
 * The CPython peer of Node's differential tests (differential.test.mjs, proofs-vectors.test.mjs):
 * tests_browser/differential_peer.py, the engine in py/, in one process for the whole test file. One JSON
 * request per line in, one JSON line out, in order. Node-only (it spawns a process).
 */

import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";

/** The CPython peer: one process for the whole file, one JSON line per request and per response. */
export function startPython() {
  const script = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "tests_browser", "differential_peer.py");
  const child = spawn(process.env.PYTHON || "python3", [script], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting = [];
  let buffered = "";
  let failure;
  const fail = (err) => {
    failure ??= err;
    while (waiting.length) waiting.shift().reject(failure);
  };
  child.on("error", fail);
  child.on("exit", (code) => fail(new Error(`the CPython peer (${script}) exited with ${code}`)));
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    buffered += chunk;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()?.resolve(JSON.parse(line));
    }
  });
  after(() => child.stdin.end());
  return {
    run(request) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${JSON.stringify(request)}\n`);
      });
    },
  };
}
