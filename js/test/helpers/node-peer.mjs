/**
 * The Node peer of tests_browser/test_differential.py: one JSON request per line on stdin, one JSON line
 * out per request, in order; one engine for the whole process. The package is the build in js/dist/
 * (or the module NUCLEUS_PACKAGE names).
 *
 *   {"op": "run", ledger, records, exported?}   → runPeer (peer.mjs)
 *   {"op": "corpus", ledger, seed, runs}        → [{records, accepted?, node}]: the edge records
 *       (records.mjs, with `accepted`), then `runs` batches fast-check generates from `seed`, each in wire
 *       form with `node`, the run of it here
 */

import fc from "fast-check";
import { runPeer, toWire } from "./peer.mjs";
import { batch, edgeRecords } from "./records.mjs";

const N = await import(process.env.NUCLEUS_PACKAGE || new URL("../../dist/index.js", import.meta.url).href);

async function handle(request) {
  const { op, ledger } = request;
  if (op === "run") return runPeer(N, request);
  if (op === "corpus") {
    const edges = edgeRecords();
    const corpus = [
      { records: edges.map((e) => toWire(e.record)), accepted: edges.map((e) => e.accepted) },
      ...fc.sample(batch(), { seed: request.seed, numRuns: request.runs }).map((records) => ({ records: records.map(toWire) })),
    ];
    for (const item of corpus) item.node = await runPeer(N, { ledger, records: item.records });
    return corpus;
  }
  throw new Error(`unknown op ${JSON.stringify(op)}`);
}

let buffered = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) {
  buffered += chunk;
  for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    process.stdout.write(`${JSON.stringify(await handle(JSON.parse(line)))}\n`);
  }
}
