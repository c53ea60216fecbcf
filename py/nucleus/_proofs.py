"""Merkle proofs as plain JSON, and their standalone verification: no ledger, no storage. Public through
``nucleus.verify_inclusion`` and ``nucleus.verify_consistency``; docs/FORMAT.md §9 is the specification.

This module imports nothing that opens storage, so that a verifier (a server checking a receipt, a test) pays only
for hashing.
"""

from __future__ import annotations

from typing import Any

from . import _merkle
from ._canonical import MAX_SAFE_INTEGER
from ._checkpoint import Checkpoint, decode_hash, encode_hash
from ._errors import ArgumentError, ProofInvalid

_HEX = frozenset("0123456789abcdef")


def inclusion_json(index: int, size: int, path: list[bytes]) -> dict[str, Any]:
    return {"kind": "inclusion", "index": index, "size": size, "path": [encode_hash(h) for h in path]}


def consistency_json(old_size: int, new_size: int, path: list[bytes]) -> dict[str, Any]:
    return {"kind": "consistency", "from": old_size, "to": new_size, "path": [encode_hash(h) for h in path]}


def _count(value: Any, what: str) -> int:
    # Past 2^53 - 1 JavaScript cannot hold the number exactly: refused here too, so both verifiers agree.
    if type(value) is not int or not 0 <= value <= MAX_SAFE_INTEGER:
        raise ArgumentError(f"{what} must be an integer in 0…2^53-1, got {value!r}")
    return value


def _proof(value: Any, kind: str, keys: tuple[str, str]) -> tuple[int, int, list[bytes]]:
    want = {"kind", *keys, "path"}
    if type(value) is not dict or set(value) != want or value["kind"] != kind:
        raise ArgumentError(f"a {kind} proof is {{kind: {kind!r}, {keys[0]}, {keys[1]}, path}}, got {value!r}")
    path = value["path"]
    if type(path) is not list:
        raise ArgumentError(f"proof path must be a list of base64 hashes, got {path!r}")
    hashes = [decode_hash(h, f"proof path[{i}]") for i, h in enumerate(path)]
    return _count(value[keys[0]], f"proof {keys[0]}"), _count(value[keys[1]], f"proof {keys[1]}"), hashes


def _checkpoint_root(value: Any, what: str) -> tuple[int, bytes]:
    checkpoint = Checkpoint.parse(value)
    if checkpoint.root is None:
        raise ArgumentError(f"{what} is a legacy checkpoint without a Merkle root: take a new one from the ledger")
    return checkpoint.size, decode_hash(checkpoint.root, f"{what} root")


def _mismatch(reason: str, message: str) -> ProofInvalid:
    return ProofInvalid(message, details={"reason": reason})


def verify_inclusion(entry: Any, proof: Any, checkpoint: Any) -> bool:
    """True when ``proof`` shows that ``entry`` (an ``Entry`` or a dict with ``seq`` and ``hash``) is in the ledger
    of ``checkpoint`` (its JSON or text); ``PROOF_INVALID`` (``details.reason``) when it does not, ``INVALID_ARGUMENT``
    when an input is malformed."""
    seq, entry_hash = (entry.get("seq"), entry.get("hash")) if type(entry) is dict else _fields(entry)
    seq = _count(seq, "entry seq")
    if type(entry_hash) is not str or len(entry_hash) != 64 or not _HEX.issuperset(entry_hash):
        raise ArgumentError(f"entry hash must be 64 lowercase hex digits, got {entry_hash!r}")
    index, size, path = _proof(proof, "inclusion", ("index", "size"))
    checkpoint_size, root = _checkpoint_root(checkpoint, "checkpoint")
    if index != seq:
        raise _mismatch("index_mismatch", f"the proof is for entry {index}, not entry {seq}")
    if size != checkpoint_size:
        raise _mismatch("size_mismatch", f"the proof is for a tree of {size}, the checkpoint's has {checkpoint_size}")
    _merkle.verify_inclusion(_merkle.leaf_hash(bytes.fromhex(entry_hash)), index, size, path, root)
    return True


def _fields(entry: Any) -> tuple[Any, Any]:
    try:
        return entry.seq, entry.hash
    except AttributeError:
        raise ArgumentError(f"an entry has seq and hash, got {entry!r}") from None


def verify_consistency(old_checkpoint: Any, new_checkpoint: Any, proof: Any) -> bool:
    """True when ``proof`` shows that the ledger of ``new_checkpoint`` extends the one of ``old_checkpoint`` (their
    first entries are the same); ``PROOF_INVALID`` (``details.reason``) when it does not, ``INVALID_ARGUMENT`` when an
    input is malformed."""
    old_size, new_size, path = _proof(proof, "consistency", ("from", "to"))
    size1, root1 = _checkpoint_root(old_checkpoint, "old checkpoint")
    size2, root2 = _checkpoint_root(new_checkpoint, "new checkpoint")
    if old_size != size1 or new_size != size2:
        raise _mismatch(
            "size_mismatch", f"the proof goes from {old_size} to {new_size}, the checkpoints from {size1} to {size2}"
        )
    _merkle.verify_consistency(old_size, new_size, root1, root2, path)
    return True
