"""The Merkle tree of RFC 9162 §2.1, as pure functions over hashes. Not public. docs/FORMAT.md §9 is its specification.

Leaf hash ``SHA-256(0x00 || leaf)``, interior node ``SHA-256(0x01 || left || right)``, the root of the empty tree
``SHA-256("")``. Proofs are generated (§2.1.3.1, §2.1.4.1) over a ``subtree(start, end)`` source that gives the root
of leaves ``start … end-1``, so that the same code serves a list in memory and a tree kept in storage, and verified
(§2.1.3.2, §2.1.4.2) from hashes alone. A verifier answers with the reason a proof fails (``ProofInvalid``), never
with a partial verdict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from ._errors import ProofInvalid

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256

#: ``subtree(start, end)``: the root of the leaves ``start … end-1`` (``0 <= start < end``).
Subtree = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash of ``data`` (for a ledger: the 32 raw bytes of an entry hash)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node over two child hashes."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n > 1``): where RFC 9162 splits ``n`` leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def root(size: int, subtree: Subtree) -> bytes:
    """MTH of the first ``size`` leaves."""
    return subtree(0, size) if size else EMPTY_ROOT


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, folded directly (the reference the tests hold every other path to)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        # Pairing left to right and carrying an odd last node up gives RFC 9162's split at powers of two.
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def list_subtree(leaf_hashes: Sequence[bytes]) -> Subtree:
    """A ``subtree`` source over leaf hashes in memory."""
    return lambda start, end: mth(leaf_hashes[start:end])


def inclusion_path(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, bottom-up. ``0 <= index < size``."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, n, m = 0, size, index
    while n > 1:
        k = _split(n)
        if m < k:
            path.append(subtree(start + k, start + n))
            n = k
        else:
            path.append(subtree(start, start + k))
            start, n, m = start + k, n - k, m - k
    path.reverse()
    return path


def consistency_path(old_size: int, new_size: int, subtree: Subtree) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1, bottom-up. ``0 < old_size <= new_size``."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    path: list[bytes] = []
    start, n, m, whole = 0, new_size, old_size, True
    while m != n:
        k = _split(n)
        if m <= k:
            path.append(subtree(start + k, start + n))
            n = k
        else:
            path.append(subtree(start, start + k))
            start, n, m, whole = start + k, n - k, m - k, False
    if not whole:
        path.append(subtree(start, start + n))
    path.reverse()
    return path


def inclusion_path_length(index: int, size: int) -> int:
    """How many hashes PATH(index, D[size]) holds: the levels where the path leaves the right edge (``inner``)
    plus the right-edge nodes above them (``border``)."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + bin(index >> inner).count("1")


def consistency_path_length(old_size: int, new_size: int) -> int:
    """How many hashes PROOF(old_size, D[new_size]) holds (``0 < old_size <= new_size``)."""
    if old_size == new_size:
        return 0
    shift = (old_size & -old_size).bit_length() - 1
    # The inclusion path of the old tree's last leaf, from level ``shift`` up, plus its seed unless the old tree
    # is that complete subtree itself.
    seed = 0 if old_size == 1 << shift else 1
    return seed + inclusion_path_length(old_size - 1, new_size) - shift


def _require_hashes(*hashes: bytes) -> None:
    """Every hash a verifier compares is 32 bytes: anything else (an empty root, a truncated leaf) never matches."""
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofInvalid("a root, leaf or path hash is not 32 bytes", details={"reason": "root_mismatch"})


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> None:
    """RFC 9162 §2.1.3.2: ``leaf`` (a leaf hash) is leaf ``index`` of the tree of ``size`` with ``expected_root``;
    ``ProofInvalid`` (``details.reason``: ``bad_sizes``, ``path_length``, ``root_mismatch``) otherwise."""
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf {index} is not in a tree of {size} leaves", details={"reason": "bad_sizes"})
    if len(path) != inclusion_path_length(index, size):
        raise ProofInvalid(
            f"an inclusion path for leaf {index} of {size} holds {inclusion_path_length(index, size)} hashes, "
            f"not {len(path)}",
            details={"reason": "path_length"},
        )
    _require_hashes(leaf, expected_root, *path)
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != expected_root:
        raise ProofInvalid(
            f"the inclusion path of leaf {index} does not lead to the root of the tree of {size}",
            details={"reason": "root_mismatch"},
        )


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2: the tree of ``new_size`` with ``new_root`` extends the tree of ``old_size`` with
    ``old_root``; ``ProofInvalid`` (``bad_sizes``, ``path_length``, ``root_mismatch``) otherwise. An empty old tree
    proves nothing (``bad_sizes``)."""
    if not 0 < old_size <= new_size:
        raise ProofInvalid(
            f"no consistency proof goes from a tree of {old_size} to a tree of {new_size}",
            details={"reason": "bad_sizes"},
        )
    want = consistency_path_length(old_size, new_size)
    if len(path) != want:
        raise ProofInvalid(
            f"a consistency path from {old_size} to {new_size} holds {want} hashes, not {len(path)}",
            details={"reason": "path_length"},
        )
    if old_size == new_size:  # the roots are the proof (whatever their form: equal values are one tree)
        if old_root != new_root:
            raise ProofInvalid("two trees of one size with different roots", details={"reason": "root_mismatch"})
        return
    _require_hashes(old_root, new_root, *path)
    cp = list(path)
    if old_size & (old_size - 1) == 0:  # the old tree is a complete subtree: its root is the path's seed
        cp.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = cp[0]
    for c in cp[1:]:
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofInvalid(
            f"the consistency path does not lead from the root of {old_size} to the root of {new_size}",
            details={"reason": "root_mismatch"},
        )
