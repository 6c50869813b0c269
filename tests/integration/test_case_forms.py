"""The worker's forms, the plan editor, reviews and the plan's PDF, through Django's client.

Each refusal is shown in the GOV.UK error summary beside its field, and records nothing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from budgets.domain import BudgetError
from budgets.plan import DIRECT_PAYMENT_PARTS, REQUIRED_PARTS
from budgets.services import budget_app
from config.errors import NotFound
from config.roles import Role
from ledger import queries
from ledger.models import Entry
from ledger.money import format_pence
from ledger.services import catch_up
from tests.integration.helpers import (
    ALEX,
    JO,
    accredited_provider,
    engaged_planner,
    person,
    signed_in,
    six_week_review,
    staff,
    staff_of,
)

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()
REF = "DN-000900"


def summary_links(page: str) -> list[str]:
    """The error summary's links, each checked to land on an element of the page."""
    summary = page[
        page.index("govuk-error-summary") : page.index("</ul>", page.index("govuk-error-summary"))
    ]
    targets = re.findall(r'href="#([^"]+)"', summary)
    missing = [t for t in targets if f'id="{t}"' not in page]
    assert targets and not missing, f"summary links to no element: {missing}"
    return targets


def date_input(name: str, on: date) -> dict[str, str]:
    return {f"{name}-{k}": str(getattr(on, k)) for k in ("day", "month", "year")}


ALL_PARTS = {
    key: f"The {key} part"
    for key in (
        "needs",
        "eligibility",
        "how_needs_are_met",
        "outcomes",
        "information_and_advice",
        "contingency",
        "direct_payment_needs",
        "direct_payment_frequency",
    )
}
REGISTRATION = {
    "council_ref": REF,
    "name": "Lee Hart",
    "nhs_number": "943 476 5919",
    "has_capacity": "yes",
    **date_input("date_of_birth", date(1955, 6, 1)),
}
ASSESSMENT = {
    "day_in_my_life": "Up at seven; the mornings are hard since the fall.",
    "hygiene-need": "Cannot get in or out of the bath",
    "hygiene-strengths": "Daughter helps at weekends",
    "hygiene-severity": "substantial",
    "hygiene-risk": "high",
    "nutrition-need": "Cannot stand long enough to cook",
    "nutrition-severity": "moderate",
    "nutrition-risk": "medium",
    "arises_from_impairment": "yes",
    "significant_impact": "yes",
}


def assessed(worker: Client) -> None:
    assert worker.post("/cases/new/", REGISTRATION).status_code == 302
    response = worker.post(f"/cases/{REF}/assessment/", ASSESSMENT)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{REF}/allocation/"


def allocate_form(worker: Client, **changes: str) -> Any:
    """Post the allocation form: the indicative figure, £100 of it as a direct payment."""
    weekly = budget_app().indicative(REF, today=TODAY).weekly
    form = {
        "weekly": format_pence(weekly),
        "contribution": "£20.00",
        "direct_payment": "100.00",
        "council_managed": format_pence(weekly - 10000),
        "individual_service_fund": "0",
        **date_input("direct_payment_start", TODAY + timedelta(days=7)),
    }
    return worker.post(f"/cases/{REF}/allocation/", form | changes)


def worker_writes_plan() -> None:
    budget_app().write_plan(REF, parts=ALL_PARTS, actor=ALEX, today=TODAY)


def signed_by_worker(worker: Client) -> None:
    """Lee's budget allocated, the worker's plan written and signed by the worker."""
    assert allocated(worker).status_code == 302
    worker_writes_plan()
    budget_app().sign_plan(REF, actor=ALEX)


def allocated(worker: Client, **changes: str) -> Any:
    assessed(worker)
    return allocate_form(worker, **changes)


def test_an_empty_registration_names_every_field_at_fault_at_once(worker: Client) -> None:
    response = worker.post("/cases/new/", {})
    assert response.status_code == 400
    assert summary_links(response.content.decode()) == [
        "council_ref",
        "name",
        "date_of_birth",
        "nhs_number",
        "has_capacity",
    ]
    assert "Enter their date of birth" in response.content.decode()
    no_such_day = {
        "date_of_birth-day": "31",
        "date_of_birth-month": "2",
        "date_of_birth-year": "1955",
    }
    response = worker.post("/cases/new/", {**REGISTRATION, "name": "", **no_such_day})
    assert summary_links(response.content.decode()) == ["name", "date_of_birth"]
    assert "Date of birth must be a real date, for example 27 3 2027" in response.content.decode()
    with pytest.raises(NotFound):
        budget_app().get_person(REF)


def test_registering_with_a_bad_nhs_number_says_why_and_records_no_one(worker: Client) -> None:
    response = worker.post("/cases/new/", {**REGISTRATION, "nhs_number": "943 476 5918"})
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == ["nhs_number"]
    assert "check digit does not match" in page
    assert 'value="Lee Hart"' in page  # what was typed is kept
    with pytest.raises(NotFound):
        budget_app().get_person(REF)


def test_an_assessment_refused_for_one_outcome_names_that_outcome(worker: Client) -> None:
    assert worker.post("/cases/new/", REGISTRATION).status_code == 302
    response = worker.post(
        f"/cases/{REF}/assessment/", {**ASSESSMENT, "nutrition-risk": ""}
    )  # a severity without its risk
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == ["nutrition-severity"]
    assert "Managing and maintaining nutrition: give both the severity and the risk" in page
    with pytest.raises(NotFound):
        budget_app().assessment(REF)


def test_the_allocation_page_explains_the_indicative_budget_and_offers_next_week(
    worker: Client,
) -> None:
    assessed(worker)
    page = worker.get(f"/cases/{REF}/allocation/").content.decode()
    calculation = budget_app().indicative(REF, today=TODAY)
    for line in calculation.explanation:
        assert line in page.replace("&#x27;", "'")
    monday = TODAY + timedelta(days=7 - TODAY.weekday())
    day = (
        'id="direct_payment_start" name="direct_payment_start-day" type="text" inputmode="numeric"'
    )
    assert f'{day} value="{monday.day}"' in page


def test_allocating_with_a_direct_payment_from_next_week_posts_one_ledger_entry(
    worker: Client,
) -> None:
    response = allocated(worker)
    assert response.status_code == 302, response.content.decode()
    budget = budget_app().get_budget(REF)
    assert budget.direct_payment_start == TODAY + timedelta(days=7)
    assert budget.split.direct_payment == 10000
    assert budget.contribution_weekly == 2000
    catch_up()
    assert queries.account_by_code(f"PB:{REF}:AVAILABLE").normal_balance == budget.weekly * 52


def test_an_adjusted_allocation_without_a_reason_is_refused_and_nothing_is_posted(
    worker: Client,
) -> None:
    response = allocated(worker, weekly="999.00", council_managed="899.00")
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == ["adjustment_reason"]
    with pytest.raises(NotFound):
        budget_app().get_budget(REF)
    catch_up()
    assert not Entry.objects.filter(budget=REF).exists()


def test_parts_that_do_not_add_up_are_refused_beside_the_first_part(worker: Client) -> None:
    response = allocated(worker, direct_payment="1.00")
    assert response.status_code == 400
    assert summary_links(response.content.decode()) == ["direct_payment"]
    assert "add up to" in response.content.decode()


def test_the_engaged_planner_writes_the_plan_and_no_other_provider_can(
    worker: Client, make_user: Any
) -> None:
    assert allocated(worker).status_code == 302
    planner = accredited_provider("1600001", name="Connect Doncaster")
    other = accredited_provider("1600002", name="Elsewhere Planning")
    engaged_planner(REF, planner)
    priya = staff_of(make_user, "priya", planner)
    stranger = staff_of(make_user, "sol", other)

    assert stranger.get(f"/cases/{REF}/plan/").status_code == 403  # the policy refuses
    # The first version starts from the assessment: its needs, why eligible, their words.
    first = priya.get(f"/cases/{REF}/plan/").content.decode().replace("&#x27;", "'")
    assert 'data-testid="drafted-from"' in first
    assert (
        "Maintaining personal hygiene: Cannot get in or out of the bath. Met in part by: "
        "Daughter helps at weekends. Left unmet: substantial, high risk." in first
    )
    assert "The needs arise from a physical or mental impairment or illness." in first
    missing = priya.post(f"/cases/{REF}/plan/", {"needs": "Help to wash"})
    assert missing.status_code == 400
    assert summary_links(missing.content.decode()) == [  # every missing part, together
        "eligibility",
        "how_needs_are_met",
        "outcomes",
        "information_and_advice",
        "contingency",
        "direct_payment_needs",
        "direct_payment_frequency",
    ]
    with pytest.raises(NotFound):
        budget_app().plan(REF)

    response = priya.post(f"/cases/{REF}/plan/", ALL_PARTS)
    assert response.status_code == 302
    assert response["Location"] == "/provider/"
    plan = budget_app().plan(REF)
    assert plan.versions[-1]["author"] == "planner"
    assert plan.versions[-1]["written_by"] == "priya"


def test_a_review_records_each_outcome_and_sets_the_next_within_a_year(
    worker: Client,
) -> None:
    assert allocated(worker).status_code == 302
    worker_writes_plan()
    page = worker.get(f"/cases/{REF}/review/").content.decode()
    assert "The 6-week review" in page
    unanswered = worker.post(
        f"/cases/{REF}/review/", {**date_input("on", TODAY), "nutrition-scale": "4"}
    )
    assert unanswered.status_code == 400
    assert summary_links(unanswered.content.decode()) == ["hygiene-scale"]
    assert budget_app().reviews(REF).reviews == []

    response = worker.post(
        f"/cases/{REF}/review/",
        {
            **date_input("on", TODAY),
            "hygiene-scale": "5",
            "hygiene-words": "I can have a bath again",
            "nutrition-scale": "3",
            "changes": "None for now",
        },
    )
    assert response.status_code == 302
    reviews = budget_app().reviews(REF)
    assert reviews.reviews[0]["outcomes"]["Maintaining personal hygiene"] == {
        "scale": 5,
        "in_their_words": "I can have a bath again",
    }
    assert reviews.reviews[0]["reviewer"] == "alex"
    assert reviews.due_on == TODAY + timedelta(days=365)


def test_the_plan_pdf_carries_the_budget_breakdown_and_only_to_its_person(
    worker: Client, make_user: Any
) -> None:
    assert allocated(worker).status_code == 302
    worker_writes_plan()
    lee = person(make_user, "lee", REF)
    response = lee.get(f"/my-budget/{REF}/plan.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(response.content)).pages)
    budget = budget_app().get_budget(REF)
    assert f"Your personal budget: {format_pence(budget.weekly)} a week." in text
    assert "You contribute £20.00 a week" in text
    assert "The contingency part" in text
    flat = " ".join(text.split())  # the PDF wraps long lines
    for key, title in {**REQUIRED_PARTS, **DIRECT_PAYMENT_PARTS}.items():
        assert title in flat and f"The {key} part" in flat, key  # every Care Act part
    assert "the council pays £80.00 a week into your direct-payment account" in flat
    assert "Not signed off yet" in text

    other = person(make_user, "sam", "DN-000123")
    assert other.get(f"/my-budget/{REF}/plan.pdf").status_code == 404
    assert worker.get(f"/cases/{REF}/plan.pdf").status_code == 200


def test_every_page_declares_who_may_use_it() -> None:
    from frontend.urls import urlpatterns

    public = {"home", "sign-in", "sign-out", "register", "provider-profile", "find-support"}
    public |= {"keep-alive", "signed-out"}  # the session's own: anyone, signed in or not
    public |= {"accessibility", "privacy", "cookies"}
    public |= {"compare", "tariff", "ras-grid", "transparency"}
    undeclared = [
        p.name for p in urlpatterns if p.name not in public and not hasattr(p.callback, "roles")
    ]
    assert undeclared == []


@pytest.mark.parametrize(
    "path", ["/cases/new/", f"/cases/{REF}/assessment/", f"/cases/{REF}/allocation/"]
)
def test_only_workers_assess_and_allocate(worker: Client, make_user: Any, path: str) -> None:
    assessed(worker)
    for role in (Role.PERSON, Role.FINANCE_OFFICER, Role.PANEL_MEMBER, Role.AUDITOR):
        client = signed_in(make_user, f"u-{role.name.lower()}", role)
        assert client.get(path).status_code == 403
        assert client.post(path, ASSESSMENT).status_code == 403
    assert Client().get(path).status_code == 302  # to sign in
    assert len(budget_app().assessment(REF).versions) == 1  # nothing recorded by the refused


def test_a_review_that_changes_the_plan_reopens_it_for_a_new_version_and_sign_off(
    worker: Client, make_user: Any
) -> None:
    signed_by_worker(worker)
    app = budget_app()
    six_week_review(REF, outcome="Maintaining personal hygiene")
    app.sign_plan(REF, actor=JO)
    assert app.plan(REF).signed_off
    response = worker.post(
        f"/cases/{REF}/review/",
        {
            **date_input("on", TODAY),
            "hygiene-scale": "4",
            "nutrition-scale": "2",
            "changes": "Meals need more help",
            "plan_changes": "yes",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{REF}/plan/"
    plan = app.plan(REF)
    assert not plan.signed_off and plan.signatures == {}
    assert (
        worker.post(f"/cases/{REF}/plan/", ALL_PARTS | {"outcomes": "Hot meals"}).status_code == 302
    )
    assert len(app.plan(REF).versions) == 2


def test_a_revision_posts_the_difference_and_a_cut_needs_a_reassessment(worker: Client) -> None:
    assert allocated(worker).status_code == 302
    budget = budget_app().get_budget(REF)
    more = budget.weekly + 5000
    form = {
        "weekly": format_pence(more),
        "direct_payment": "100.00",
        "council_managed": format_pence(more - 10000),
        "reason": "Meals need more help since the review",
    }
    assert worker.post(f"/cases/{REF}/revision/", form).status_code == 302
    catch_up()
    assert queries.account_by_code(f"PB:{REF}:AVAILABLE").normal_balance == more * 52
    assert Entry.objects.filter(budget=REF, kind="adjustment").get().amount == 5000 * 52

    cut = {**form, "weekly": "100.00", "council_managed": "", "reason": "Less needed"}
    response = worker.post(f"/cases/{REF}/revision/", cut)
    assert response.status_code == 400
    assert "A review cannot cut a budget without a reassessment" in response.content.decode()
    assert summary_links(response.content.decode()) == ["weekly"]
    assert budget_app().get_budget(REF).weekly == more
    catch_up()
    assert Entry.objects.filter(budget=REF, kind="adjustment").count() == 1


def test_a_council_reference_that_would_break_an_address_is_refused(worker: Client) -> None:
    for ref in ("DN/1", "..", "new"):
        response = worker.post("/cases/new/", {**REGISTRATION, "council_ref": ref})
        assert response.status_code == 400
        assert summary_links(response.content.decode()) == ["council_ref"]
    assert worker.get("/cases/").status_code == 200
    with pytest.raises(NotFound):
        budget_app().get_person("DN/1")


def test_a_second_allocation_is_refused_and_the_page_sends_the_worker_to_revise(
    worker: Client,
) -> None:
    assert allocated(worker).status_code == 302
    weekly = budget_app().get_budget(REF).weekly
    again = allocate_form(
        worker, weekly="999.00", council_managed="899.00", adjustment_reason="More"
    )
    assert again.status_code == 400
    assert "already allocated: revise it instead" in again.content.decode()
    assert budget_app().get_budget(REF).weekly == weekly
    catch_up()
    assert Entry.objects.filter(budget=REF, kind="allocation").count() == 1  # not a second one
    assert worker.get(f"/cases/{REF}/allocation/")["Location"] == f"/cases/{REF}/revision/"


def test_only_a_worker_reopens_a_plan_and_a_refused_review_records_nothing(
    worker: Client, make_user: Any
) -> None:
    assert allocated(worker).status_code == 302
    app = budget_app()
    worker_writes_plan()
    planner = accredited_provider("1600009", name="Connect Doncaster")
    engaged_planner(REF, planner)
    review = {
        "on": TODAY,
        "outcomes": {"Maintaining personal hygiene": {"scale": 4}},
        "changes": "",
        "today": TODAY,
    }
    priya = staff("priya", Role.PROVIDER_STAFF, organisation=planner)
    with pytest.raises(BudgetError, match="only the social worker or team manager"):
        app.record_review(REF, actor=priya, plan_changes=True, **review)
    # A worker asks to reopen a plan that is not signed off: the review is not kept either.
    response = worker.post(
        f"/cases/{REF}/review/",
        {
            **date_input("on", TODAY),
            "hygiene-scale": "4",
            "nutrition-scale": "4",
            "plan_changes": "yes",
        },
    )
    assert response.status_code == 400
    assert summary_links(response.content.decode()) == ["plan_changes"]
    assert app.reviews(REF).reviews == []


def test_a_provider_not_engaged_can_neither_write_nor_review(
    worker: Client, make_user: Any
) -> None:
    assert allocated(worker).status_code == 302
    stranger = staff_of(make_user, "sol", accredited_provider("1600003", name="Elsewhere"))
    assert stranger.post(f"/cases/{REF}/plan/", ALL_PARTS).status_code == 403
    assert stranger.get(f"/cases/{REF}/review/").status_code == 403
    assert stranger.get(f"/cases/{REF}/plan.pdf").status_code == 403
    with pytest.raises(NotFound):
        budget_app().plan(REF)


def test_every_staff_read_of_the_forms_is_logged(worker: Client) -> None:
    from api.models import PersonalDataRead

    assert allocated(worker).status_code == 302
    worker_writes_plan()
    PersonalDataRead.objects.all().delete()
    paths = [f"/cases/{REF}/{p}/" for p in ("assessment", "plan", "review", "revision")]
    for path in [*paths, f"/cases/{REF}/plan.pdf"]:
        assert worker.get(path).status_code == 200, path
    logged = list(PersonalDataRead.objects.filter(subject=REF).values_list("what", flat=True))
    assert sorted(logged) == sorted([*paths, f"/cases/{REF}/plan.pdf"])


def test_the_person_may_write_their_own_plan_and_no_one_elses(
    worker: Client, make_user: Any
) -> None:
    assert allocated(worker).status_code == 302
    lee = person(make_user, "lee", REF)
    assert "Write your own plan" in lee.get("/my-budget/").content.decode()
    response = lee.post(f"/cases/{REF}/plan/", ALL_PARTS)
    assert response.status_code == 302 and response["Location"] == "/my-budget/"
    version = budget_app().plan(REF).versions[-1]
    assert (version["author"], version["written_by"]) == ("person", "lee")

    sam = person(make_user, "sam", "DN-000123")
    assert sam.post(f"/cases/{REF}/plan/", ALL_PARTS).status_code == 403
    assert lee.get(f"/cases/{REF}/review/").status_code == 403  # reviews are the council's
    assert len(budget_app().plan(REF).versions) == 1


def test_the_worker_who_assessed_holds_the_case(worker: Client, make_user: Any) -> None:
    def my_cases(client: Client) -> list[str]:
        page = client.get("/cases/?queue=mine").content.decode()
        return re.findall(r'data-testid="stage-([^"]+)"', page)

    assessed(worker)  # alex registered and assessed Lee
    kim = signed_in(make_user, "kim", Role.SOCIAL_WORKER)
    assert my_cases(worker) == [REF]
    assert my_cases(kim) == []
    assert "stage-DN-000900" in kim.get("/cases/").content.decode()  # the team sees everyone
    assert kim.post(f"/cases/{REF}/assessment/", ASSESSMENT).status_code == 302
    assert (my_cases(kim), my_cases(worker)) == ([REF], [])  # kim reassessed: now kim's
    assert "Your cases:" not in kim.get("/").content.decode()  # no review due: nothing to say


def test_each_form_names_every_field_at_fault_at_once(worker: Client) -> None:
    assert worker.post("/cases/new/", REGISTRATION).status_code == 302
    assessment = worker.post(
        f"/cases/{REF}/assessment/",
        {**ASSESSMENT, "day_in_my_life": "", "nutrition-risk": "", "hygiene-need": ""},
    )
    assert assessment.status_code == 400
    assert summary_links(assessment.content.decode()) == [
        "day_in_my_life",
        "nutrition-severity",
        "hygiene-severity",
    ]
    with pytest.raises(NotFound):
        budget_app().assessment(REF)

    assert worker.post(f"/cases/{REF}/assessment/", ASSESSMENT).status_code == 302
    allocation = allocate_form(
        worker,
        weekly="400.00",  # adjusted without a reason, parts not adding up, no start date
        **{f"direct_payment_start-{k}": "" for k in ("day", "month", "year")},
    )
    assert allocation.status_code == 400
    assert summary_links(allocation.content.decode()) == [  # in the order of the form
        "adjustment_reason",
        "direct_payment",
        "direct_payment_start",
    ]
    with pytest.raises(NotFound):
        budget_app().get_budget(REF)


def test_one_outcome_with_two_faults_shows_both_beside_their_fields(worker: Client) -> None:
    assert worker.post("/cases/new/", REGISTRATION).status_code == 302
    too_long = "x" * 2001
    response = worker.post(
        f"/cases/{REF}/assessment/",
        {**ASSESSMENT, "hygiene-need": too_long, "hygiene-strengths": too_long},
    )
    page = response.content.decode()
    assert summary_links(page) == ["hygiene-need", "hygiene-strengths"]
    row = page[page.index('id="hygiene-error"') : page.index('id="hygiene-severity"')]
    assert row.count("Error:</span>") == 2
    assert 'govuk-textarea--error" id="hygiene-need"' in row
    assert 'govuk-textarea--error" id="hygiene-strengths"' in row


def test_the_worker_sees_on_the_case_when_the_chosen_support_was_suspended(
    worker: Client,
) -> None:
    from accreditation.services import accreditation_app
    from tests.integration.helpers import REGISTRAR

    assessed(worker)
    planner = accredited_provider("1600040", name="Connect Doncaster")
    engaged_planner(REF, planner)
    page = worker.get(f"/cases/{REF}/").content.decode()
    assert "Independent support planning: Connect Doncaster (active)" in page
    assert 'data-testid="support-flag"' not in page
    app = accreditation_app()
    aid = app.accreditation_of(planner, "support_planning").id
    app.suspend(aid, actor=REGISTRAR, reason="Insurance lapsed", today=TODAY)
    page = worker.get(f"/cases/{REF}/").content.decode()
    assert 'data-testid="support-flag"' in page
    assert "accreditation for independent support planning was suspended" in page


def test_the_case_shows_the_persons_record_and_why_the_budget_was_adjusted(
    worker: Client, make_user: Any
) -> None:
    assessed(worker)
    weekly = budget_app().indicative(REF, today=TODAY).weekly + 5000
    assert (
        allocate_form(
            worker,
            weekly=format_pence(weekly),
            council_managed=format_pence(weekly - 10000),
            adjustment_reason="Two carers for moving and handling",
        ).status_code
        == 302
    )
    page = worker.get(f"/cases/{REF}/").content.decode()
    assert "1 June 1955" in page and "943 476 5919" in page
    assert "They decide for themselves" in page
    assert "Two carers for moving and handling" in page
    lee = person(make_user, "lee", REF)
    assert "because: Two carers for moving and handling" in lee.get("/my-budget/").content.decode()


def test_the_manager_signs_off_from_the_page_only_once_the_review_is_recorded(
    worker: Client, make_user: Any
) -> None:
    signed_by_worker(worker)
    app = budget_app()
    jo = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    page = jo.get(f"/cases/{REF}/").content.decode()
    assert 'data-testid="awaiting-review"' in page and ">Sign off</button>" not in page
    early = jo.post(f"/cases/{REF}/manager-sign/", {"reason": ""})
    assert early.status_code == 400
    assert summary_links(early.content.decode()) == ["plan"]
    assert not app.plan(REF).signed_off
    six_week_review(REF, outcome="Maintaining personal hygiene")
    assert ">Sign off</button>" in jo.get(f"/cases/{REF}/").content.decode()
    assert jo.post(f"/cases/{REF}/manager-sign/", {"reason": ""}).status_code == 302
    assert app.plan(REF).signed_off


def test_an_exceptional_case_goes_to_the_panel_before_any_review_and_errors_land_on_fields(
    worker: Client, make_user: Any
) -> None:
    signed_by_worker(worker)
    app = budget_app()
    jo = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    referred = jo.post(f"/cases/{REF}/refer/", {"reason": "Two carers day and night"})
    assert referred.status_code == 302
    panel = signed_in(make_user, "pat", Role.PANEL_MEMBER)
    refused = panel.post(f"/cases/{REF}/panel-decide/", {"reasons": "Needed"})
    assert refused.status_code == 400
    assert summary_links(refused.content.decode()) == ["decision"]
    assert app.plan(REF).panel["decision"] is None  # type: ignore[index]
    decided = panel.post(
        f"/cases/{REF}/panel-decide/", {"decision": "approved", "reasons": "Needed"}
    )
    assert decided.status_code == 302 and app.plan(REF).signed_off
