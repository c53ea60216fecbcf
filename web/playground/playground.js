// The Nucleus playground: one in-memory ledger, driven by the public API of @onoal/nucleus
// (resolved to /nucleus/nucleus.js by the import map in index.html). `?worker=1` runs the engine
// in a Web Worker instead of on the page.
import { createLedger } from "@onoal/nucleus";

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
  return `${code}${escape(err && err.message ? err.message : err)}`;
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
  block.innerHTML = `
    <header>
      <span class="seq">#${seq}</span>
      <span class="hash mono" title="${hash}"></span>
      <span class="stream">${escape(record.stream)}</span>
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
}

function markFresh(n) {
  const blocks = $("chain").querySelectorAll(".block");
  for (let i = 0; i < n && i < blocks.length; i++) blocks[i].classList.add("fresh");
}

// -- actions ---------------------------------------------------------------------------------------

async function remember(hashes) {
  for (const hash of hashes) entries.push(await ledger.getEntry(hash));
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
