#!/usr/bin/env python3
"""Check a careledger statement offline: python3 verify_statement.py STATEMENT.json --key KEY

(An auditor's export of entries, ENTRIES.jsonl, is checked the same way: its checkpoint's
signature and each entry's inclusion proof.)

Needs only Python 3.11's standard library and the ``cryptography`` package (pip install
cryptography). KEY is the council's public key as published on its transparency page (base64
of the 32 raw Ed25519 bytes). It checks, and says which check failed:

1. the checkpoint in the statement is signed by that key (it is the council's published tree);
2. the statement is signed by that key (nothing in it was changed, added or left out);
3. each entry's leaf, hashed as RFC 9162 says, is in the checkpoint's tree (its inclusion
   proof leads to the checkpoint's root);
4. the entries are as many as the statement says, and add up to its closing balance.

With --checkpoint OTHER.json (a checkpoint downloaded from the council's page at another time)
and --consistency PROOF.json (from its API), it also checks that one tree only added to the
other. See docs/verify.md. Exit status 0: verified; 1: not verified (why on stderr).

This file repeats the tree's verification rather than importing careledger's, on purpose: a
person checking the council should not have to run the council's code.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

NOTE = "careledger checkpoint v1"


class NotVerified(Exception):
    pass


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162, 2.1.3.2."""
    if not 0 <= index < size:
        raise NotVerified(f"leaf {index} is outside a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise NotVerified(f"the proof for leaf {index} is too long")
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise NotVerified(f"the proof for leaf {index} is too short")
    return r


def consistent(m: int, n: int, first: bytes, second: bytes, proof: list[bytes]) -> bool:
    """RFC 9162, 2.1.4.2."""
    if not 0 < m <= n:
        return False
    if m == n:
        return first == second and not proof
    if not proof:
        return False
    path = ([first] if m & (m - 1) == 0 else []) + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first and sr == second


def check_signature(key: Ed25519PublicKey, signature: str, message: bytes, what: str) -> None:
    try:
        key.verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError) as exc:
        raise NotVerified(f"{what} is not signed by this key") from exc


def check_checkpoint(key: Ed25519PublicKey, c: dict[str, Any]) -> None:
    note = f"{NOTE}\n{c['origin']}\n{c['size']}\n{c['root']}\n{c['published_at']}\n".encode()
    check_signature(key, c["signature"], note, f"the checkpoint of size {c['size']}")


def verify(document: dict[str, Any], key: Ed25519PublicKey) -> str:
    body, checkpoint = document["statement"], document["statement"]["checkpoint"]
    check_checkpoint(key, checkpoint)
    check_signature(key, document["signature"], canonical(body), "the statement")
    size, root = checkpoint["size"], bytes.fromhex(checkpoint["root"])
    balance, last = 0, -1
    for item in body["entries"]:
        if item["index"] <= last:
            raise NotVerified("the entries are not in the log's order")
        last = item["index"]
        if item["leaf"]["budget"] != body["budget"]:
            raise NotVerified(f"entry {item['leaf']['entry']} is not of {body['budget']}")
        leaf = hashlib.sha256(b"\x00" + canonical(item["leaf"])).digest()
        proof = [bytes.fromhex(p) for p in item["proof"]]
        if root_from_inclusion(item["index"], size, leaf, proof) != root:
            raise NotVerified(f"entry {item['leaf']['entry']} is not in the checkpoint's tree")
        for account, side, amount in item["leaf"]["legs"]:
            if account == body["account"]:
                balance += amount if side == "credit" else -amount
    if len(body["entries"]) != body["count"]:
        raise NotVerified(f"the statement says {body['count']} entries, not {len(body['entries'])}")
    if balance != body["closing_balance_pence"]:
        raise NotVerified("the entries do not add up to the closing balance")
    entries = "entry" if body["count"] == 1 else "entries"
    return (
        f"verified: {body['count']} {entries} of {body['budget']}, closing balance"
        f" {balance / 100:,.2f} GBP, in the council's tree of {size} entries"
        f" (root {checkpoint['root'][:16]}…, published {checkpoint['published_at']})"
    )


def verify_export(lines: list[dict[str, Any]], key: Ed25519PublicKey) -> str:
    """An export of entries (JSON lines) is a statement, one entry a line: its first line the
    statement without its entries, and the signature over it whole. Reassembled, it is checked
    as a statement is, so an entry left out, added or repeated is refused."""
    head = lines[0]
    body = {**head["statement"], "entries": lines[1:]}
    found = verify({"statement": body, "signature": head["signature"]}, key)
    return found.replace("verified:", "verified export:", 1)


def verify_consistency(
    key: Ed25519PublicKey, a: dict[str, Any], b: dict[str, Any], proof: list[str]
) -> str:
    check_checkpoint(key, a)
    check_checkpoint(key, b)
    first, second = sorted((a, b), key=lambda c: c["size"])
    ok = consistent(
        first["size"],
        second["size"],
        bytes.fromhex(first["root"]),
        bytes.fromhex(second["root"]),
        [bytes.fromhex(p) for p in proof],
    )
    if not ok:
        raise NotVerified(
            f"the tree of {second['size']} does not extend the tree of {first['size']}"
        )
    return f"consistent: the tree of {second['size']} extends the tree of {first['size']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("statement", help="the statement (JSON) to check")
    parser.add_argument("--key", required=True, help="the council's public key (base64)")
    parser.add_argument("--checkpoint", help="another checkpoint (JSON) to check against")
    parser.add_argument("--consistency", help="the consistency proof (JSON) between the two")
    args = parser.parse_args(argv)
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(args.key))
        with open(args.statement, encoding="utf-8") as f:
            text = f.read()
        if args.statement.endswith(".jsonl"):  # an export of entries, one a line
            print(verify_export([json.loads(x) for x in text.splitlines() if x.strip()], key))
            return 0
        document = json.loads(text)
        print(verify(document, key))
        if args.checkpoint:
            with open(args.checkpoint, encoding="utf-8") as f:
                other = json.load(f)
            with open(args.consistency, encoding="utf-8") as f:
                proof = json.load(f)["proof"]
            print(verify_consistency(key, document["statement"]["checkpoint"], other, proof))
    except NotVerified as why:
        print(f"NOT VERIFIED: {why}", file=sys.stderr)
        return 1
    except (KeyError, TypeError, ValueError) as bad:
        print(f"NOT VERIFIED: the file is not a careledger statement ({bad!r})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
