"""The ledger's Merkle tree (ledger/merkle.py) against RFC 9162, cross-tested with pymerkle (an
independent implementation): the same roots for every size, the same audit paths, consistency
proofs that verify; and every tampered proof, leaf or root refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from ledger.merkle import MerkleTree, leaf_hash, root_from_inclusion, verify_consistency

SIZE = 70


@pytest.fixture(scope="module")
def trees() -> tuple[MerkleTree, InmemoryTree]:
    ours, theirs = MerkleTree(), InmemoryTree(algorithm="sha256")
    for i in range(SIZE):
        ours.append(leaf_hash(b"entry %d" % i))
        theirs.append_entry(b"entry %d" % i)
    return ours, theirs


def test_every_root_is_pymerkles(trees: tuple[MerkleTree, InmemoryTree]) -> None:
    ours, theirs = trees
    assert [ours.root(n) for n in range(1, SIZE + 1)] == [
        theirs.get_root(n) for n in range(1, SIZE + 1)
    ]


def test_every_inclusion_proof_is_pymerkles_audit_path_and_verifies(
    trees: tuple[MerkleTree, InmemoryTree],
) -> None:
    ours, theirs = trees
    for n in range(2, SIZE + 1):
        for m in range(n):
            proof = ours.inclusion_proof(m, n)
            # pymerkle's path starts with the leaf itself; the rest is RFC 9162's audit path.
            path = theirs.prove_inclusion(m + 1, n).serialize()["path"][1:]
            assert sorted(p.hex() for p in proof) == sorted(path), (m, n)
            assert root_from_inclusion(m, n, ours.levels[0][m], proof) == ours.root(n)


def test_every_consistency_proof_verifies(trees: tuple[MerkleTree, InmemoryTree]) -> None:
    ours, _ = trees
    for n in range(1, SIZE + 1):
        for m in range(1, n + 1):
            proof = ours.consistency_proof(m, n)
            assert verify_consistency(m, n, ours.root(m), ours.root(n), proof), (m, n)


@given(
    n=st.integers(min_value=2, max_value=SIZE),
    data=st.data(),
)
def test_a_tampered_proof_leaf_or_root_is_refused(
    trees: tuple[MerkleTree, InmemoryTree], n: int, data: st.DataObject
) -> None:
    ours, _ = trees
    m = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = ours.inclusion_proof(m, n)
    root = ours.root(n)
    assert root_from_inclusion(m, n, leaf_hash(b"entry %d changed" % m), proof) != root
    if proof:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bent = [*proof[:i], leaf_hash(b"forged"), *proof[i + 1 :]]
        assert root_from_inclusion(m, n, ours.levels[0][m], bent) != root
        with pytest.raises(ValueError):
            root_from_inclusion(m, n, ours.levels[0][m], proof[:-1])  # too short
    old = data.draw(st.integers(min_value=1, max_value=n - 1))
    consistency = ours.consistency_proof(old, n)
    assert not verify_consistency(old, n, leaf_hash(b"another tree"), root, consistency)
    assert not verify_consistency(old, n, ours.root(old), leaf_hash(b"forged"), consistency)
