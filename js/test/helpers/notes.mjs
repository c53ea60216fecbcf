/**
 * Signed notes through the package's public API, the same in Node and in Chromium (no `node:` imports):
 * js/test/notes-vectors.test.mjs imports this module, tests_browser/test_notes.py runs it on a page (from a
 * blob: URL) and in a Node process.
 *
 * - {@link noteVectorVerdicts}: the vectors (vectors/notes/*.json, README.md there) run with `verifyNote`,
 *   `signNote`, and, for key texts (which have no parser of their own in the API), a note whose only signature
 *   line names the key.
 * - {@link signTurn} and {@link verifyNotes}: one runtime's part in the cross-runtime test.
 */

const EM = "\u2014";
/** A note with one well-formed line of a key no vector trusts: a verifier key that parses makes it `too_few`. */
const PROBE = `probe\n\n${EM} probe.example AAAAAAA=\n`;

/** `{want}` with what `call` returned, or `{want_error: {code, reason}}` with the NucleusError it threw. */
async function outcome(call) {
  try {
    return { want: await call() };
  } catch (e) {
    if (typeof e?.code !== "string") throw e;
    return { want_error: { code: e.code, reason: e.details?.reason ?? null } };
  }
}

function bytesOfBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * A verifier key's name and id as `verifyNote` reads them: a line under that name and id with a zero signature
 * must be the key's own (so `bad_signature`, naming the key), and nothing else.
 */
async function readVerifier(N, text) {
  try {
    await N.verifyNote(PROBE, [text]);
  } catch (e) {
    if (e?.details?.reason !== "too_few") throw e;
  }
  const [name, id] = text.split("+");
  const raw = Uint8Array.from([...id.match(/../g).map((h) => parseInt(h, 16)), ...new Uint8Array(64)]);
  const line = `${EM} ${name} ${btoa(String.fromCharCode(...raw))}\n`;
  const e = await N.verifyNote(`probe\n\n${line}`, [text]).then(
    () => null,
    (err) => err,
  );
  if (e?.details?.reason !== "bad_signature") throw new Error(`a zero signature under ${name}+${id} did not count as the key's: ${e}`);
  const [gotName, gotId] = e.details.key.split("+");
  return { name: gotName, key_id: gotId };
}

/** A signer key's name and id as `signNote` writes them in its line. */
async function readSigner(N, text) {
  const signed = await N.signNote("probe\n", text);
  const line = signed.slice(signed.lastIndexOf("\n\n") + 2, -1);
  const [, name, encoded] = line.split(" ");
  const id = [...bytesOfBase64(encoded).slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { name, key_id: id };
}

/**
 * Every case of `vectors` (`{"verify.json": {...}, "sign.json": {...}, "key-texts.json": {...}}`) run with `N`,
 * the package: `[{file, name, desc, got, want}]`, `got` and `want` each `{want}` or `{want_error}`.
 */
export async function noteVectorVerdicts(N, vectors) {
  const results = [];
  const record = async (file, name, case_, call) => {
    const want = "want" in case_ ? { want: case_.want } : { want_error: case_.want_error };
    results.push({ file, name, desc: case_.desc ?? name, got: await outcome(call), want });
  };
  for (const [name, c] of Object.entries(vectors["verify.json"])) {
    const note = "note" in c ? c.note : bytesOfBase64(c.note_base64);
    await record("verify.json", name, c, async () => {
      const { text, signers } = await N.verifyNote(note, c.verifier_keys, { threshold: c.threshold });
      return { text, signers };
    });
  }
  for (const [name, c] of Object.entries(vectors["sign.json"])) {
    await record("sign.json", name, c, async () => {
      let text = c.note;
      for (const key of c.signer_keys ?? [c.signer_key]) text = await N.signNote(text, key);
      return text;
    });
  }
  for (const [name, c] of Object.entries(vectors["key-texts.json"])) {
    await record("key-texts.json", name, c, () => (c.kind === "verifier" ? readVerifier(N, c.text) : readSigner(N, c.text)));
  }
  return results;
}

/**
 * A new key named `name` signs `body`, and cosigns `cosign` when given: `{signer, verifier, signed, cosigned}`.
 */
export async function signTurn(N, { name, body, cosign }) {
  const { signer, verifier } = await N.generateKey(name);
  const signed = await N.signNote(body, signer);
  return { signer, verifier, signed, cosigned: cosign ? await N.signNote(cosign, signer) : null };
}

/** `verifyNote` of each `{note, keys, threshold}`: `{want: {text, signers}}` or `{want_error: {code, reason}}`. */
export async function verifyNotes(N, cases) {
  const out = [];
  for (const { note, keys, threshold } of cases) {
    out.push(
      await outcome(async () => {
        const { text, signers } = await N.verifyNote(note, keys, { threshold });
        return { text, signers };
      }),
    );
  }
  return out;
}
