/**
 * Signed notes (C2SP signed-note, Ed25519 only), so that whoever keeps a ledger, and witnesses, can vouch for
 * its checkpoints: keys in the C2SP / Go `golang.org/x/mod/sumdb/note` encodings, signatures over the note
 * text, a k-of-n check against trusted keys. The cryptography is the platform's (`node:crypto`, WebCrypto);
 * nothing here starts the engine.
 *
 * The rules are those of the engine's `nucleus._note`, check for check and reason for reason: docs/FORMAT.md
 * ("Signed checkpoints") states them once, and vectors/notes/ holds the cases both must meet.
 */

import { ArgumentError, SignatureInvalidError } from "../errors.js";
import { describe } from "../json.js";
import { ed25519Generate, ed25519PublicKey, ed25519Sign, ed25519Verify, sha256 } from "../runtime/crypto.js";
import type { NoteKeyPair, NoteVerdict, VerifyNoteOptions } from "../types/proof.js";
import { base64ToBytes, bytesToBase64, bytesToHex, concatBytes, equalBytes, hexToBytes, utf8 } from "./bytes.js";

/** Signature type byte of Ed25519 in signed-note (C2SP signed-note, "Signature types"). */
const ED25519 = 0x01;
const SIG_PREFIX = "\u2014 ";
const PRIVATE = "PRIVATE+KEY+";
/** More signature lines make a note malformed: Go's note package refuses past 100 (the spec asks for at least 16). */
const MAX_SIGNATURES = 100;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
/**
 * What a key name may not hold: `+`, Unicode's White_Space (spelled out: JavaScript's `\s` adds U+FEFF and
 * lacks U+0085) and anything below U+0020, which a note may not hold anyway.
 */
const NOT_IN_NAME = /[\u0000-\u0020+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The reasons a key text is refused (`details.reason` of the ArgumentError). */
type KeyReason = "malformed" | "name" | "algorithm" | "key_id" | "private";

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
function validName(name: unknown): name is string {
  return typeof name === "string" && name !== "" && !NOT_IN_NAME.test(name) && !LONE_SURROGATE.test(name);
}

/** The key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key), as 8 lowercase hex digits. */
async function keyId(name: string, publicKey: Uint8Array): Promise<string> {
  return bytesToHex((await sha256(concatBytes(utf8(`${name}\n`), Uint8Array.of(ED25519), publicKey))).slice(0, 4));
}

function keyError(argument: string, reason: KeyReason, message: string): ArgumentError {
  // Never the key text itself in the message or details: a signer key is a secret.
  return new ArgumentError(`${argument} is not a valid key: ${message}`, { argument, reason });
}

/** `<name>+<8 hex id>+<base64(0x01 || 32 bytes)>` → its parts, the id not yet checked. */
function splitKey(text: string, argument: string): { name: string; id: string; key: Uint8Array } {
  const first = text.indexOf("+");
  const second = first < 0 ? -1 : text.indexOf("+", first + 1); // the base64 may hold "+", the name may not
  if (second < 0) throw keyError(argument, "malformed", "expected <name>+<key id>+<base64 key>");
  const name = text.slice(0, first);
  const id = text.slice(first + 1, second);
  if (!validName(name)) throw keyError(argument, "name", "the name must be non-empty, without '+', spaces or control characters");
  if (!/^[0-9a-f]{8}$/.test(id)) throw keyError(argument, "malformed", "the key id must be 8 lowercase hex digits");
  const raw = base64ToBytes(text.slice(second + 1));
  if (raw === undefined || raw.length === 0) throw keyError(argument, "malformed", "the key is not canonical base64");
  if (raw[0] !== ED25519) throw keyError(argument, "algorithm", `signature type 0x${bytesToHex(raw.slice(0, 1))} is not Ed25519 (0x01)`);
  if (raw.length !== 33) throw keyError(argument, "malformed", `an Ed25519 key is 32 bytes, got ${raw.length - 1}`);
  return { name, id, key: raw.slice(1) };
}

async function checkId(argument: string, name: string, id: string, publicKey: Uint8Array): Promise<void> {
  if ((await keyId(name, publicKey)) !== id) throw keyError(argument, "key_id", `the key id ${id} is not that of this name and key`);
}

async function readVerifier(text: unknown, argument: string): Promise<Key> {
  if (typeof text !== "string") throw keyError(argument, "malformed", `expected a string <name>+<key id>+<base64 key>, got ${describe(text)}`);
  if (text.startsWith(PRIVATE)) throw keyError(argument, "private", "this is a signer key (PRIVATE+KEY+…): keep it secret, give its verifier key");
  const { name, id, key } = splitKey(text, argument);
  await checkId(argument, name, id, key);
  return { name, id, publicKey: key };
}

/** The signer key's name and id, and its private seed. */
async function readSigner(text: unknown, argument: string): Promise<{ name: string; id: string; seed: Uint8Array }> {
  if (typeof text !== "string" || !text.startsWith(PRIVATE)) throw keyError(argument, "malformed", "expected PRIVATE+KEY+<name>+<key id>+<base64 key>");
  const { name, id, key } = splitKey(text.slice(PRIVATE.length), argument);
  // The id names the public key, so it can only be checked once that is derived (as Go's NewSigner does).
  await checkId(argument, name, id, await ed25519PublicKey(key));
  return { name, id, seed: key };
}

/**
 * Generates an Ed25519 key pair for signing notes, e.g. checkpoints (random, from the platform's crypto).
 *
 * @param name - the key's name: non-empty, no `+`, no whitespace; a schema-less URL such as `"example.com/log"` is
 *   recommended (C2SP signed-note)
 * @returns `{signer, verifier}` key texts
 * @throws {ArgumentError} the name is not allowed (`details.reason` `name`)
 * @example
 * const { signer, verifier } = await generateKey("example.com/orders");
 * console.log(verifier); // example.com/orders+1a2b3c4d+AR...
 */
export async function generateKey(name: string): Promise<NoteKeyPair> {
  if (!validName(name)) {
    throw new ArgumentError(`a key name must be a non-empty string without "+", spaces or control characters, got ${describe(name)}`, {
      argument: "name",
      reason: "name",
    });
  }
  const { seed, publicKey } = await ed25519Generate();
  const id = await keyId(name, publicKey);
  return {
    signer: `${PRIVATE}${name}+${id}+${bytesToBase64(concatBytes(Uint8Array.of(ED25519), seed))}`,
    verifier: `${name}+${id}+${bytesToBase64(concatBytes(Uint8Array.of(ED25519), publicKey))}`,
  };
}

function malformed(message: string): SignatureInvalidError {
  return new SignatureInvalidError(`malformed note: ${message}`, { reason: "malformed" });
}

/** The note as text, checked against the spec's character rules: valid UTF-8, no control characters but newline. */
function noteText(note: unknown): string {
  let text = note;
  if (note instanceof Uint8Array) {
    try {
      text = decoder.decode(note);
    } catch {
      throw malformed("not valid UTF-8");
    }
  }
  if (typeof text !== "string") throw new ArgumentError(`note must be a string (or UTF-8 bytes), got ${describe(note)}`, { argument: "note" });
  if (LONE_SURROGATE.test(text)) throw malformed("not valid UTF-8 (a lone surrogate)");
  if (CONTROL.test(text)) throw malformed("it holds a control character other than newline");
  return text;
}

function parseLine(line: string, number: number): SignatureLine {
  if (!line.startsWith(SIG_PREFIX)) throw malformed(`signature line ${number} does not start with '\u2014 '`);
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(" ");
  const name = space < 0 ? rest : rest.slice(0, space);
  if (!validName(name)) throw malformed(`signature line ${number}: bad key name`);
  const raw = space < 0 ? undefined : base64ToBytes(rest.slice(space + 1));
  if (raw === undefined || raw.length < 5) throw malformed(`signature line ${number}: not canonical base64 of a key id and a signature`);
  return { line, name, id: bytesToHex(raw.slice(0, 4)), signature: raw.slice(4) };
}

/** A signed note → its body and signature lines. The body ends at the note's last empty line (spec, "Format"). */
function split(note: string): { body: string; lines: SignatureLine[] } {
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0) throw malformed("no empty line before signature lines (an unsigned note?)");
  const block = note.slice(cut + 2);
  if (block === "" || !block.endsWith("\n")) throw malformed("it must end with signature lines, each ending in a newline");
  const texts = block.slice(0, -1).split("\n");
  if (texts.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signature lines`);
  const first = note.slice(0, cut + 2).split("\n").length;
  return { body: note.slice(0, cut + 1), lines: texts.map((line, i) => parseLine(line, first + i)) };
}

/**
 * Signs a note with one key (C2SP signed-note, Ed25519): a note text (e.g. {@link formatCheckpoint}'s), or a note
 * already signed by others, to cosign it. Existing signature lines are kept, except one by this same key, which
 * the new line replaces; the new line comes last. A text whose last paragraph starts with `— ` is read as a
 * signed note.
 *
 * @param note - the text, ending in a newline, or a signed note (a string, or its UTF-8 bytes)
 * @param signerKey - a signer key from {@link generateKey} (`PRIVATE+KEY+…`)
 * @returns the signed note: text, a blank line, the signature lines
 * @throws {SignatureInvalidError} `details.reason` `malformed`: the note breaks the syntax, or already holds 100
 *   lines of other keys
 * @throws {ArgumentError} the key is malformed (`details.reason`: `malformed`, `name`, `algorithm`, `key_id`)
 * @example
 * const { signer, verifier } = await generateKey("example.com/log");
 * const signed = await signNote("hello\n", signer);
 * const { text, signers } = await verifyNote(signed, [verifier]);
 */
export async function signNote(note: string | Uint8Array, signerKey: string): Promise<string> {
  const text = noteText(note);
  const { name, id, seed } = await readSigner(signerKey, "signerKey");
  const cut = text.lastIndexOf("\n\n");
  let body = text;
  let lines: SignatureLine[] = [];
  if (cut >= 0 && text.startsWith(SIG_PREFIX, cut + 2)) ({ body, lines } = split(text));
  else if (!text.endsWith("\n")) throw malformed("the text must end with a newline");
  const kept = lines.filter((l) => l.name !== name || l.id !== id).map((l) => `${l.line}\n`);
  if (kept.length >= MAX_SIGNATURES) throw malformed(`it has ${MAX_SIGNATURES} signature lines already`);
  const signature = await ed25519Sign(seed, utf8(body));
  return `${body}\n${kept.join("")}${SIG_PREFIX}${name} ${bytesToBase64(concatBytes(hexToBytes(id), signature))}\n`;
}

async function trusted(verifierKeys: unknown): Promise<Key[]> {
  if (!Array.isArray(verifierKeys)) throw new ArgumentError(`verifierKeys must be an array of verifier keys, got ${describe(verifierKeys)}`, { argument: "verifierKeys" });
  const keys = new Map<string, Key>();
  for (const [i, text] of verifierKeys.entries()) {
    const key = await readVerifier(text, `verifierKeys[${i}]`);
    const label = `${key.name}+${key.id}`;
    const known = keys.get(label);
    if (known && !equalBytes(known.publicKey, key.publicKey)) {
      // Go's note package calls this an ambiguous key: two keys a signature line cannot tell apart.
      throw new ArgumentError(`verifierKeys: two different keys share the name and key id ${label}`, { argument: "verifierKeys", reason: "ambiguous", label });
    }
    if (!known) keys.set(label, key);
  }
  return [...keys.values()];
}

/**
 * Verifies a signed note against trusted keys, k of n (C2SP signed-note): at least `threshold` distinct trusted
 * keys must have signed it. Signature lines of other keys are ignored; repeated lines of one key count once;
 * every line of a trusted key must verify, even when enough others do.
 *
 * @param note - the signed note (a string, or its UTF-8 bytes)
 * @param verifierKeys - the trusted verifier keys (`<name>+<key id>+<base64>`)
 * @param options - `threshold`: how many of them must have signed, from 1 (the default) to the number of
 *   distinct keys
 * @returns `{text, signers}`: the note text (for a checkpoint, give it to {@link parseCheckpoint}) and who signed,
 *   in the order of `verifierKeys`
 * @throws {SignatureInvalidError} `details.reason`: `malformed` (not a signed note), `bad_signature` (a trusted
 *   key's signature does not verify), `too_few` (fewer than `threshold` trusted keys signed)
 * @throws {ArgumentError} `details.reason`: `threshold`, `ambiguous` (two different keys share a name and id), or
 *   why a key is malformed (`malformed`, `name`, `algorithm`, `key_id`, `private`)
 * @example
 * const { signer, verifier } = await generateKey("example.com/log");
 * const { signers } = await verifyNote(await signNote("hello\n", signer), [verifier], { threshold: 1 });
 */
export async function verifyNote(note: string | Uint8Array, verifierKeys: readonly string[], options: VerifyNoteOptions = {}): Promise<NoteVerdict> {
  const text = noteText(note);
  const keys = await trusted(verifierKeys);
  const threshold = options?.threshold ?? 1;
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new ArgumentError(`threshold must be an integer from 1 to the number of distinct verifier keys (${keys.length}), got ${describe(threshold)}`, {
      argument: "threshold",
      reason: "threshold",
    });
  }
  const { body, lines } = split(text);
  const byLabel = new Map(keys.map((k) => [`${k.name}+${k.id}`, k]));
  const message = utf8(body);
  const verified = new Set<Key>();
  const checked = new Set<string>();
  for (const line of lines) {
    const key = byLabel.get(`${line.name}+${line.id}`);
    if (!key || checked.has(line.line)) continue;
    checked.add(line.line);
    if (line.signature.length !== 64 || !(await ed25519Verify(key.publicKey, message, line.signature))) {
      throw new SignatureInvalidError(`the signature of trusted key ${key.name}+${key.id} does not verify: the note was changed or the signature forged`, {
        reason: "bad_signature",
        key: `${key.name}+${key.id}`,
      });
    }
    verified.add(key);
  }
  if (verified.size < threshold) {
    throw new SignatureInvalidError(`${verified.size} of the trusted keys signed this note; ${threshold} must`, {
      reason: "too_few",
      verified: verified.size,
      threshold,
    });
  }
  return { text: body, signers: keys.filter((k) => verified.has(k)).map((k) => k.name) };
}
