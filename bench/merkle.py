"""The ledger's Merkle tree (ledger/merkle.py) at a large council's scale: build a tree of
1,000,000 leaves, then time inclusion proofs (made and checked) and consistency proofs for
random leaves, against pymerkle (an independent RFC 9162 implementation) on the same leaves as
the baseline. Pure Python, no database: the tree is what ledger/transparency.py keeps in memory.

    .venv/bin/python bench/merkle.py [--leaves 1000000] [--proofs 2000] [--json out.json]

Target (issue 11): the proof for one entry in a 1,000,000-entry tree in under 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.merkle import MerkleTree, leaf_hash, root_from_inclusion, verify_consistency  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--baseline-leaves", type=int, default=100_000)
    parser.add_argument("--json")
    args = parser.parse_args()
    rng = random.Random(11)
    leaves = [leaf_hash(b"entry %d" % i) for i in range(args.leaves)]

    started = time.perf_counter()
    tree = MerkleTree(leaves)
    build = time.perf_counter() - started
    root = tree.root()
    print(f"built a tree of {len(tree):,} leaves in {build:.1f} s ({len(tree) / build:,.0f}/s)")

    made, checked = [], []
    for _ in range(args.proofs):
        index = rng.randrange(args.leaves)
        t0 = time.perf_counter()
        proof = tree.inclusion_proof(index)
        t1 = time.perf_counter()
        assert root_from_inclusion(index, args.leaves, leaves[index], proof) == root
        t2 = time.perf_counter()
        made.append((t1 - t0) * 1000)
        checked.append((t2 - t1) * 1000)
    consistency = []
    for _ in range(args.proofs // 10):
        old = rng.randrange(1, args.leaves)
        t0 = time.perf_counter()
        proof = tree.consistency_proof(old)
        consistency.append((time.perf_counter() - t0) * 1000)
        assert verify_consistency(old, args.leaves, tree.root(old), root, proof)

    # The baseline: pymerkle's inclusion proofs over the same leaves (a smaller tree: it
    # builds slowly), and ours at that size, so the ratio compares like with like.
    from pymerkle import InmemoryTree

    n = min(args.baseline_leaves, args.leaves)
    theirs = InmemoryTree(algorithm="sha256")
    for i in range(n):
        theirs.append_entry(b"entry %d" % i)
    small = MerkleTree(leaves[:n])
    base, ours_small = [], []
    for _ in range(min(args.proofs, 500)):
        index = rng.randrange(n)
        t0 = time.perf_counter()
        theirs.prove_inclusion(index + 1, n)
        t1 = time.perf_counter()
        small.inclusion_proof(index)
        t2 = time.perf_counter()
        base.append((t1 - t0) * 1000)
        ours_small.append((t2 - t1) * 1000)

    result = {
        "leaves": args.leaves,
        "build_seconds": build,
        "inclusion_ms": {
            "p50": statistics.median(made),
            "p99": percentile(made, 0.99),
            "max": max(made),
        },
        "verify_ms": {"p50": statistics.median(checked), "p99": percentile(checked, 0.99)},
        "consistency_ms": {
            "p50": statistics.median(consistency),
            "p99": percentile(consistency, 0.99),
        },
        "baseline": {
            "leaves": n,
            "pymerkle_inclusion_ms_p50": statistics.median(base),
            "ours_inclusion_ms_p50": statistics.median(ours_small),
        },
        "load": list(os.getloadavg()),
    }
    p99 = result["inclusion_ms"]["p99"]  # type: ignore[index]
    print(
        f"inclusion proof in {args.leaves:,} leaves: p50 {statistics.median(made):.3f} ms,"
        f" p99 {p99:.3f} ms (target < 5 ms: {'met' if p99 < 5 else 'not met'});"
        f" checked in {statistics.median(checked):.3f} ms"
    )
    print(
        f"consistency proof: p50 {statistics.median(consistency):.3f} ms,"
        f" p99 {percentile(consistency, 0.99):.3f} ms"
    )
    ratio = statistics.median(base) / max(statistics.median(ours_small), 1e-9)
    print(
        f"baseline at {n:,} leaves: pymerkle {statistics.median(base):.3f} ms a proof,"
        f" ours {statistics.median(ours_small):.3f} ms ({ratio:.1f}x faster)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
