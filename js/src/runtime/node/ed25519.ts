/**
 * Ed25519 (RFC 8032) on raw keys with Node's `node:crypto`: what the engine's signed notes (`nucleus._note`,
 * C2SP signed-note) use inside Pyodide, where CPython would use `cryptography`. Lent by {@link nodeHost}. Not
 * public.
 */

import * as crypto from "node:crypto";
import type { Ed25519 } from "../host-primitives.js";

/** What turns a raw 32-byte seed into a PKCS #8 private key, and a raw public key into an SPKI one (RFC 8410). */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function privateKey(seed: Uint8Array): crypto.KeyObject {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

/** Node's Ed25519, synchronous (WebCrypto's is not, which is why a browser lends none). */
export const nodeEd25519: Ed25519 = {
  publicKey(seed) {
    const spki = crypto.createPublicKey(privateKey(seed)).export({ format: "der", type: "spki" });
    return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  },
  sign(seed, message) {
    return new Uint8Array(crypto.sign(null, message, privateKey(seed)));
  },
  verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      const key = crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
      return crypto.verify(null, message, key, signature);
    } catch {
      return false; // 32 bytes that are not a point on the curve
    }
  },
};
