"""The personal budget's figures: the council's part plus the contribution, and the direct
payment the council's method makes of it, per week and per four-week payment."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from budgets.budget import BudgetFigures, ContributionMethod

NET, GROSS = ContributionMethod.NET, ContributionMethod.GROSS


def test_a_netted_contribution_comes_off_the_direct_payment() -> None:
    f = BudgetFigures(total_weekly=39100, contribution_weekly=2500, direct_payment_weekly=39100)
    assert (f.council_pays_weekly, f.paid_weekly, f.paid_per_period) == (36600, 36600, 146400)
    assert f.invoiced_weekly == 0
    assert "the council pays £366.00 a week into your direct-payment account" in " ".join(
        f.explanation()
    )
    assert "£1,464.00 each time" in f.explanation()[-1]


def test_a_gross_contribution_is_invoiced_and_the_payment_is_whole() -> None:
    f = BudgetFigures(39100, 2500, 39100, method=GROSS)
    assert (f.paid_weekly, f.invoiced_weekly, f.paid_per_period) == (39100, 2500, 156400)
    assert f.explanation()[-1] == "The council invoices you for your contribution of £25.00 a week."


def test_a_contribution_larger_than_the_direct_payment_is_invoiced_for_the_rest() -> None:
    f = BudgetFigures(32200, 4000, 3000)
    assert (f.netted_weekly, f.paid_weekly, f.invoiced_weekly) == (3000, 0, 1000)


def test_without_a_direct_payment_nothing_is_paid_into_an_account() -> None:
    f = BudgetFigures(32200, 4000, 0)
    assert f.paid_per_period == 0
    assert not any("direct-payment account" in line for line in f.explanation())


def test_a_plan_version_written_before_the_method_was_kept_reads_as_net() -> None:
    old = {
        "total_weekly": 100,
        "council_pays_weekly": 80,
        "contribution_weekly": 20,
        "direct_payment_weekly": 100,
    }
    assert BudgetFigures.from_dict(old) == BudgetFigures(100, 20, 100, method=NET)
    assert BudgetFigures.from_dict(BudgetFigures(100, 20, 100, GROSS).as_dict()).method is GROSS


@given(
    total=st.integers(0, 10_000_000),
    contribution=st.integers(0, 10_000_000),
    dp=st.integers(0, 10_000_000),
    method=st.sampled_from(list(ContributionMethod)),
)
def test_the_parts_always_add_up(total: int, contribution: int, dp: int, method: Any) -> None:
    contribution, dp = min(contribution, total), min(dp, total)
    f = BudgetFigures(total, contribution, dp, method=method)
    assert f.council_pays_weekly + f.contribution_weekly == f.total_weekly
    assert f.netted_weekly + f.invoiced_weekly == f.contribution_weekly
    assert f.paid_weekly + f.netted_weekly == f.direct_payment_weekly
    assert f.paid_weekly >= 0 and f.paid_per_period == 4 * f.paid_weekly
