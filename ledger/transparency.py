"""Statements anyone can verify: the ledger's entries as the leaves of a Merkle tree (RFC 9162
shape, ledger/merkle.py), signed checkpoints of it, and a person's statement carrying an
inclusion proof for each of their entries (docs/verify.md; scripts/verify_statement.py checks
one offline, with the standard library and ``cryptography`` only).

- **Leaves.** Each entry, in the log's order, is a leaf: its canonical JSON (sorted keys, no
  spaces) holding what the statement shows (the entry's id, kind, dates, budget and legs) and a
  random **salt** kept here, never published. The published tree holds only hashes, and a
  hash of salted data says nothing about the entry; the person's statement gives them each of
  their leaves whole, so they can hash it themselves.
- **Checkpoints.** The tree's size and root, at a time, signed with the council's Ed25519 key
  (``CARELEDGER_SIGNING_KEY``; the embedded demo makes one in ``var/``), published on the
  public page and API. A consistency proof shows any later checkpoint only added to an earlier.
- **Statements.** A person's entries with their leaves and proofs against a checkpoint, their
  closing balance, and the council's signature over the whole: an amount changed or an entry
  left out breaks the signature and the proof; a forged checkpoint fails its signature.

Leaves are appended, never changed: the tree is as append-only as the ledger it is built from.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from ledger import models
from ledger.merkle import MerkleTree, leaf_hash

VERSION = 1
SIGNED_NOTE = "careledger checkpoint v1"


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value both sides hash and sign."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def leaf_of(entry: models.Entry, salt: str) -> dict[str, Any]:
    """What the tree commits to for one entry (and a statement shows)."""
    return {
        "v": VERSION,
        "entry": str(entry.id),
        "kind": entry.kind,
        "effective_at": entry.effective_at.astimezone(UTC).isoformat(),
        "recorded_at": entry.recorded_at.astimezone(UTC).isoformat(),
        "budget": entry.budget,
        "reason": entry.reason,
        "reverses": str(entry.reverses) if entry.reverses else None,
        "legs": [
            [line.account.code, line.side, line.amount]
            for line in entry.lines.select_related("account").order_by("id")
        ],
        "salt": salt,
    }


# ---------------------------------------------------------------------------- the tree


def sync_leaves(batch: int = 2000) -> int:
    """Append a leaf for each entry the read model has and the tree has not, in log order;
    return the tree's size. Two processes at once: one appends, the other finds it done."""
    from ledger.services import catch_up

    catch_up()
    while True:
        last = models.MerkleLeaf.objects.order_by("-index").first()
        size = last.index + 1 if last else 0
        after = last.position if last else 0
        entries = list(
            models.Entry.objects.filter(position__gt=after)
            .order_by("position")
            .prefetch_related("lines__account")[:batch]
        )
        if not entries:
            return size
        rows = []
        for n, entry in enumerate(entries):
            salt = secrets.token_hex(16)
            rows.append(
                models.MerkleLeaf(
                    index=size + n,
                    entry=entry.id,
                    position=entry.position,
                    budget=entry.budget,
                    salt=salt,
                    hash=leaf_hash(canonical(leaf_of(entry, salt))).hex(),
                )
            )
        try:
            with transaction.atomic():
                models.MerkleLeaf.objects.bulk_create(rows)
        except IntegrityError:
            continue  # another process appended these first: read on from where it got to


_tree: MerkleTree | None = None
# A web process serves requests on several threads: the tree is appended to and read under
# this lock (re-entrant: a reader holding it may bring the tree up to date).
TREE_LOCK = threading.RLock()


def tree() -> MerkleTree:
    """This process's copy of the tree, brought up to the stored leaves (appended to, never
    rebuilt: the leaves never change). Read it holding ``TREE_LOCK``."""
    with TREE_LOCK:
        return _synced()


def _synced() -> MerkleTree:
    global _tree
    if _tree is not None and len(_tree):
        # Still the stored tree (not another store's, as tests switch): its last leaf agrees.
        last = models.MerkleLeaf.objects.filter(index=len(_tree) - 1).first()
        if last is None or bytes.fromhex(last.hash) != _tree.levels[0][-1]:
            _tree = None
    if _tree is None:
        _tree = MerkleTree()
    have = len(_tree)
    for h in (
        models.MerkleLeaf.objects.filter(index__gte=have)
        .order_by("index")
        .values_list("hash", flat=True)
        .iterator(chunk_size=10000)
    ):
        _tree.append(bytes.fromhex(h))
    return _tree


# ---------------------------------------------------------------------------- checkpoints


def signing_key() -> Any:
    """The council's Ed25519 private key: ``CARELEDGER_SIGNING_KEY`` (a PEM file), made for
    the embedded demo if it is missing."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(settings.CARELEDGER_SIGNING_KEY)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written whole under another name, then linked into place, which fails if another
        # process got there first (use theirs): nobody ever reads a half-written key.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key_b64() -> str:
    from cryptography.hazmat.primitives import serialization

    raw = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def checkpoint_note(origin: str, size: int, root: str, published_at: str) -> bytes:
    """The text a checkpoint's signature is over."""
    return f"{SIGNED_NOTE}\n{origin}\n{size}\n{root}\n{published_at}\n".encode()


def checkpoint_json(c: models.Checkpoint) -> dict[str, Any]:
    return {
        "origin": c.origin,
        "size": c.size,
        "root": c.root,
        "published_at": c.published_at.astimezone(UTC).isoformat(),
        "signature": c.signature,
    }


def publish_checkpoint() -> models.Checkpoint:
    """Sign and publish the tree as it stands (the latest, if nothing was added since)."""
    size = sync_leaves()
    latest = models.Checkpoint.objects.order_by("-size").first()
    if latest is not None and latest.size >= size:
        return latest
    with TREE_LOCK:
        root = tree().root(size).hex()
    now = datetime.now(UTC).replace(microsecond=0)
    origin = settings.CARELEDGER_ORIGIN
    signature = signing_key().sign(checkpoint_note(origin, size, root, now.isoformat()))
    found, _ = models.Checkpoint.objects.get_or_create(
        size=size,
        defaults={
            "root": root,
            "published_at": now,
            "origin": origin,
            "signature": base64.b64encode(signature).decode(),
        },
    )
    return found


def consistency(first: int, second: int) -> list[str]:
    """The proof that the tree of ``first`` leaves is a prefix of the one of ``second``."""
    with TREE_LOCK:
        return [p.hex() for p in tree().consistency_proof(first, second)]


# ---------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Statement:
    body: dict[str, Any]
    signature: str

    def as_json(self) -> dict[str, Any]:
        return {"statement": self.body, "signature": self.signature}


def statement(budget: str) -> Statement:
    """The budget's entries, each with its leaf and its inclusion proof against a checkpoint
    that holds them all, the closing balance of what the person can spend, all signed."""
    checkpoint = publish_checkpoint()
    leaves = list(models.MerkleLeaf.objects.filter(budget=budget, index__lt=checkpoint.size))
    entries = {
        e.id: e
        for e in models.Entry.objects.filter(
            id__in=[leaf.entry for leaf in leaves]
        ).prefetch_related("lines__account")
    }
    items = []
    with TREE_LOCK:
        the_tree = tree()
        for leaf in leaves:
            data = leaf_of(entries[leaf.entry], leaf.salt)
            assert leaf_hash(canonical(data)).hex() == leaf.hash, "a leaf no longer matches"
            proof = the_tree.inclusion_proof(leaf.index, checkpoint.size)
            items.append({"index": leaf.index, "leaf": data, "proof": [p.hex() for p in proof]})
    body = {
        "v": VERSION,
        "budget": budget,
        "account": f"PB:{budget}:AVAILABLE",
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "checkpoint": checkpoint_json(checkpoint),
        "count": len(items),
        "closing_balance_pence": closing_balance(items, f"PB:{budget}:AVAILABLE"),
        "entries": items,
    }
    signature = base64.b64encode(signing_key().sign(canonical(body))).decode()
    return Statement(body, signature)


def closing_balance(items: list[dict[str, Any]], account: str) -> int:
    """What the account holds from these entries: credits less debits (a budget is money the
    council owes the person's plan)."""
    total = 0
    for item in items:
        for code, side, amount in item["leaf"]["legs"]:
            if code == account:
                total += amount if side == "credit" else -amount
    return total


def fingerprint() -> str:
    """A short form of the public key, to read out or print."""
    return hashlib.sha256(base64.b64decode(public_key_b64())).hexdigest()[:16]
