"""The demo's figures add up on every page a person, a worker and finance see: read from the
pages themselves, checked against each other and against the ledger's entries."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from budgets.models import CaseRecord
from budgets.services import catch_up_cases
from ledger import models
from ledger.money import format_pence, parse_pounds

pytestmark = pytest.mark.django_db(transaction=True)


def client(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def pence(text: str) -> int:
    return 0 if text == "£0.00" else parse_pounds(text)  # the parser refuses a zero amount


def figures(html: str) -> dict[str, int]:
    found = re.findall(r'data-figure="(\w+)">([^<]+)<', html)
    assert found, "no figures on the page"
    return {name: pence(text) for name, text in found}


def balance_now(html: str) -> int:
    match = re.search(r"Balance now</dt><dd[^>]*>([^<]+)</dd>", html)
    assert match, "no balance on the statement"
    return pence(match.group(1))


def test_the_demo_figures_agree_on_every_page_and_with_the_ledger(
    stores: Any, settings: Any
) -> None:
    stores.new()
    settings.STRIPE_API_KEY = ""
    call_command("load_demo", stdout=StringIO())
    catch_up_cases()
    worker, finance = client("socialworker"), client("finance")

    # Sam sees his own budget; his worker sees the same figures on his case.
    mine = client("person").get("/my-budget/").content.decode()
    sam = figures(mine)
    assert figures(worker.get("/cases/DN-000123/").content.decode()) == sam

    budgets = CaseRecord.objects.exclude(weekly=None)
    assert budgets.count() >= 4
    contributing = 0
    for case in budgets:
        ref = case.council_ref
        f = figures(worker.get(f"/cases/{ref}/").content.decode())
        # The arithmetic of the figures themselves.
        assert f["total_weekly"] == case.weekly
        assert f["council_pays_weekly"] + f["contribution_weekly"] == f["total_weekly"]
        if "direct_payment_weekly" in f:
            netted = min(f["contribution_weekly"], f["direct_payment_weekly"])
            assert f["paid_weekly"] == f["direct_payment_weekly"] - netted
            assert f["paid_per_period"] == 4 * f["paid_weekly"]
        contributing += f["contribution_weekly"] > 0
        # And the ledger, as finance sees it: a year of the budget in the person's account,
        # the council's part from the care fund and the contribution owed by the person.
        available = finance.get(f"/ledger/accounts/PB:{ref}:AVAILABLE/").content.decode()
        assert balance_now(available) == 52 * f["total_weekly"], ref
        entries = {e.kind: e for e in models.Entry.objects.filter(budget=ref)}
        first = models.Entry.objects.filter(budget=ref, kind="allocation").get()
        first_weekly = first.amount // 52 + f["contribution_weekly"]
        # The allocation's reason names the budget as first allocated and the council's part.
        assert f"Personal budget of {format_pence(first_weekly)} a week" in first.reason
        assert f"the council pays {format_pence(first.amount // 52)} a week" in first.reason
        if f["contribution_weekly"]:
            due = finance.get(f"/ledger/accounts/CONTRIBUTION:{ref}:DUE/").content.decode()
            assert balance_now(due) == 52 * f["contribution_weekly"], ref
            assert entries["contribution"].amount == 52 * f["contribution_weekly"]
        # Nothing is paid yet (payments are the next issue), and the page says so.
        assert not models.Entry.objects.filter(
            budget=ref, kind__in=["direct_payment", "provider_fee", "managed_spend"]
        ).exists()
    assert contributing, "the demo should have someone who contributes"
    assert "Nothing yet." in mine
    # The plan's statement says what the figures say.
    paid = f"the council pays {format_pence(sam.get('paid_weekly', 0))} a week into your direct"
    assert sam["contribution_weekly"] and sam["paid_weekly"]  # Sam contributes and takes a DP
    assert paid in mine
