// The Nucleus playground: one in-memory ledger, driven by the public API of @onoal/nucleus
// (resolved to /nucleus/nucleus.js by the import map in index.html). `?worker=1` runs the engine
// in a Web Worker instead of on the page.
import { createLedger, formatCheckpoint, generateKey, signNote, verifyConsistency, verifyInclusion, verifyNote } from "@onoal/nucleus";

const $ = (id) => document.getElementById(id);
const useWorker = new URLSearchParams(location.search).get("worker") === "1";
const LEDGER_ID = "playground";
const SAMPLES = [
  { stream: "orders", payload: { item: "croissant", qty: 1, total: 2.9 } },
  { stream: "payments", payload: { method: "card", amount: 8.7, currency: "EUR" } },
  { stream: "orders", payload: { item: "flat white", qty: 1, total: 3.6 } },
];

let ledger;
let entries = []; // {seq, hash, prevHash, record}, oldest first
let counter = 0;
let original = ""; // the last export, untouched
let selected = null; // seq of the block whose inclusion proof is shown
let proofRun = 0; // drops a proof view that a newer selection or append has overtaken
const seen = []; // the checkpoint after each append, oldest first: what a client of this ledger would keep
let signingKey; // {signer, verifier}, made in this page the first time a checkpoint is signed

// -- helpers ---------------------------------------------------------------------------------------

const short = (hash) => (hash ? `${hash.slice(0, 8)}…${hash.slice(-4)}` : "genesis");
const hue = (hash) => (hash ? parseInt(hash.slice(0, 6), 16) % 360 : 0);

function chip(hash) {
  const el = document.createElement("span");
  el.className = hash ? "chip" : "chip genesis";
  if (hash) el.style.setProperty("--h", hue(hash));
  return el;
}

function setStatus(state, text) {
  $("status").dataset.state = state;
  $("status-text").textContent = text;
}

function show(el, kind, html) {
  el.hidden = false;
  el.className = `callout ${kind}`;
  el.innerHTML = html;
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function errorHtml(err) {
  const code = err && err.code ? `<code>${escape(err.code)}</code> ` : "";
  const reason = err?.details?.reason ? `<code>${escape(err.details.reason)}</code> ` : "";
  return `${code}${reason}${escape(err && err.message ? err.message : err)}`;
}

function enable(on) {
  for (const id of ["append", "append-batch", "verify", "export"]) $(id).disabled = !on;
}

// -- rendering -------------------------------------------------------------------------------------

function renderBlock(entry) {
  const { seq, hash, prevHash, record } = entry;
  const block = document.createElement("article");
  block.className = "block";
  block.dataset.seq = String(seq);
  if (seq === selected) block.classList.add("selected");
  block.innerHTML = `
    <header>
      <span class="seq">#${seq}</span>
      <span class="hash mono" title="${hash}"></span>
      <span class="stream">${escape(record.stream)}</span>
      <button type="button" class="prove" aria-pressed="${seq === selected}" aria-label="Show the inclusion proof of #${seq}">proof</button>
    </header>
    <div class="meta">
      <span class="rid mono">${escape(record.id)}</span>
      <time>${new Date(record.timestamp).toLocaleTimeString([], { hour12: false })}</time>
    </div>
    <pre class="payload mono">${escape(JSON.stringify(record.payload, null, 1).replace(/\n\s*/g, " "))}</pre>
    <footer class="prev"><span class="label">prev</span><span class="mono" title="${prevHash ?? "first entry"}"></span></footer>`;
  const h = block.querySelector(".hash");
  h.append(chip(hash), short(hash));
  const p = block.querySelector(".prev .mono");
  p.append(chip(prevHash), short(prevHash));
  return block;
}

function renderChain() {
  const chain = $("chain");
  chain.querySelectorAll(".block, .link").forEach((el) => el.remove());
  $("chain-empty").hidden = entries.length > 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    chain.append(renderBlock(entries[i]));
    if (i > 0) {
      const link = document.createElement("div");
      link.className = "link";
      link.setAttribute("aria-hidden", "true");
      chain.append(link);
    }
  }
  $("stat-length").textContent = String(entries.length);
  const tip = entries.at(-1)?.hash;
  $("stat-tip").textContent = tip ? short(tip) : "—";
  $("stat-tip").title = tip ?? "";
  if (selected !== null) refreshProof();
}

function markFresh(n) {
  const blocks = $("chain").querySelectorAll(".block");
  for (let i = 0; i < n && i < blocks.length; i++) blocks[i].classList.add("fresh");
}

// -- actions ---------------------------------------------------------------------------------------

async function remember(hashes) {
  for (const hash of hashes) entries.push(await ledger.getEntry(hash));
  seen.push(await ledger.checkpoint());
  renderChain();
  markFresh(hashes.length);
  $("verify-result").hidden = true;
}

function nextId(stream) {
  counter += 1;
  return `${stream.replace(/s$/, "")}-${counter}`;
}

/** Suggests the next id in the form, after whatever was appended last. */
function suggestId() {
  $("record-id").value = `${$("stream").value.trim().replace(/s$/, "") || "record"}-${counter + 1}`;
}

async function onAppend(event) {
  event.preventDefault();
  const err = $("form-error");
  err.hidden = true;
  let payload;
  try {
    payload = JSON.parse($("payload").value);
  } catch (e) {
    err.hidden = false;
    err.textContent = `Payload is not valid JSON: ${e.message}`;
    return;
  }
  const record = { id: $("record-id").value.trim(), stream: $("stream").value.trim(), payload };
  try {
    const hash = await ledger.append(record);
    counter += 1;
    await remember([hash]);
    suggestId();
  } catch (e) {
    err.hidden = false;
    err.innerHTML = errorHtml(e);
  }
}

async function onBatch() {
  const records = SAMPLES.map((s) => ({ ...s, id: nextId(s.stream) }));
  const hashes = await ledger.appendBatch(records);
  await remember(hashes);
  suggestId();
}

async function onVerify() {
  const out = $("verify-result");
  try {
    const started = performance.now();
    await ledger.verify();
    const ms = (performance.now() - started).toFixed(1);
    const n = await ledger.length();
    show(out, "ok", `<strong>Chain verified.</strong> ${n} ${n === 1 ? "entry" : "entries"}, every hash and link checked in ${ms} ms.`);
    $("chain").querySelectorAll(".block").forEach((b) => b.classList.add("verified"));
  } catch (e) {
    show(out, "bad", errorHtml(e));
  }
}

async function onExport() {
  original = await ledger.export();
  const text = $("export-text");
  text.value = original;
  text.disabled = false;
  for (const id of ["tamper", "download", "import"]) $(id).disabled = false;
  $("tamper-note").hidden = true;
  $("import-result").hidden = true;
  clearBroken();
}

function onTamper() {
  const lines = $("export-text").value.split("\n");
  // Line 0 is the header; entry lines follow in seq order. Pick the middle entry.
  const entryLines = lines.slice(1).filter((l) => l.trim() !== "");
  if (entryLines.length === 0) return;
  const pick = Math.floor((entryLines.length - 1) / 2);
  const entry = JSON.parse(entryLines[pick]);
  const payload = entry.record.payload;
  const key = Object.keys(payload).find((k) => typeof payload[k] === "number");
  let change;
  if (key !== undefined && !Array.isArray(payload)) {
    const before = payload[key];
    payload[key] = Math.round((before * 10 + 1000)) / 10;
    change = `<code>${escape(key)}</code> ${before} → ${payload[key]}`;
  } else {
    payload.tampered = true;
    change = "added <code>tampered: true</code>";
  }
  lines[1 + pick] = JSON.stringify(entry);
  $("export-text").value = lines.join("\n");
  const note = $("tamper-note");
  note.hidden = false;
  note.innerHTML = `Edited the copy: entry <strong>#${entry.seq}</strong>, payload ${change}. The ledger itself is untouched.`;
  $("import-result").hidden = true;
}

function clearBroken() {
  $("chain").querySelectorAll(".block.broken").forEach((b) => b.classList.remove("broken"));
}

async function onImport() {
  const out = $("import-result");
  clearBroken();
  let copy;
  try {
    copy = await createLedger({ id: LEDGER_ID, worker: useWorker });
    const result = await copy.importEntries($("export-text").value);
    await copy.verify();
    show(out, "ok", `<strong>Import accepted.</strong> ${result.imported} entries copied into a fresh ledger and verified; its latest hash is <span class="mono">${short(await copy.latestHash())}</span>.`);
  } catch (e) {
    if (e.code === "CHAIN_INVALID") {
      const block = $("chain").querySelector(`.block[data-seq="${e.seq}"]`);
      block?.classList.remove("verified");
      block?.classList.add("broken");
      block?.scrollIntoView({ block: "center", behavior: "smooth" });
      show(out, "bad", `<strong>Import refused: the chain breaks at seq ${e.seq}</strong> (${escape(e.kind)}).<br><span class="detail">${errorHtml(e)}</span>`);
      out.dataset.seq = String(e.seq);
    } else {
      show(out, "bad", `<strong>Import refused.</strong> ${errorHtml(e)}`);
    }
  } finally {
    await copy?.close();
  }
}

function onDownload() {
  const blob = new Blob([$("export-text").value], { type: "application/x-ndjson" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `nucleus-${LEDGER_ID}-${entries.length}.jsonl`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// -- proofs ----------------------------------------------------------------------------------------

const short64 = (b64) => `${b64.slice(0, 10)}…`;
const range = (lo, hi) => (hi - lo === 1 ? `#${lo}` : `#${lo}–#${hi - 1}`);
const fromHex = (hex) => Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
const fromB64 = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const toB64 = (bytes) => btoa(String.fromCharCode(...bytes));

async function sha256(...parts) {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** The subtree each hash of leaf m's inclusion path stands for, bottom-up: RFC 9162 §2.1.3.1's PATH(m, D[lo:hi]). */
function siblings(m, lo, hi) {
  if (hi - lo <= 1) return [];
  let k = 1;
  while (k * 2 < hi - lo) k *= 2; // the largest power of two below hi - lo
  return m < lo + k
    ? [...siblings(m, lo, lo + k), { side: "right", lo: lo + k, hi }]
    : [...siblings(m, lo + k, hi), { side: "left", lo, hi: lo + k }];
}

/**
 * The climb from the entry's leaf to the root, each node with the subtree it covers and its hash. Worked out
 * here only to draw it; whether the proof holds is verifyInclusion's verdict, shown beside it.
 */
async function climb(entry, proof) {
  const leaf = { lo: entry.seq, hi: entry.seq + 1, hash: await sha256(Uint8Array.of(0), fromHex(entry.hash)) };
  let node = leaf;
  const steps = [];
  for (const [i, s] of siblings(proof.index, 0, proof.size).entries()) {
    const sibling = fromB64(proof.path[i]);
    node = s.side === "right"
      ? { lo: node.lo, hi: s.hi, hash: await sha256(Uint8Array.of(1), node.hash, sibling) }
      : { lo: s.lo, hi: node.hi, hash: await sha256(Uint8Array.of(1), sibling, node.hash) };
    steps.push({ ...s, sibling: proof.path[i], node });
  }
  return { leaf, steps, root: node };
}

/** What "Copy" hands out and the checker takes: the proof with what it is checked against. */
function inclusionBundle(entry, proof, checkpoint) {
  return JSON.stringify({ entry: { seq: entry.seq, hash: entry.hash }, proof, checkpoint: formatCheckpoint(checkpoint) }, null, 2);
}

async function showProof(seq) {
  const run = ++proofRun;
  const entry = entries[seq];
  const checkpoint = await ledger.checkpoint();
  const proof = await ledger.inclusionProof(seq, checkpoint.size);
  const { leaf, steps, root } = await climb(entry, proof);
  let verdict;
  try {
    await verifyInclusion({ seq, hash: entry.hash }, proof, checkpoint);
    verdict = `<span class="verdict ok">verified ✓</span>`;
  } catch (e) {
    verdict = `<span class="verdict bad"><strong>not verified</strong> ${errorHtml(e)}</span>`;
  }
  const block = $("chain").querySelector(`.block[data-seq="${seq}"]`);
  if (run !== proofRun || selected !== seq || !block) return;
  $("chain").querySelectorAll(".block .proof-view").forEach((el) => el.remove());
  const view = document.createElement("section");
  view.className = "proof-view";
  view.setAttribute("aria-label", `Inclusion proof of #${seq}`);
  const row = (cls, side, lo, hi, hash, rest = "") =>
    `<li class="${cls}"><span class="side">${side}</span><span class="range">${range(lo, hi)}</span><span class="mono" title="${hash}">${short64(hash)}</span>${rest}</li>`;
  const rootMatches = toB64(root.hash) === checkpoint.root;
  view.innerHTML = `
    <div class="proof-head"><strong>Inclusion proof</strong><span class="help">at size ${proof.size} · ${proof.path.length} ${proof.path.length === 1 ? "hash" : "hashes"}</span><span role="status">${verdict}</span></div>
    <ol class="path" aria-label="Path from #${seq} to the root">
      ${row("leaf", "leaf", leaf.lo, leaf.hi, toB64(leaf.hash))}
      ${steps.map((s) => row(`level ${s.side}`, `+ ${s.side}`, s.lo, s.hi, s.sibling, `<span class="arrow" aria-label="gives">→</span><span class="range">${range(s.node.lo, s.node.hi)}</span><span class="mono" title="${toB64(s.node.hash)}">${short64(toB64(s.node.hash))}</span>`)).join("")}
      ${row("root", "root", 0, proof.size, checkpoint.root, `<span class="match">${rootMatches ? "= the checkpoint's root" : "≠ the checkpoint's root"}</span>`)}
    </ol>
    <pre class="checkpoint mono" aria-label="Checkpoint">${escape(formatCheckpoint(checkpoint))}</pre>
    <div class="buttons">
      <button type="button" data-copy="inclusion">Copy inclusion proof</button>
      <button type="button" data-copy="consistency" title="From the first checkpoint that held #${seq} to the current one">Copy consistency proof</button>
      <button type="button" data-sign class="ghost">Sign the checkpoint</button>
      <span class="copy-note" role="status"></span>
    </div>`;
  const on = (selector, act) =>
    view.querySelector(selector).addEventListener("click", (ev) =>
      act(ev.currentTarget).catch((e) => (view.querySelector(".copy-note").innerHTML = errorHtml(e))),
    );
  on('[data-copy="inclusion"]', (button) => copy(`inclusion proof of #${seq} at size ${proof.size}`, inclusionBundle(entry, proof, checkpoint), button));
  on('[data-copy="consistency"]', (button) => copyConsistency(seq, button));
  on("[data-sign]", (button) => signCheckpoint(view, checkpoint, button));
  block.append(view);
}

function refreshProof() {
  showProof(selected).catch((e) => show($("verify-result"), "bad", errorHtml(e)));
}

function onSelect(event) {
  const block = event.target.closest(".block");
  if (!block || event.target.closest(".proof-view")) return;
  const seq = Number(block.dataset.seq);
  // The button toggles; a click elsewhere on a block only selects it.
  selected = selected === seq && event.target.closest(".prove") ? null : seq;
  $("chain").querySelectorAll(".block").forEach((b) => {
    const on = Number(b.dataset.seq) === selected;
    b.classList.toggle("selected", on);
    b.querySelector(".prove").setAttribute("aria-pressed", String(on));
  });
  if (selected === null) {
    proofRun += 1;
    $("chain").querySelectorAll(".proof-view").forEach((el) => el.remove());
  } else {
    refreshProof();
  }
}

async function copy(what, text, button) {
  const note = button.parentElement.querySelector(".copy-note");
  note.textContent = "";
  try {
    await navigator.clipboard.writeText(text);
    note.textContent = `Copied the ${what}: paste it into “Check a proof”.`;
  } catch {
    // No clipboard here (not a secure context, or permission refused): hand the proof to the checker instead.
    $("check-text").value = text;
    note.textContent = `No clipboard here: the ${what} is in “Check a proof”.`;
  }
}

async function copyConsistency(seq, button) {
  const older = seen.find((cp) => cp.size > seq);
  const now = await ledger.checkpoint();
  const proof = await ledger.consistencyProof(older.size, now.size);
  await copy(`consistency proof from size ${older.size} to ${now.size}`, JSON.stringify({ oldCheckpoint: formatCheckpoint(older), newCheckpoint: formatCheckpoint(now), proof }, null, 2), button);
}

async function signCheckpoint(view, checkpoint, button) {
  signingKey ??= await generateKey("playground.example/log");
  const note = await signNote(formatCheckpoint(checkpoint), signingKey.signer);
  const { signers } = await verifyNote(note, [signingKey.verifier]);
  view.querySelector(".checkpoint").textContent = note;
  button.replaceWith(Object.assign(document.createElement("p"), {
    className: "signed",
    innerHTML: `Signed note verified ✓ by <code>${escape(signers.join(", "))}</code>, key <code class="key">${escape(signingKey.verifier)}</code>`,
  }));
}

/** The checker: a pasted proof against its checkpoint(s), by verifyInclusion or verifyConsistency alone. */
async function onCheck() {
  const out = $("check-result");
  delete out.dataset.code;
  delete out.dataset.reason;
  let bundle;
  try {
    bundle = JSON.parse($("check-text").value);
  } catch (e) {
    show(out, "bad", `<strong>Not JSON.</strong> ${escape(e.message)}`);
    return;
  }
  const keys = bundle && typeof bundle === "object" && !Array.isArray(bundle) ? Object.keys(bundle).sort().join(",") : "";
  try {
    if (keys === "checkpoint,entry,proof") {
      await verifyInclusion(bundle.entry, bundle.proof, bundle.checkpoint);
      show(out, "ok", `<strong>Valid inclusion proof.</strong> Entry #${bundle.entry.seq} (<span class="mono">${short(bundle.entry.hash)}</span>) is in the ledger of size ${bundle.proof.size}.`);
    } else if (keys === "newCheckpoint,oldCheckpoint,proof") {
      await verifyConsistency(bundle.oldCheckpoint, bundle.newCheckpoint, bundle.proof);
      show(out, "ok", `<strong>Valid consistency proof.</strong> The ledger of size ${bundle.proof.to} extends the one of size ${bundle.proof.from}, unchanged.`);
    } else {
      show(out, "bad", "<strong>Not a proof to check.</strong> Expected <code>{entry, proof, checkpoint}</code> or <code>{oldCheckpoint, newCheckpoint, proof}</code>, as the Copy buttons give.");
    }
  } catch (e) {
    if (e?.code) out.dataset.code = e.code;
    if (e?.details?.reason) out.dataset.reason = e.details.reason;
    show(out, "bad", `<strong>${e?.code === "PROOF_INVALID" ? "The proof does not hold." : "Malformed input."}</strong> ${errorHtml(e)}`);
  }
}

// -- start -----------------------------------------------------------------------------------------

async function main() {
  $("mode").textContent = useWorker ? "Engine: Web Worker" : "Engine: on the page";
  $("mode-switch").href = useWorker ? "?" : "?worker=1";
  $("mode-switch").textContent = useWorker ? "Run the engine on the page" : "Run the engine in a Web Worker";
  $("append-form").addEventListener("submit", onAppend);
  $("append-batch").addEventListener("click", () => onBatch().catch((e) => show($("verify-result"), "bad", errorHtml(e))));
  $("verify").addEventListener("click", onVerify);
  $("export").addEventListener("click", onExport);
  $("tamper").addEventListener("click", onTamper);
  $("import").addEventListener("click", onImport);
  $("download").addEventListener("click", onDownload);
  $("chain").addEventListener("click", onSelect);
  $("check").addEventListener("click", onCheck);

  const started = performance.now();
  try {
    ledger = await createLedger({ id: LEDGER_ID, worker: useWorker });
  } catch (e) {
    setStatus("error", `Engine failed to start: ${e.code ?? ""} ${e.message}`);
    throw e;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  setStatus("ready", `Engine ready in ${seconds} s · in memory${useWorker ? " · Web Worker" : ""}`);
  document.body.dataset.ready = "true";
  enable(true);
  renderChain();
}

main();
