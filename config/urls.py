from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve

# The wiring: config/ imports the adapters (api/, frontend/) here to mount them, as it must.
from api import problems
from api.main import api
from frontend import error_views


def healthz(request: HttpRequest) -> HttpResponse:
    """The container's health check: the web process answers and its database does."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("api/v1/", api.urls),
    # GOV.UK Frontend's compiled CSS asks for its fonts and images under /assets/.
    re_path(
        r"^assets/(?P<path>.*)$",
        serve,
        {"document_root": Path(__file__).parent.parent / "frontend/static/govuk/assets"},
    ),
    path("", include("frontend.urls")),
]


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's bare "Bad Request (400)" replaced: a body over the size limit is 413 naming the
    limit, anything else unreadable 400; a problem body on the API, a GOV.UK page elsewhere."""
    if request.path.startswith("/api/"):
        return problems.bad_request(request, exception)
    return error_views.bad_request(request, exception)


handler400 = bad_request


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problems.problem(request, 404, "there is nothing at this address")
    return error_views.not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problems.problem(request, 500, "something went wrong on our side: try again later")
    return error_views.server_error(request)


handler404 = not_found
handler500 = server_error
