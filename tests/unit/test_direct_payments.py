"""Direct-payment agreements and their schedules (payments/direct_payments.py), on England and
Wales's real bank holidays (payments/calendar.py, govuk-bank-holidays' shipped data)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from payments.calendar import CalendarError, WorkingDays, england_and_wales
from payments.direct_payments import (
    AgreementStateError,
    Amounts,
    BankAccount,
    DirectPaymentAgreement,
    DirectPaymentError,
    Payee,
    earliest_start,
)

CAL = england_and_wales()
START = date(2026, 4, 6)  # Easter Monday, a bank holiday
PERSON = Payee.create(kind="person", name="Ann Smith")


def agreement(**overrides: Any) -> DirectPaymentAgreement:
    fields: dict[str, Any] = {
        "budget_ref": "DN-000123",
        "person": "person-1",
        "needs": ["Managing and maintaining nutrition", "Maintaining personal hygiene"],
        "amounts": Amounts.create(30000, 4000),  # £300.00 a week, £40.00 netted off
        "method": "net",
        "start": START,
        "today": date(2026, 3, 30),
        "payee": PERSON,
        "has_capacity": True,
        "actor": "a.khan",
    }
    fields.update(overrides)
    return DirectPaymentAgreement.agree(**fields)


def test_a_year_of_four_weekly_payments_moves_off_bank_holidays_and_weekends() -> None:
    schedule = agreement().schedule(CAL, until=date(2027, 3, 31))
    assert [d.key for d in schedule.due] == [
        f"payments:dp:DN-000123:P{n:02d}" for n in range(1, 14)
    ]
    assert [d.period_start for d in schedule.due][:3] == [
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 6, 1),
    ]
    # Easter Monday, then Good Friday before it: paid on Thursday 2 April, in advance.
    assert schedule.due[0].pay_on == date(2026, 4, 2)
    # The early May bank holiday (Monday 4 May): paid on Friday 1 May.
    assert schedule.due[1].pay_on == date(2026, 5, 1)
    for due in schedule.due:
        assert CAL.is_working_day(due.pay_on)
        assert due.pay_on <= due.period_start
        assert (due.gross, due.netted, due.net) == (120000, 16000, 104000)
    assert schedule.due[-1].period_end == date(2027, 4, 4)
    assert schedule.total_net() == 13 * 104000
    assert schedule.due[0].reason == (
        "DP period 1 (6 Apr–3 May 2026): gross £1,200.00 (4 × £300.00) less assessed"
        " contribution £160.00 (4 × £40.00) netted off; council pays £1,040.00."
    )


def test_a_contribution_change_takes_effect_from_the_next_period_pro_rata() -> None:
    dp = agreement()
    # From Wednesday 10 June, inside period 3 (1–28 June): £50.00 a week netted instead of £40.
    dp.change_amounts(
        on=date(2026, 6, 10), amounts=Amounts.create(30000, 5000), reason="reassessed", actor="f"
    )
    due = dp.schedule(CAL, until=date(2026, 12, 31)).due
    assert due[2].netted == 16000  # period 3 was paid in advance at the old figure
    # Period 4: 4 × £50.00, plus 19 days (10–28 June) of £10.00 a week more: £27.14.
    assert due[3].netted == 20000 + 2714
    assert "Includes 19 days (10 Jun–28 Jun 2026) at the amount from 10 Jun 2026." in due[3].reason
    assert due[4].netted == 20000
    # A council whose rule is not pro rata starts the new figure at the next period only.
    plain = agreement(pro_rata=False)
    plain.change_amounts(
        on=date(2026, 6, 10), amounts=Amounts.create(30000, 5000), reason="reassessed", actor="f"
    )
    assert [d.netted for d in plain.schedule(CAL, until=date(2026, 9, 1)).due[2:5]] == [
        16000,
        20000,
        20000,
    ]


def test_a_change_dated_before_periods_already_paid_comes_with_the_first_unpaid_one() -> None:
    dp = agreement()
    # Dated 10 June (period 3), recorded once period 4 (29 June–26 July) was paid already.
    for _ in range(2):  # the same budget event twice: recorded once
        dp.change_amounts(
            on=date(2026, 6, 10),
            amounts=Amounts.create(30000, 5000),
            reason="reassessed",
            actor="f",
            paid_until=date(2026, 7, 27),
            source="budget:DN-000123:v3",
        )
    assert len(dp.amount_changes) == 2
    due = dp.schedule(CAL, until=date(2026, 12, 31)).due
    assert [d.netted for d in due[2:4]] == [16000, 16000]  # as they were paid
    # Period 5: 4 × £50.00, plus 47 days (10 June–26 July) of £10.00 a week more: £67.14.
    assert due[4].netted == 20000 + (1000 * 47 * 2 + 7) // 14 == 26714
    assert "Includes 47 days (10 Jun–26 Jul 2026) at the amount from" in due[4].reason
    assert due[5].netted == 20000
    assert dp.amounts_on(date(2026, 6, 10)).netted_weekly == 5000  # in force from its date


def test_a_reduction_bigger_than_a_payment_comes_off_the_next_one() -> None:
    dp = agreement(amounts=Amounts.create(10000, 0))
    dp.change_amounts(on=date(2026, 4, 7), amounts=Amounts.create(100, 0), reason="r", actor="f")
    due = dp.schedule(CAL, until=date(2026, 7, 1)).due
    # 27 days of period 1 at £99.00 a week less: £381.86 owed back, more than period 2's £4.00.
    assert [d.gross for d in due[:4]] == [40000, 0, 0, 0]
    assert sum(d.gross for d in due) >= 0
    owed = (9900 * 27 * 2 + 7) // 14
    assert sum(d.gross for d in due[1:]) == max(0, 400 * (len(due) - 1) - owed)


def test_a_suspension_skips_the_periods_inside_it_with_its_reason() -> None:
    dp = agreement()
    dp.suspend(on=date(2026, 7, 20), reason="a concern about how it is used", actor="sw")
    with pytest.raises(AgreementStateError):
        dp.suspend(on=date(2026, 7, 21), reason="again", actor="sw")
    dp.resume(on=date(2026, 8, 20), reason="concern resolved at review", actor="sw")
    schedule = dp.schedule(CAL, until=date(2026, 12, 31))
    assert [s.key for s in schedule.skipped] == ["payments:dp:DN-000123:P05"]
    assert "a concern about how it is used" in schedule.skipped[0].reason
    assert "payments:dp:DN-000123:P06" in [d.key for d in schedule.due]


def test_a_stop_ends_the_schedule_and_refuses_later_changes() -> None:
    dp = agreement()
    dp.stop(on=date(2026, 6, 1), reason="s.33: a condition no longer met", actor="tm")
    assert [d.number for d in dp.schedule(CAL, until=date(2027, 1, 1)).due] == [1, 2]
    with pytest.raises(AgreementStateError):
        dp.suspend(on=date(2026, 7, 1), reason="x", actor="sw")


def test_one_off_payments_are_paid_on_their_own_working_day() -> None:
    dp = agreement()
    dp.add_one_off(
        pay_on=date(2026, 5, 9),
        amount=45000,
        purpose="equipment",
        reason="a riser chair",
        actor="sw",
    )
    with pytest.raises(DirectPaymentError) as bad:
        dp.add_one_off(
            pay_on=date(2026, 5, 9), amount=0, purpose="equipment", reason="r", actor="s"
        )
    assert bad.value.field == "amount"
    one_off = next(d for d in dp.schedule(CAL, until=date(2026, 6, 1)).due if d.one_off)
    assert (one_off.key, one_off.pay_on, one_off.net) == (
        "payments:dp:DN-000123:X01",
        date(2026, 5, 8),  # Saturday 9 May: paid on Friday
        45000,
    )


def test_who_may_be_paid() -> None:
    with pytest.raises(DirectPaymentError, match="s.32") as refused:
        agreement(payee=Payee.create(kind="authorised", name="Bob Smith"), has_capacity=True)
    assert refused.value.field == "payee_kind"
    with pytest.raises(DirectPaymentError, match="lacks capacity"):
        agreement(has_capacity=False)
    agreement(payee=Payee.create(kind="authorised", name="Bob Smith"), has_capacity=False)
    with pytest.raises(DirectPaymentError) as refused:
        agreement(payee=Payee.create(kind="money_manager", name="Helping Hands"))
    assert refused.value.field == "provider_id"
    relative = {"kind": "nominated", "name": "Cath Smith", "relationship": "daughter"}
    with pytest.raises(DirectPaymentError, match="regulation 3") as refused:
        agreement(payee=Payee.create(**relative, close_relative_in_household=True))
    assert refused.value.field == "necessity_reason"
    recorded = Payee.create(
        **relative,
        close_relative_in_household=True,
        necessity_reason="she manages the payroll for her mother's personal assistants",
        necessity_decided_by="tm.jones",
    )
    assert agreement(payee=recorded).payee_on(START).necessity is not None


def test_the_start_and_the_figures_are_checked() -> None:
    assert earliest_start(date(2026, 3, 30)) == date(2026, 4, 6)  # a Monday: the next one
    assert earliest_start(date(2026, 4, 1)) == date(2026, 4, 6)
    with pytest.raises(DirectPaymentError) as refused:
        agreement(today=date(2026, 4, 1), start=date(2026, 4, 3))
    assert refused.value.field == "start"
    with pytest.raises(DirectPaymentError) as refused:
        Amounts.create(1000, 2000)
    assert refused.value.field == "netted_weekly"
    with pytest.raises(DirectPaymentError) as refused:
        agreement(needs=[])
    assert refused.value.field == "needs"
    with pytest.raises(DirectPaymentError) as refused:
        BankAccount.create(sort_code="12-34-5", account_number="12345678", name="A SMITH")
    assert refused.value.field == "sort_code"
    assert BankAccount.create(
        sort_code="12-34-56", account_number="12345678", name="A"
    ).sort_code == ("123456")


def test_the_calendar_refuses_a_date_beyond_the_holidays_it_knows() -> None:
    cal = WorkingDays.of([date(2026, 12, 25)], known_until=date(2026, 12, 31))
    assert cal.on_or_before(date(2026, 12, 27)) == date(2026, 12, 24)
    assert cal.working_days_before(date(2026, 12, 29), 3) == date(2026, 12, 23)
    with pytest.raises(CalendarError, match="known only until"):
        cal.is_working_day(date(2027, 1, 4))


def test_regulation_7_reviews_first_within_6_months_then_yearly_and_sooner_on_a_concern() -> None:
    dp = agreement()  # first payment: 6 April 2026
    assert dp.review_due_on() == date(2026, 10, 6)
    assert "within 6 months" in dp.review_reason()
    assert not dp.is_review_overdue(date(2026, 10, 6))
    assert dp.is_review_overdue(date(2026, 10, 7))
    dp.record_dp_review(
        on=date(2026, 9, 30),
        outcome="carry_on",
        reason="going well",
        actor="sw",
        today=date(2026, 10, 1),
    )
    assert dp.review_due_on() == date(2027, 9, 30)
    dp.record_trigger(on=date(2027, 1, 12), kind="concern", note="bills unpaid", actor="sw")
    assert dp.review_due_on() == date(2027, 1, 12)
    assert "concern recorded on 12 Jan 2027: bills unpaid" in dp.review_reason()
    with pytest.raises(DirectPaymentError) as refused:
        dp.record_dp_review(
            on=date(2027, 1, 13), outcome="maybe", reason="r", actor="sw", today=date(2027, 1, 13)
        )
    assert refused.value.field == "outcome"
    with pytest.raises(DirectPaymentError) as ahead:
        dp.record_dp_review(
            on=date(2027, 2, 1), outcome="stop", reason="r", actor="sw", today=date(2027, 1, 13)
        )
    assert ahead.value.field == "on"
    dp.record_dp_review(
        on=date(2027, 1, 20),
        outcome="stop",
        reason="misuse confirmed",
        actor="tm",
        today=date(2027, 1, 20),
    )
    assert dp.stopped_from == date(2027, 1, 20)
    assert not dp.is_review_overdue(date(2028, 6, 1))  # stopped: no more reviews due
    # Period 11 began on 11 January, before the stop; none after it.
    assert [d.number for d in dp.schedule(CAL, until=date(2027, 6, 1)).due][-1] == 11


def test_a_backdated_change_owes_no_difference_for_a_suspended_period() -> None:
    dp = agreement()
    dp.suspend(on=date(2026, 5, 4), reason="in hospital", actor="sw")  # period 2: 4–31 May
    dp.resume(on=date(2026, 6, 1), reason="home", actor="sw")
    dp.change_amounts(
        on=date(2026, 4, 20),  # inside period 1 (6 April–3 May), paid
        amounts=Amounts.create(30000, 5000),
        reason="reassessed",
        actor="f",
        paid_until=date(2026, 6, 1),  # periods 1 paid, 2 suspended: from period 3
    )
    due = dp.schedule(CAL, until=date(2026, 6, 28)).due
    assert [d.number for d in due] == [1, 3]
    # 14 days of period 1 (20 April–3 May) at £10.00 a week more; none of suspended May.
    assert due[1].netted == 20000 + (1000 * 14 * 2 + 7) // 14 == 22000
