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
    shown = timeline(council_ref, kinds=[kind] if kind else [], since=since, until=until)
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
