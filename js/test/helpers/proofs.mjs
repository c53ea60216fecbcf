/**
 * Merkle proofs through the package's public API, the same in Node and in Chromium (no imports): Node's tests
 * (js/test/proofs-vectors.test.mjs) import this module, tests_browser/test_proofs.py runs it on a page (from a
 * blob: URL) and in a Node process. tests_browser/differential_peer.py (`proof_turn`, `verify_cases`) is its
 * CPython twin.
 *
 * - {@link proofVectorVerdicts}: vectors/merkle/verify.json and ledger.json run with `verifyInclusion` and
 *   `verifyConsistency`.
 * - {@link proofTurn}: one runtime makes a ledger of the vectors' records and its checkpoints and proofs.
 * - {@link verifyCases}: one runtime's verdicts on proofs made anywhere.
 */

/** `{want: true}`, or `{want_error: {code, reason}}` (reason null unless PROOF_INVALID) of the NucleusError. */
async function outcome(call) {
  try {
    return { want: await call() };
  } catch (e) {
    if (typeof e?.code !== "string") throw e;
    return { want_error: { code: e.code, reason: e.code === "PROOF_INVALID" ? (e.details?.reason ?? null) : null } };
  }
}

/** `verifyInclusion` or `verifyConsistency` of `{verify, args}`. */
function call(N, { verify, args }) {
  return verify === "inclusion" ? N.verifyInclusion(...args) : N.verifyConsistency(...args);
}

/**
 * Every case of `verify` (verify.json) and `ledger` (ledger.json) run with `N`, the package: `[{name, got, want}]`.
 * verify.json's `python_only` cases hold a number JavaScript reads as another (6.0 is 6): not run here.
 */
export async function proofVectorVerdicts(N, { verify, ledger }) {
  const results = [];
  const record = async (name, want, run) => results.push({ name, got: await outcome(run), want });
  for (const [name, c] of Object.entries(verify.cases)) {
    if (c.python_only) continue;
    await record(`verify.json ${name}`, "want" in c ? { want: c.want } : { want_error: c.want_error }, () => call(N, c));
  }
  const ok = { want: true };
  for (const [i, c] of ledger.inclusion.entries()) {
    await record(`ledger.json inclusion[${i}]`, ok, () => N.verifyInclusion(c.entry, c.proof, c.checkpoint));
    await record(`ledger.json inclusion[${i}] (text)`, ok, () => N.verifyInclusion(c.entry, c.proof, N.formatCheckpoint(c.checkpoint)));
  }
  for (const [i, c] of ledger.consistency.entries()) {
    await record(`ledger.json consistency[${i}]`, ok, () => N.verifyConsistency(c.old, c.new, c.proof));
  }
  for (const [i, c] of ledger.checkpoints.entries()) {
    await record(`ledger.json checkpoints[${i}] text`, { want: c.text }, async () => N.formatCheckpoint(c.json));
    await record(`ledger.json checkpoints[${i}] parsed`, { want: c.json }, async () => N.parseCheckpoint(c.text));
  }
  for (const c of ledger.invalid) {
    const want = { want_error: { code: c.code, reason: c.reason } };
    await record(`ledger.json invalid: ${c.desc}`, want, () => call(N, c));
  }
  return results;
}

/** Record `i` of vectors/merkle/ledger.json (generate_merkle.py's `record`). */
export function vectorRecord(i) {
  return { id: `r${i}`, stream: "s", timestamp: 1_735_689_600_000 + i, payload: { i } };
}

/**
 * A new ledger `ledger` (in memory, or `storage` as the caller makes it) given `count` records of
 * {@link vectorRecord} in batches of `batch`; then `{entries, checkpoint, inclusion, consistency}`: its entry
 * hashes, `checkpoint()`, and `inclusionProof(seq, size)` of each `[seq, size]` of `inclusion`,
 * `consistencyProof(from, to)` of each `[from, to]` of `consistency`. (A ledger gives only its current checkpoint:
 * the callers make those of earlier sizes from the entries.)
 */
export async function proofTurn(N, { ledger: id, count, batch = 100, inclusion = [], consistency = [] }, storage) {
  const ledger = await N.createLedger(storage ? { id, storage } : { id });
  try {
    const entries = [];
    for (let start = 0; start < count; start += batch) {
      const records = [];
      for (let i = start; i < Math.min(count, start + batch); i++) records.push(vectorRecord(i));
      entries.push(...(await ledger.appendBatch(records)));
    }
    const out = { entries, checkpoint: await ledger.checkpoint(), inclusion: [], consistency: [] };
    for (const [seq, size] of inclusion) out.inclusion.push(await ledger.inclusionProof(seq, size));
    for (const [from, to] of consistency) out.consistency.push(await ledger.consistencyProof(from, to));
    return out;
  } finally {
    await ledger.close();
  }
}

/** The verdict of each `{verify, args}` of `cases`: `{want: true}` or `{want_error: {code, reason}}`. */
export async function verifyCases(N, cases) {
  const out = [];
  for (const c of cases) out.push(await outcome(() => call(N, c)));
  return out;
}
