/**
 * Signed notes (C2SP signed-note, Ed25519 only), so that whoever keeps a ledger, and witnesses, can vouch for
 * its checkpoints: keys in the C2SP / Go `golang.org/x/mod/sumdb/note` encodings, signatures over the note
 * text, a k-of-n check against trusted keys. The cryptography is the platform's (`node:crypto`, WebCrypto);
 * nothing here starts the engine.
 */

import { ArgumentError, SignatureInvalidError } from "../errors.js";
import { describe } from "../json.js";
import { ed25519Generate, ed25519PublicKey, ed25519Sign, ed25519Verify, sha256 } from "../runtime/crypto.js";
import type { NoteKeyPair, NoteVerdict, VerifyNoteOptions } from "../types/proof.js";
import { base64ToBytes, bytesToBase64, bytesToHex, concatBytes, hexToBytes, utf8 } from "./bytes.js";

/** Signature type byte of Ed25519 in signed-note (C2SP signed-note, "Signature types"). */
const ED25519 = 0x01;
const SIG_PREFIX = "\u2014 ";
/** Go's verifier stops at this many signature lines; the spec asks for at least 16. */
const MAX_SIGNATURES = 100;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

interface Key {
  name: string;
  id: string;
  /** The 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

interface SignatureLine {
  line: string;
  name: string;
  id: string;
  signature: Uint8Array;
}

/** Whether `name` may name a key: non-empty, no `+`, no whitespace, nothing a note may not hold. */
function validName(name: string): boolean {
  return name !== "" && !/[+\s]/u.test(name) && !CONTROL.test(name) && !LONE_SURROGATE.test(name);
}

function checkName(name: unknown): string {
  if (typeof name !== "string" || !validName(name)) {
    throw new ArgumentError(`a key name must be a non-empty string without "+" or whitespace, got ${describe(name)}`, { argument: "name" });
  }
  return name;
}

/** The key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key), as 8 lowercase hex digits. */
async function keyId(name: string, publicKey: Uint8Array): Promise<string> {
  return bytesToHex((await sha256(concatBytes(utf8(`${name}\n`), Uint8Array.of(ED25519), publicKey))).slice(0, 4));
}

/** `<name>+<8 hex>+<base64(0x01 || 32 bytes)>` read back, the id checked against the key. */
async function readKey(text: unknown, argument: string, prefix: string): Promise<{ name: string; id: string; key: Uint8Array }> {
  const fail = (): ArgumentError =>
    new ArgumentError(`${argument} must be a ${prefix ? "signer" : "verifier"} key "${prefix}<name>+<8 hex key id>+<base64 key>", got ${describe(text)}`, { argument });
  if (typeof text !== "string" || !text.startsWith(prefix)) throw fail();
  const rest = text.slice(prefix.length);
  const plus = rest.indexOf("+");
  const name = rest.slice(0, plus);
  const id = rest.slice(plus + 1, plus + 9);
  const raw = base64ToBytes(rest.slice(plus + 10));
  if (plus < 0 || !validName(name) || !/^[0-9a-f]{8}$/.test(id) || rest[plus + 9] !== "+" || raw?.length !== 33 || raw[0] !== ED25519) throw fail();
  const key = raw.slice(1);
  const publicKey = prefix ? await ed25519PublicKey(key) : key;
  if ((await keyId(name, publicKey)) !== id) {
    throw new ArgumentError(`${argument}: the key id ${id} does not match the key (a changed or mistyped key)`, { argument });
  }
  return { name, id, key };
}

/**
 * Generates an Ed25519 key pair for signing notes, e.g. checkpoints (random, from the platform's crypto).
 *
 * @param name - the key's name: non-empty, no `+`, no whitespace; a schema-less URL such as `"example.com/log"` is
 *   recommended (C2SP signed-note)
 * @returns `{signer, verifier}` key texts
 * @throws {ArgumentError} the name is not allowed
 * @example
 * const { signer, verifier } = await generateKey("example.com/orders");
 * console.log(verifier); // example.com/orders+1a2b3c4d+AR...
 */
export async function generateKey(name: string): Promise<NoteKeyPair> {
  checkName(name);
  const { seed, publicKey } = await ed25519Generate();
  const id = await keyId(name, publicKey);
  return {
    signer: `PRIVATE+KEY+${name}+${id}+${bytesToBase64(concatBytes(Uint8Array.of(ED25519), seed))}`,
    verifier: `${name}+${id}+${bytesToBase64(concatBytes(Uint8Array.of(ED25519), publicKey))}`,
  };
}

/** Refuses text a note may not hold: malformed UTF-16 (no UTF-8 form) and control characters other than newline. */
function badText(note: string): boolean {
  return LONE_SURROGATE.test(note) || CONTROL.test(note);
}

/** A note's text and signature lines, or `undefined` when it has no well-formed signature block. */
function split(note: string): { text: string; lines: SignatureLine[] } | undefined {
  const at = note.lastIndexOf("\n\n");
  if (at < 0) return undefined;
  const block = note.slice(at + 2);
  if (block === "" || !block.endsWith("\n")) return undefined;
  const lines: SignatureLine[] = [];
  for (const line of block.slice(0, -1).split("\n")) {
    if (!line.startsWith(SIG_PREFIX)) return undefined;
    const space = line.indexOf(" ", SIG_PREFIX.length);
    const name = line.slice(SIG_PREFIX.length, space);
    const raw = space < 0 ? undefined : base64ToBytes(line.slice(space + 1));
    if (!validName(name) || raw === undefined || raw.length < 5) return undefined;
    lines.push({ line, name, id: bytesToHex(raw.slice(0, 4)), signature: raw.slice(4) });
  }
  return { text: note.slice(0, at + 1), lines };
}

/**
 * Signs a note with one key (C2SP signed-note, Ed25519): a note text (e.g. {@link formatCheckpoint}'s), or a note
 * already signed by others, to cosign it. Existing signature lines are kept (one by this same key is replaced);
 * this key's line comes last.
 *
 * @param note - the text, ending in a newline, or a signed note
 * @param signerKey - a signer key from {@link generateKey} (`PRIVATE+KEY+…`)
 * @returns the signed note: text, a blank line, the signature lines
 * @throws {ArgumentError} the key or the note is malformed
 * @example
 * const { signer, verifier } = await generateKey("example.com/log");
 * const signed = await signNote("hello\n", signer);
 * const { text, signers } = await verifyNote(signed, [verifier]);
 */
export async function signNote(note: string, signerKey: string): Promise<string> {
  const { name, id, key } = await readKey(signerKey, "signerKey", "PRIVATE+KEY+");
  if (typeof note !== "string" || badText(note)) {
    throw new ArgumentError(`note must be text without control characters other than newline, got ${describe(note)}`, { argument: "note" });
  }
  const signed = split(note);
  const text = signed ? signed.text : note;
  if (!text.endsWith("\n")) throw new ArgumentError("a note's text must end in a newline", { argument: "note" });
  const signature = await ed25519Sign(key, utf8(text));
  const line = `${SIG_PREFIX}${name} ${bytesToBase64(concatBytes(hexToBytes(id), signature))}`;
  const kept = (signed?.lines ?? []).filter((l) => l.name !== name || l.id !== id).map((l) => l.line);
  return `${text}\n${[...kept, line].join("\n")}\n`;
}

function malformed(message: string): SignatureInvalidError {
  return new SignatureInvalidError(`malformed signed note: ${message}`, { reason: "malformed" });
}

/**
 * Verifies a signed note against trusted keys, k of n (C2SP signed-note): at least `threshold` distinct trusted
 * keys must have signed it. Signatures by keys not in `verifierKeys` are ignored; a wrong signature by a trusted
 * key rejects the note.
 *
 * @param note - the signed note
 * @param verifierKeys - the trusted verifier keys (`<name>+<key id>+<base64>`)
 * @param options - `threshold`: how many of them must have signed (default 1)
 * @returns `{text, signers}`: the note text (for a checkpoint, give it to {@link parseCheckpoint}) and who signed
 * @throws {SignatureInvalidError} `details.reason`: `malformed` (not a signed note), `bad_signature` (a trusted
 *   key's signature does not verify), `too_few` (fewer than `threshold` trusted keys signed)
 * @throws {ArgumentError} a key or the threshold is malformed, or two keys share a name and id
 * @example
 * const { signer, verifier } = await generateKey("example.com/log");
 * const { signers } = await verifyNote(await signNote("hello\n", signer), [verifier], { threshold: 1 });
 */
export async function verifyNote(note: string, verifierKeys: readonly string[], options: VerifyNoteOptions = {}): Promise<NoteVerdict> {
  if (!Array.isArray(verifierKeys)) throw new ArgumentError(`verifierKeys must be an array of verifier keys, got ${describe(verifierKeys)}`, { argument: "verifierKeys" });
  const threshold = options?.threshold ?? 1;
  if (!Number.isSafeInteger(threshold) || threshold < 1) {
    throw new ArgumentError(`threshold must be a positive integer, got ${describe(threshold)}`, { argument: "threshold" });
  }
  const keys: Key[] = [];
  for (const [i, text] of verifierKeys.entries()) {
    const { name, id, key } = await readKey(text, `verifierKeys[${i}]`, "");
    const same = keys.find((k) => k.name === name && k.id === id);
    if (same && bytesToHex(same.publicKey) !== bytesToHex(key)) {
      throw new ArgumentError(`verifierKeys: two different keys are named ${name}+${id}`, { argument: "verifierKeys" });
    }
    if (!same) keys.push({ name, id, publicKey: key });
  }
  if (typeof note !== "string") throw malformed(`expected text, got ${describe(note)}`);
  if (badText(note)) throw malformed("it holds control characters or malformed Unicode");
  const signed = split(note);
  if (!signed) throw malformed("expected the text, a blank line, then lines '\u2014 <key name> <base64 signature>'");
  if (signed.lines.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);
  const message = utf8(signed.text);
  const verified = new Set<Key>();
  for (const line of signed.lines) {
    const key = keys.find((k) => k.name === line.name && k.id === line.id);
    if (!key || verified.has(key)) continue;
    if (line.signature.length !== 64 || !(await ed25519Verify(key.publicKey, message, line.signature))) {
      throw new SignatureInvalidError(`the signature by trusted key ${key.name}+${key.id} does not verify: the note was changed or the signature forged`, {
        reason: "bad_signature",
        key: `${key.name}+${key.id}`,
      });
    }
    verified.add(key);
  }
  if (verified.size < threshold) {
    throw new SignatureInvalidError(`the note is signed by ${verified.size} of the trusted keys; ${threshold} required`, {
      reason: "too_few",
      verified: verified.size,
      threshold,
    });
  }
  return { text: signed.text, signers: keys.filter((k) => verified.has(k)).map((k) => k.name) };
}
