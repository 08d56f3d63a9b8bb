"""The project's urls plus the privacy API, as the lead will include it under api/v1/."""

from django.urls import include, path

from core.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("planner.api.privacy")),
    *project_urlpatterns,
]
