"""The auditor's pages: search, a budget's timeline (filtered by kind and date) with its
balances as at any day, a payment's chain back to the assessment, a reproducible sample, and
verifiable exports. Auditors read everything and change nothing: these pages only read, and
each read of a person's record is logged."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from config.audit import record_read
from config.errors import NotFound
from config.roles import Role
from frontend.access import roles_required, signed_in
from frontend.forms import date_field, date_value
from ledger.money import format_pence

MAX_CHECK_BYTES = 20 * 1024 * 1024


@roles_required(Role.AUDITOR)
def search(request: HttpRequest) -> HttpResponse:
    from api.audit import search as find
    from audit.trace import sample as draw

    q = request.GET.get("q", "")
    found = find(request, q) if q else []
    drawn = None
    if "sample" in request.GET:
        size = request.GET.get("size", "25")
        drawn = draw(int(size) if size.isdigit() else 25, request.GET.get("seed", "").strip())
    return render(request, "frontend/audit/search.html", {"q": q, "found": found, "sample": drawn})


@roles_required(Role.AUDITOR)
def budget(request: HttpRequest, council_ref: str) -> HttpResponse:
    from audit.trace import as_at, timeline

    kind = request.GET.get("kind", "")
    since, _ = date_field(request.GET, "since")
    until, _ = date_field(request.GET, "until")
    everything = timeline(council_ref)
    if not everything.steps:
        raise Http404("no such budget")
    shown = everything.only(kinds=[kind] if kind else [], since=since, until=until)
    on, wrong = date_field(request.GET, "on")
    balances = {code: format_pence(v) for code, v in as_at(council_ref, on).items()} if on else None
    record_read(signed_in(request), [council_ref], request.path)
    context = {
        "council_ref": council_ref,
        "steps": shown.steps,
        "kinds": everything.kinds(),
        "kind": kind,
        "since": date_value(request.GET, "since"),
        "until": date_value(request.GET, "until"),
        "on": date_value(request.GET, "on"),
        "on_date": on,
        "balances": balances,
        "errors": {"on": f"Date {wrong}"} if wrong else {},
    }
    return render(request, "frontend/audit/budget.html", context)


@roles_required(Role.AUDITOR)
def payment(request: HttpRequest, key: str) -> HttpResponse:
    from audit.trace import chain

    try:
        links = chain(key)
    except NotFound:
        raise Http404("no such payment") from None
    return render(request, "frontend/audit/payment.html", {"key": key, "links": links})


@roles_required(Role.AUDITOR)
def export(request: HttpRequest, council_ref: str, shape: str) -> HttpResponse:
    """The budget's entries with their leaves, hashes and proofs against a checkpoint: JSON
    lines that scripts/verify_statement.py checks, or CSV for a spreadsheet."""
    from ledger import transparency

    document = transparency.statement(council_ref).as_json()
    record_read(signed_in(request), [council_ref], request.path)
    body = document["statement"]
    if shape == "jsonl":
        # The signed statement, one entry a line (the first: the rest, and the signature).
        head = {k: v for k, v in body.items() if k != "entries"}
        lines = [json.dumps({"statement": head, "signature": document["signature"]})]
        lines += [json.dumps(item) for item in body["entries"]]
        response = HttpResponse("\n".join(lines) + "\n", content_type="application/x-ndjson")
    elif shape == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["index", "entry", "kind", "effective_at", "leaf_hash", "leaf", "proof"])
        for item in body["entries"]:
            leaf = item["leaf"]
            writer.writerow(
                [
                    item["index"],
                    leaf["entry"],
                    leaf["kind"],
                    leaf["effective_at"],
                    transparency.leaf_hash(transparency.canonical(leaf)).hex(),
                    json.dumps(leaf, sort_keys=True, separators=(",", ":")),
                    " ".join(item["proof"]),
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("no such export")
    name = f"entries-{council_ref}-{date.today():%Y%m%d}.{shape}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@roles_required(Role.AUDITOR)
def verify(request: HttpRequest) -> HttpResponse:
    """Check a statement or an export here, with the council's published key: the same checks
    the standalone verifier makes (scripts/verify_statement.py, run as it is)."""
    from ledger import transparency

    outcome, ok, errors = "", False, {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = {"file": "Choose the statement or export to check"}
        else:
            key = transparency.public_key_b64()
            ok, outcome = check_file(upload.name or "", upload.read(MAX_CHECK_BYTES), key)
    context = {"outcome": outcome, "ok": ok, "errors": errors}
    return render(request, "frontend/audit/verify.html", context, status=400 if errors else 200)


def check_file(name: str, data: bytes, key: str) -> tuple[bool, str]:
    """The standalone verifier's verdict on a file, from its own code (not careledger's)."""
    import base64
    import importlib.util
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    path = Path(__file__).resolve().parents[1] / "scripts" / "verify_statement.py"
    spec = importlib.util.spec_from_file_location("verify_statement", path)
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key))
    try:
        text = data.decode("utf-8")
        if name.endswith(".jsonl"):
            lines = [json.loads(x) for x in text.splitlines() if x.strip()]
            return True, script.verify_export(lines, public)
        return True, script.verify(json.loads(text), public)
    except script.NotVerified as why:
        return False, f"Not verified: {why}"
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError):
        return False, "Not verified: the file is not a careledger statement or export"
