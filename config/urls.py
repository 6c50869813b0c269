from pathlib import Path

from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve

from api.main import api

urlpatterns = [
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
