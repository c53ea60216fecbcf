// Driven by bench/proofs_browser.py (for bench/bench_proofs.mjs). Times standalone verifyInclusion and
// verifyConsistency (no ledger, no engine: WebCrypto) on proofs made from a 1,000,000-entry ledger, read from
// /data/samples.json; ?repeat=N verifies each sample N times. Every call must resolve to true.
import { verifyConsistency, verifyInclusion } from "@onoal/nucleus";

const repeat = Number(new URLSearchParams(location.search).get("repeat") ?? "10");

async function timeEach(samples, verify) {
  const out = [];
  for (const s of samples) await verify(s); // warm-up: V8 compiles the path, WebCrypto starts
  for (let r = 0; r < repeat; r++) {
    for (const s of samples) {
      const t0 = performance.now();
      const ok = await verify(s);
      out.push(performance.now() - t0);
      if (ok !== true) throw new Error("a proof did not verify");
    }
  }
  return out;
}

try {
  const samples = await (await fetch("/data/samples.json")).json();
  const inclusion = await timeEach(samples.inclusion, (s) => verifyInclusion(s.entry, s.proof, s.checkpoint));
  const consistency = await timeEach(samples.consistency, (s) => verifyConsistency(s.old, s.checkpoint, s.proof));
  window.benchResult = { inclusion, consistency };
} catch (err) {
  window.benchResult = { error: String(err && err.stack ? err.stack : err) };
}
document.getElementById("out").textContent = JSON.stringify(window.benchResult);
