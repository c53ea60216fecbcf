/**
 * SHA-256 and Ed25519 for the Node.js build, from `node:crypto`. The browser build swaps in
 * runtime/browser/crypto.ts (scripts/lib/browser.mjs), which does the same with WebCrypto, so that no `node:`
 * import reaches a browser bundle. The functions are async because WebCrypto's are; {@link nodeEd25519} is the
 * synchronous Ed25519 under them, which node/host.ts also lends the engine (its signed notes under Pyodide).
 * Not public.
 */

import * as crypto from "node:crypto";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { ED25519_PKCS8_PREFIX, ED25519_SPKI_PREFIX, concatBytes } from "../proofs/bytes.js";
import type { Ed25519, Sha256 } from "./host-primitives.js";

/** SHA-256 of `data`. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** Node's one-shot `crypto.hash` where it exists (Node ≥ 20.12): one `Hash` object per digest costs twice as much. */
const oneShot = typeof crypto.hash === "function" ? crypto.hash : undefined;

/**
 * Node's SHA-256, synchronous, as node/host.ts lends it to the engine. Raw digests come through a "binary" (latin1)
 * string (one char per byte), which costs less than a Buffer or a hex text per digest.
 */
export const nodeSha256: Sha256 = oneShot
  ? {
      into(data, out, at) {
        const digest = oneShot("sha256", data, "binary"); // latin1: one char per byte
        for (let i = 0; i < 32; i++) out[at + i] = digest.charCodeAt(i);
      },
    }
  : { into: (data, out, at) => out.set(createHash("sha256").update(data).digest(), at) };

function privateKeyOf(seed: Uint8Array) {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.from(concatBytes(ED25519_PKCS8_PREFIX, seed)), format: "der", type: "pkcs8" });
}

/** Node's Ed25519 on raw keys, synchronous (RFC 8032). */
export const nodeEd25519: Ed25519 = {
  publicKey(seed) {
    return new Uint8Array(createPublicKey(privateKeyOf(seed)).export({ format: "der", type: "spki" })).slice(-32);
  },
  sign(seed, message) {
    return new Uint8Array(sign(null, message, privateKeyOf(seed)));
  },
  verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      const key = createPublicKey({ key: Buffer.from(concatBytes(ED25519_SPKI_PREFIX, publicKey)), format: "der", type: "spki" });
      return verify(null, message, key, signature);
    } catch {
      return false; // 32 bytes that are not a point on the curve
    }
  },
};

/** A fresh Ed25519 key pair: the 32-byte private seed and the 32-byte public key (RFC 8032). */
export async function ed25519Generate(): Promise<{ seed: Uint8Array; publicKey: Uint8Array }> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    seed: new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" })).slice(-32),
    publicKey: new Uint8Array(publicKey.export({ format: "der", type: "spki" })).slice(-32),
  };
}

/** The public key of a private seed. */
export async function ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array> {
  return nodeEd25519.publicKey(seed);
}

/** The Ed25519 signature of `message` by the key of `seed`. */
export async function ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  return nodeEd25519.sign(seed, message);
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `message`; `false` for a key that is no curve point. */
export async function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return nodeEd25519.verify(publicKey, message, signature);
}
