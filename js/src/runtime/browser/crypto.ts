/**
 * The browser build's replacement for ../crypto.ts (swapped in by scripts/lib/browser.mjs): SHA-256 and Ed25519
 * from WebCrypto (`crypto.subtle`), which needs a secure context (https or localhost). Not public.
 */

import { ED25519_PKCS8_PREFIX, base64UrlToBytes, concatBytes } from "../../proofs/bytes.js";

const ED25519 = { name: "Ed25519" } as const;

// The package compiles without the DOM library; WebCrypto's types come from the global `crypto` it declares.
type Subtle = (typeof globalThis.crypto)["subtle"];
type Key = Awaited<ReturnType<Subtle["importKey"]>>;

function subtle(): Subtle {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error("WebCrypto (crypto.subtle) is unavailable: this page is not a secure context (serve it over https or from localhost)");
  return s;
}

/** SHA-256 of `data`. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest("SHA-256", data));
}

/** A fresh Ed25519 key pair: the 32-byte private seed and the 32-byte public key (RFC 8032). */
export async function ed25519Generate(): Promise<{ seed: Uint8Array; publicKey: Uint8Array }> {
  const pair = (await subtle().generateKey(ED25519, true, ["sign", "verify"])) as { privateKey: Key; publicKey: Key };
  return {
    seed: new Uint8Array(await subtle().exportKey("pkcs8", pair.privateKey)).slice(-32),
    publicKey: new Uint8Array(await subtle().exportKey("raw", pair.publicKey)),
  };
}

function importSeed(seed: Uint8Array): Promise<Key> {
  return subtle().importKey("pkcs8", concatBytes(ED25519_PKCS8_PREFIX, seed), ED25519, true, ["sign"]);
}

/** The public key of a private seed. */
export async function ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array> {
  const jwk = await subtle().exportKey("jwk", await importSeed(seed));
  return base64UrlToBytes(jwk.x ?? "");
}

/** The Ed25519 signature of `message` by the key of `seed`. */
export async function ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign(ED25519, await importSeed(seed), message));
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `message`; `false` for a key that is no curve point. */
export async function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    const key = await subtle().importKey("raw", publicKey, ED25519, false, ["verify"]);
    return await subtle().verify(ED25519, key, signature, message);
  } catch {
    return false;
  }
}
