/**
 * The signed-note vectors (vectors/notes/*.json, docs/FORMAT.md "Signed checkpoints") through the installed
 * package: every verifying, signing and key-text case reaches exactly the verdict it states (the code and
 * `details.reason` of an error; the text and signers of a verdict; the signed note, byte for byte), as in Python
 * (tests_py/test_notes.py) and in Chromium (tests_browser/test_notes.py, the same walker: helpers/notes.mjs).
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadPackage } from "./helpers/consumer.mjs";
import { noteVectorVerdicts } from "./helpers/notes.mjs";

const N = await loadPackage();
const dir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "vectors", "notes");
const vectors = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), "utf8"))]),
);

test("the vector files are the four the walker knows", () => {
  assert.deepEqual(Object.keys(vectors).sort(), ["key-texts.json", "keys.json", "sign.json", "verify.json"]);
});

for (const r of await noteVectorVerdicts(N, vectors)) {
  test(`${r.file} ${r.name}: ${r.desc}`, () => assert.deepEqual(r.got, r.want));
}

test("keys.json: each published signer key signs what its verifier key verifies", async () => {
  for (const key of Object.values(vectors["keys.json"])) {
    if (!key.signer) continue;
    const note = await N.signNote("nucleus/demo\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", key.signer);
    assert.deepEqual((await N.verifyNote(note, [key.verifier])).signers, [key.name]);
  }
});
