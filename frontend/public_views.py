"""Public pages (no sign-in): the register, a provider's profile, finding and comparing support."""

from __future__ import annotations

from uuid import UUID, uuid4

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accreditation import queries
from accreditation.domain import Service, Status
from accreditation.services import catch_up as catch_up_register
from config.errors import NotFound
from config.roles import Role, has_any_role
from config.versions import DatedVersions
from identity.actors import actor_from_user
from ledger.money import format_pence
from marketplace.domain import TARIFF, MarketplaceError, TariffVersion, price_for
from marketplace.models import TariffRecord
from marketplace.services import catch_up, marketplace_app

SERVICES = [(s.value, s.label) for s in Service]
STATUS_TAGS = {
    "accredited": "govuk-tag--green",
    "suspended": "govuk-tag--orange",
    "withdrawn": "govuk-tag--red",
    "refused": "govuk-tag--red",
    "expired": "govuk-tag--grey",
    "applied": "govuk-tag--blue",
    "under_assessment": "govuk-tag--blue",
}


def _tariff_in_force() -> TariffVersion | None:
    try:
        return marketplace_app().tariff_in_force(timezone.localdate())
    except MarketplaceError:
        return None


def _show_prices(matches: list[queries.Match]) -> None:
    """Each match's price, and whether the provider's own price differs from the tariff."""
    tariff = _tariff_in_force()
    for m in matches:
        price = (
            price_for(Service(m.service.service), tariff=tariff, offers=m.provider.offers)
            if tariff is not None
            else None
        )
        m.price_text = format_pence(price.pence) if price else ""  # type: ignore[attr-defined]
        m.tariff_text = format_pence(price.tariff) if price else ""  # type: ignore[attr-defined]
        m.differs = price is not None and price.differs  # type: ignore[attr-defined]


def _tariff_prices() -> dict[str, str]:
    try:
        t = marketplace_app().tariff_in_force(timezone.localdate())
    except MarketplaceError:
        return {}
    return {
        "support_planning": format_pence(t.support_plan_fee),
        "annual_review": format_pence(t.annual_review_fee),
        "money_management": format_pence(t.money_management_fee),
    }


def _people_for(request: HttpRequest) -> list[str]:
    """Whom a signed-in person may choose for: themselves, or those they are nominee or
    advocate for (the "Who is it for?" list; the marketplace decides when they choose)."""
    if not request.user.is_authenticated:
        return []
    return [ref for ref, _ in actor_from_user(request.user).on_behalf_of]


def _switch_param(request: HttpRequest) -> str:
    """The engagement a person is changing from, carried from "my support" to "choose"."""
    value = request.GET.get("switch", "")
    try:
        return str(UUID(value)) if value else ""
    except ValueError:
        return ""


def register_list(request: HttpRequest) -> HttpResponse:
    catch_up_register()
    service = request.GET.get("service", "")
    status = request.GET.get("status", "")
    rows = queries.register(
        service=service if service in Service._value2member_map_ else "",
        status=status if status in Status._value2member_map_ else "",
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page:
        row.label = Service(row.service).label  # type: ignore[attr-defined]
        row.tag = STATUS_TAGS.get(row.status, "")  # type: ignore[attr-defined]
        row.status_label = row.status.replace("_", " ").capitalize()  # type: ignore[attr-defined]
    context = {
        "page": page,
        "service": service,
        "status": status,
        "services": SERVICES,
        "statuses": [(s.value, s.value.replace("_", " ").capitalize()) for s in Status],
        "query_prefix": f"service={service}&status={status}&",
    }
    return render(request, "frontend/public/register.html", context)


def provider_profile(request: HttpRequest, provider_id: UUID) -> HttpResponse:
    catch_up()
    try:
        provider = queries.provider(provider_id)
    except NotFound:
        raise Http404("no such provider") from None
    services = list(provider.services.prefetch_related("history"))
    for s in services:
        s.label = Service(s.service).label  # type: ignore[attr-defined]
        s.tag = STATUS_TAGS.get(s.status, "")  # type: ignore[attr-defined]
        s.status_label = s.status.replace("_", " ").capitalize()  # type: ignore[attr-defined]
    context = {
        "provider": provider,
        "services": services,
        "prices": _tariff_prices(),
        "feedback": queries.published_feedback(provider.id)[:20],
        "offers": {Service(k).label: format_pence(v) for k, v in provider.offers.items()},
        # A person may choose here too: with one match there is nothing to compare.
        "can_choose": has_any_role(request.user, (Role.PERSON,)),
        "form_key": uuid4().hex,
        "switch": _switch_param(request),
        "people": _people_for(request),
    }
    return render(request, "frontend/public/provider.html", context)


def find_support(request: HttpRequest) -> HttpResponse:
    catch_up()
    service = request.GET.get("service", Service.SUPPORT_PLANNING.value)
    if service not in Service._value2member_map_:
        service = Service.SUPPORT_PLANNING.value
    area = request.GET.get("area", "")[:10]
    form = {
        "service": service,
        "area": area,
        "language": request.GET.get("language", "")[:40],
        "access_need": request.GET.get("access_need", "")[:60],
        "has_room": request.GET.get("has_room") == "yes",
        "sort": request.GET.get("sort", "name"),
    }
    errors = {}
    if area and not queries.district_of(area):
        errors["area"] = "Enter a postcode or postcode district, like DN1 2AB or DN1"
    matches = [] if errors else queries.search(today=timezone.localdate(), **form)  # type: ignore[arg-type]
    _show_prices(matches)
    context = {
        "form": form,
        "errors": errors,
        "matches": matches,
        "services": SERVICES,
        "prices": _tariff_prices(),
        "searched": bool(request.GET),
        "switch": _switch_param(request),
    }
    return render(
        request, "frontend/public/find_support.html", context, status=400 if errors else 200
    )


def compare(request: HttpRequest) -> HttpResponse:
    catch_up()
    chosen = request.GET.getlist("provider")
    service = request.GET.get("service", Service.SUPPORT_PLANNING.value)
    errors = {}
    if not 2 <= len(chosen) <= 3:
        errors["provider"] = "Select two or three providers to compare"
    ids = []
    for value in chosen[:3]:
        try:
            ids.append(UUID(value))
        except ValueError:
            errors["provider"] = "Select providers from the list"
    matches = {
        m.provider.id: m
        for m in queries.search(
            service=service if service in Service._value2member_map_ else "support_planning",
            today=timezone.localdate(),
        )
    }
    columns = [matches[i] for i in ids if i in matches]
    _show_prices(columns)
    context = {
        "errors": errors,
        "columns": columns,
        "service": service,
        "service_label": Service(service).label if service in Service._value2member_map_ else "",
        "prices": _tariff_prices(),
        "can_choose": has_any_role(request.user, (Role.PERSON,)),
        # One key per page shown: pressing Choose twice asks once; a later visit asks anew.
        "form_key": uuid4().hex,
        "switch": _switch_param(request),
        "people": _people_for(request),
    }
    return render(request, "frontend/public/compare.html", context, status=400 if errors else 200)


def tariff(request: HttpRequest) -> HttpResponse:
    catch_up()
    today = timezone.localdate()
    versions = list(TariffRecord.objects.order_by("-effective_from"))
    in_force = DatedVersions(TARIFF, versions).in_force_if_any(today)
    for v in versions:
        v.in_force = v is in_force  # type: ignore[attr-defined]
        v.prices = {  # type: ignore[attr-defined]
            "plan": format_pence(v.support_plan_fee),
            "review": format_pence(v.annual_review_fee),
            "money": format_pence(v.money_management_fee),
        }
        v.deduction_rows = [  # type: ignore[attr-defined]
            {**d, "amount_text": format_pence(d["amount"])} for d in v.deductions
        ]
    return render(request, "frontend/public/tariff.html", {"versions": versions, "today": today})


def transparency(request: HttpRequest) -> HttpResponse:
    """The ledger's signed checkpoints and the council's key, for anyone checking a statement
    (docs/verify.md)."""
    from django.core.paginator import Paginator

    from ledger import models as ledger_models
    from ledger import transparency as tree

    tree.publish_checkpoint()
    page = Paginator(ledger_models.Checkpoint.objects.order_by("-size"), 20).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "key": tree.public_key_b64(), "fingerprint": tree.fingerprint()}
    return render(request, "frontend/public/transparency.html", context)


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/about/accessibility.html")


def privacy(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    context = {"data_protection_email": settings.CARELEDGER_DATA_PROTECTION_EMAIL}
    return render(request, "frontend/about/privacy.html", context)


def cookies(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/about/cookies.html")
