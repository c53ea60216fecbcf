/**
 * The JavaScript side of the differential tests (js/test/differential.test.mjs,
 * tests_browser/test_differential.py): the wire form that carries records between runtimes, and one
 * "run" of a corpus against the package. No imports, so the same file runs under Node and in Chromium
 * (the browser test imports it from a blob: URL); tests_browser/differential_peer.py is its CPython twin.
 *
 * The wire form is JSON that keeps what JSON itself loses: strings, booleans and null are themselves
 * (lone surrogates travel as `\udXXX` escapes, which JSON.stringify writes and JSON.parse and Python's
 * json read back), an integer of the sender's language is `["i", "<decimal>"]`, any other number
 * `["n", "<spelling>"]` (`-0`, `NaN`, `Infinity`, `-Infinity`, `1e+21`, `5e-324`: Number() and Python's
 * float() read them all), an array `["l", [...]]` and an object `["o", [[key, value], ...]]` (member order
 * kept, and a `__proto__` key stays a key).
 */

/** A JS value in wire form. JS integers are the safe integers other than -0 (Python gets an int). */
export function toWire(value) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return ["i", String(value)];
    return ["n", Object.is(value, -0) ? "-0" : String(value)];
  }
  if (Array.isArray(value)) return ["l", value.map(toWire)];
  if (typeof value === "object") return ["o", Object.keys(value).map((k) => [k, toWire(value[k])])];
  throw new TypeError(`no wire form for ${typeof value}`);
}

/** The JS value of a wire form (objects get their keys as own data properties, `__proto__` included). */
export function fromWire(wire) {
  if (!Array.isArray(wire)) return wire;
  const [tag, body] = wire;
  switch (tag) {
    case "i":
    case "n":
      return Number(body);
    case "l":
      return body.map(fromWire);
    case "o": {
      const out = {};
      for (const [key, item] of body) {
        Object.defineProperty(out, key, { value: fromWire(item), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new TypeError(`unknown wire tag ${JSON.stringify(tag)}`);
  }
}

/** What a refused call gave: its code (or the class of an error that is no NucleusError) and message. */
function refusal(err) {
  return { code: err?.code ?? `not a NucleusError: ${err?.name}`, message: String(err?.message ?? err) };
}

/**
 * One run of `request` ({ledger, records (wire form), exported?, tampered?, worker?}) against the package `N`:
 *
 * - `verdicts`, `export`: each record appended on its own, in order, to a new in-memory ledger: its entry
 *   hash `{hash}` or the refusal `{code, message}`; then that ledger's export.
 * - `batch`: all the records appended as one batch to a new ledger: `{hashes}` or the refusal.
 * - `batchExport`: the export of a new ledger given the accepted records (those with a hash) as one batch.
 * - with `exported` (another runtime's export): it is imported into a new ledger, which gives
 *   `imported` (the result, or the refusal), `reexport` (its own export), `latestHash` and `readBack`
 *   (the records, as `query` returns them).
 * - with `tampered` (export texts): each is imported into a new ledger, which gives `{imported}` or the
 *   refusal with the ledger's `length` after it.
 */
export async function runPeer(N, { ledger: id, records, exported, tampered, worker = false }) {
  const open = () => N.createLedger(worker ? { id, worker: true } : { id });
  const out = { verdicts: [] };
  const ledger = await open();
  try {
    for (const wire of records) {
      try {
        out.verdicts.push({ hash: await ledger.append(fromWire(wire)) });
      } catch (err) {
        out.verdicts.push(refusal(err));
      }
    }
    out.export = await ledger.export();
  } finally {
    await ledger.close();
  }
  const whole = await open();
  try {
    out.batch = { hashes: await whole.appendBatch(records.map(fromWire)) };
  } catch (err) {
    out.batch = refusal(err);
  } finally {
    await whole.close();
  }
  const accepted = records.filter((_, i) => out.verdicts[i].hash !== undefined);
  const batched = await open();
  try {
    if (accepted.length) await batched.appendBatch(accepted.map(fromWire));
    out.batchExport = await batched.export();
  } finally {
    await batched.close();
  }
  if (typeof exported === "string") {
    const copy = await open();
    try {
      try {
        out.imported = await copy.importEntries(exported);
      } catch (err) {
        out.imported = refusal(err);
      }
      out.reexport = await copy.export();
      out.latestHash = await copy.latestHash();
      out.readBack = (await copy.query({ limit: 10_000 })).records;
    } finally {
      await copy.close();
    }
  }
  if (Array.isArray(tampered)) {
    out.tampered = [];
    for (const text of tampered) {
      const copy = await open();
      try {
        out.tampered.push({ imported: await copy.importEntries(text) });
      } catch (err) {
        out.tampered.push({ ...refusal(err), length: await copy.length() });
      } finally {
        await copy.close();
      }
    }
  }
  return out;
}
