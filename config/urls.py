from django.urls import include, path
from django.views.generic import RedirectView

from api.main import api

urlpatterns = [
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("api/v1/", api.urls),
    path("", include("frontend.urls")),
]
