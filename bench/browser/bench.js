// Driven by bench/bench_browser.py. Times, in ms since navigation started (performance.now()):
// the ledger ready, the first append resolved; with ?work=1 also 1,000 sequential appends, one
// 10,000-record batch, a full verify, and the longest stall of the page's event loop during the batch.
// ?worker=1 runs the engine in a Web Worker; ?assets=/folder/ loads the runtime from another folder.
import { createLedger, runtimeInfo } from "@onoal/nucleus";
import { makeRecord } from "./record.mjs";

const params = new URLSearchParams(location.search);
const worker = params.get("worker") === "1";
const work = params.get("work") === "1";
const assetsURL = params.get("assets") ?? undefined; // default: the folder of nucleus.js

/** Longest gap between 5 ms timer ticks while `fn` runs: how long the page could not respond. */
async function longestStall(fn) {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  try {
    await fn();
    const now = performance.now();
    worst = Math.max(worst, now - last);
  } finally {
    clearInterval(timer);
  }
  return worst;
}

async function main() {
  const out = { worker };
  const ledger = await createLedger({ id: "bench", worker, assetsURL });
  out.ready = performance.now();
  await ledger.append(makeRecord(0));
  out.firstAppend = performance.now();
  // Bytes the page took over the network for the runtime's files until now (0 for a file the HTTP cache
  // served without asking the server; compressed size when the server compresses). Page mode only: a
  // worker's fetches are in the worker's timeline.
  const assets = new URL(assetsURL ?? "/nucleus/", location.href).href;
  const fetched = performance.getEntriesByType("resource").filter((e) => e.name.startsWith(assets));
  out.assetBytes = fetched.reduce((n, e) => n + e.transferSize, 0);
  out.assetFiles = Object.fromEntries(fetched.map((e) => [e.name.slice(assets.length), e.transferSize]));
  if (!worker) {
    const info = await runtimeInfo(); // the page's runtime (in worker mode it would start another one)
    out.startMode = info.startMode;
    out.timings = info.timings;
  }
  if (work) {
    const per = [];
    const start = performance.now();
    for (let i = 1; i <= 1000; i++) {
      const t = performance.now();
      await ledger.append(makeRecord(i));
      per.push(performance.now() - t);
    }
    out.appends1k = performance.now() - start;
    out.appendSamples = per;
    const batch = Array.from({ length: 10_000 }, (_, i) => makeRecord(1001 + i));
    let batchMs = 0;
    out.batchStall = await longestStall(async () => {
      const t = performance.now();
      await ledger.appendBatch(batch);
      batchMs = performance.now() - t;
    });
    out.batch10k = batchMs;
    const v = performance.now();
    await ledger.verify();
    out.verify = performance.now() - v;
    out.length = await ledger.length();
  }
  await ledger.close();
  window.benchResult = out;
  document.getElementById("out").textContent = JSON.stringify(out, (k, v) => (k === "appendSamples" ? undefined : v), 2);
}

main().catch((err) => {
  window.benchResult = { error: `${err.code ?? err.name}: ${err.message}` };
});
