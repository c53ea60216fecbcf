/**
 * SHA-256 and Ed25519 for the Node.js build, from `node:crypto`. The browser build swaps in
 * runtime/browser/crypto.ts (scripts/lib/browser.mjs), which does the same with WebCrypto, so that no `node:`
 * import reaches a browser bundle. Both are async because WebCrypto is. Not public.
 */

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { ED25519_PKCS8_PREFIX, ED25519_SPKI_PREFIX, concatBytes } from "../proofs/bytes.js";

/** SHA-256 of `data`. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** A fresh Ed25519 key pair: the 32-byte private seed and the 32-byte public key (RFC 8032). */
export async function ed25519Generate(): Promise<{ seed: Uint8Array; publicKey: Uint8Array }> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    seed: new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" })).slice(-32),
    publicKey: new Uint8Array(publicKey.export({ format: "der", type: "spki" })).slice(-32),
  };
}

function privateKeyOf(seed: Uint8Array) {
  return createPrivateKey({ key: Buffer.from(concatBytes(ED25519_PKCS8_PREFIX, seed)), format: "der", type: "pkcs8" });
}

/** The public key of a private seed. */
export async function ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(createPublicKey(privateKeyOf(seed)).export({ format: "der", type: "spki" })).slice(-32);
}

/** The Ed25519 signature of `message` by the key of `seed`. */
export async function ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(sign(null, message, privateKeyOf(seed)));
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `message`; `false` for a key that is no curve point. */
export async function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    const key = createPublicKey({ key: Buffer.from(concatBytes(ED25519_SPKI_PREFIX, publicKey)), format: "der", type: "spki" });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
