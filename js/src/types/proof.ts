/** Merkle proofs and signed notes: the plain JSON a ledger hands out and a third party checks. */

/**
 * That an entry is in the ledger as of a checkpoint: the RFC 9162 §2.1.3.1 audit path of leaf `index` in the
 * Merkle tree of the first `size` entries, bottom-up. From {@link Ledger.inclusionProof}; checked by
 * {@link verifyInclusion}.
 */
export interface InclusionProof {
  /** Always `"inclusion"`. */
  kind: "inclusion";
  /** The entry's seq (its leaf index). */
  index: number;
  /** The tree size (checkpoint size) the proof is for. */
  size: number;
  /** Sibling hashes from the leaf up, base64 with padding. */
  path: string[];
}

/**
 * That the ledger of `to` entries extends the ledger of `from` entries, unchanged: the RFC 9162 §2.1.4.1
 * consistency path. From {@link Ledger.consistencyProof}; checked by {@link verifyConsistency}.
 */
export interface ConsistencyProof {
  /** Always `"consistency"`. */
  kind: "consistency";
  /** The older size (at least 1). */
  from: number;
  /** The newer size (at least `from`; equal gives an empty path). */
  to: number;
  /** The proof's hashes, base64 with padding. */
  path: string[];
}

/** A signed-note key pair from {@link generateKey}: both in the C2SP / Go `note` key encodings. */
export interface NoteKeyPair {
  /** `PRIVATE+KEY+<name>+<key id>+<base64>`: keep it secret; {@link signNote} takes it. */
  signer: string;
  /** `<name>+<key id>+<base64>`: give it to whoever checks your notes with {@link verifyNote}. */
  verifier: string;
}

/** Options of {@link verifyNote}. */
export interface VerifyNoteOptions {
  /** How many distinct trusted keys must have signed (k of n); default 1. */
  threshold?: number;
}

/** What {@link verifyNote} found: the note's text, vouched for by `signers`. */
export interface NoteVerdict {
  /** The note text (the body, ending in a newline), e.g. a checkpoint for {@link parseCheckpoint}. */
  text: string;
  /** Names of the trusted keys whose signatures verified, in the order of the keys given. */
  signers: string[];
}
