"""API v1 routes (mounted at /api/v1/ in core/urls.py); docs/api.md describes them."""

from django.urls import path

from planner.api import privacy, views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("clients/", views.ClientListView.as_view(), name="clients"),
    path("clients/<int:pk>/", views.ClientDetailView.as_view(), name="client"),
    path("clients/<int:pk>/invite/", views.ClientInviteView.as_view(), name="client-invite"),
    path("clients/<int:pk>/archive/", views.ClientArchiveView.as_view(), name="client-archive"),
    path("clients/<int:pk>/restore/", views.ClientRestoreView.as_view(), name="client-restore"),
    path("breaks/", views.BreakListView.as_view(), name="breaks"),
    path("breaks/<int:pk>/", views.BreakDetailView.as_view(), name="break"),
    path("breaks/<int:pk>/prompts/", views.BreakPromptsView.as_view(), name="break-prompts"),
    path("breaks/<int:pk>/activate/", views.BreakActivateView.as_view(), name="break-activate"),
    path("breaks/<int:pk>/cancel/", views.BreakCancelView.as_view(), name="break-cancel"),
    path(
        "breaks/<int:pk>/deliveries/",
        views.BreakDeliveriesView.as_view(),
        name="break-deliveries",
    ),
    path("breaks/<int:pk>/check-ins/", views.BreakCheckInsView.as_view(), name="break-check-ins"),
    path("absences/", views.AbsenceView.as_view(), name="absences"),
    path("absences/activate/", views.AbsenceActivateView.as_view(), name="absences-activate"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("me/breaks/", views.MeBreaksView.as_view(), name="me-breaks"),
    path("me/inbox/", views.MeInboxView.as_view(), name="me-inbox"),
    path(
        "me/inbox/<int:pk>/acknowledge/",
        views.MeInboxAcknowledgeView.as_view(),
        name="me-inbox-acknowledge",
    ),
    path("me/check-ins/", views.MeCheckInView.as_view(), name="me-check-ins"),
    path("me/preferences/", views.MePreferencesView.as_view(), name="me-preferences"),
    path("me/calendar.ics", views.MeCalendarView.as_view(), name="me-calendar"),
    *privacy.urlpatterns,  # me/export/, me/erase/
    path("ping/", views.PingView.as_view(), name="ping"),
]
