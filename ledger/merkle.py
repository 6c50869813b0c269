"""A Merkle tree over the ledger's entries in log order, shaped as RFC 9162 (Certificate
Transparency 2.0) says, so anyone can check that an entry is in the published tree (an
inclusion proof) and that a later tree only added to an earlier one (a consistency proof).
Pure Python, the standard library only: docs/verify.md's standalone verifier does the same.

- A leaf's hash is SHA-256(0x00 || leaf bytes); a node's is SHA-256(0x01 || left || right).
- The tree of n leaves splits at k, the largest power of two below n: the left subtree holds
  the first k leaves (always complete), the right the rest.

``MerkleTree`` keeps, for each level, the hashes of the complete subtrees it has (2, 4, 8 …
leaves, aligned), so a root or a proof over a tree of any size is a few lookups and at most
one hash per level of the incomplete right edge: a proof in a 1,000,000-leaf tree is some 40
hashes and 20 lookups, not a million hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF, NODE = b"\x00", b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """The tree's leaf hashes and every complete aligned subtree's hash, level by level."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    def __len__(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> int:
        """Add a leaf (its hash); returns its index."""
        index = len(self.levels[0])
        self.levels[0].append(leaf)
        level, i = 0, index
        # Each time the new leaf completes a pair, the subtree above it is complete too.
        while i % 2 == 1:
            left, right = self.levels[level][i - 1], self.levels[level][i]
            level, i = level + 1, i // 2
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(node_hash(left, right))
        return index

    def _hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end): a stored subtree where it is complete and aligned."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:  # a complete subtree: stored
            return self.levels[n.bit_length() - 1][start // n]
        k = split(n)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree of the first ``size`` leaves (all, by default)."""
        n = len(self) if size is None else size
        if not 0 <= n <= len(self):
            raise ValueError(f"the tree has {len(self)} leaves, not {n}")
        if n == 0:
            return hashlib.sha256(b"").digest()
        return self._hash(0, n)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 2.1.3.1: the audit path of leaf ``index`` in the tree of ``size`` leaves."""
        n = len(self) if size is None else size
        if not 0 <= index < n <= len(self):
            raise ValueError(f"no leaf {index} in a tree of {n}")
        return self._path(index, 0, n)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = split(n)
        if m < k:
            return [*self._path(m, start, start + k), self._hash(start + k, end)]
        return [*self._path(m - k, start + k, end), self._hash(start, start + k)]

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """RFC 9162 2.1.4.1: that the tree of ``old`` leaves is a prefix of the one of ``new``."""
        n = len(self) if new is None else new
        if not 0 < old <= n <= len(self):
            raise ValueError(f"no consistency from {old} to {n} in a tree of {len(self)}")
        return self._subproof(old, 0, n, True)

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self._hash(start, end)]
        k = split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, complete), self._hash(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._hash(start, start + k)]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root an inclusion proof leads to (compare it with the published
    root). Raises ``ValueError`` for a proof of the wrong shape."""
    if not 0 <= index < size:
        raise ValueError("the leaf index is outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("the proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the proof is too short")
    return r


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: whether ``proof`` shows the old tree is a prefix of the new one."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return old_root == new_root and not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
