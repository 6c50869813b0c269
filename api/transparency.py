"""The ledger's published tree, open to anyone: its signed checkpoints, the key they are
signed with, and consistency proofs between any two (ledger/transparency.py, docs/verify.md).
They show hashes only: the leaves are salted, so nothing here is about anyone."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from config.errors import NotFound
from ledger import models, transparency

router = Router(tags=["transparency"])


class CheckpointOut(Schema):
    origin: str
    size: int
    root: str
    published_at: str  # as signed (ISO 8601, UTC)
    signature: str


class CheckpointPage(Schema):
    items: list[CheckpointOut]
    next_before: int | None


class KeyOut(Schema):
    algorithm: str
    public_key: str  # base64 of the 32 raw Ed25519 bytes
    fingerprint: str


class ConsistencyOut(Schema):
    first: int
    second: int
    proof: list[str]


@router.get("/key", response=KeyOut, auth=None)
def key(request: HttpRequest) -> KeyOut:
    """The council's public key: checkpoints and statements are signed with it."""
    return KeyOut(
        algorithm="Ed25519",
        public_key=transparency.public_key_b64(),
        fingerprint=transparency.fingerprint(),
    )


@router.get("/checkpoints", response=CheckpointPage, auth=None)
def checkpoints(request: HttpRequest, before: int | None = None, limit: int = 50) -> CheckpointPage:
    """The signed checkpoints, newest first (``before``: the size to page on from)."""
    transparency.publish_checkpoint()
    found = models.Checkpoint.objects.order_by("-size")
    if before is not None:
        found = found.filter(size__lt=before)
    limit = max(1, min(limit, 200))
    rows = list(found[: limit + 1])
    return CheckpointPage(
        items=[CheckpointOut(**transparency.checkpoint_json(c)) for c in rows[:limit]],
        next_before=rows[limit - 1].size if len(rows) > limit else None,
    )


@router.get("/consistency", response=ConsistencyOut, auth=None)
def consistency(request: HttpRequest, first: int, second: int) -> ConsistencyOut:
    """The proof that the tree of ``first`` entries is a prefix of the tree of ``second``."""
    for size, name in ((first, "first"), (second, "second")):
        if not models.Checkpoint.objects.filter(size=size).exists():
            raise NotFound(f"no checkpoint of size {size} was published", field=name)
    low, high = sorted((first, second))
    return ConsistencyOut(first=low, second=high, proof=transparency.consistency(low, high))
