"""API v1 routes (mounted at /api/v1/ in core/urls.py); docs/api.md describes them."""

from django.urls import path

import core.converters  # noqa: F401  (registers the <id:...> path converter)
from planner.api import letters, privacy, push, views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="logout-all"),
    path("clients/", views.ClientListView.as_view(), name="clients"),
    path("clients/<id:pk>/", views.ClientDetailView.as_view(), name="client"),
    path("clients/<id:pk>/invite/", views.ClientInviteView.as_view(), name="client-invite"),
    path("clients/<id:pk>/archive/", views.ClientArchiveView.as_view(), name="client-archive"),
    path("clients/<id:pk>/restore/", views.ClientRestoreView.as_view(), name="client-restore"),
    path(
        "clients/<id:pk>/support-map/",
        views.ClientSupportMapView.as_view(),
        name="client-support-map",
    ),
    path("breaks/", views.BreakListView.as_view(), name="breaks"),
    path("breaks/<id:pk>/", views.BreakDetailView.as_view(), name="break"),
    path("breaks/<id:pk>/prompts/", views.BreakPromptsView.as_view(), name="break-prompts"),
    path("breaks/<id:pk>/activate/", views.BreakActivateView.as_view(), name="break-activate"),
    path("breaks/<id:pk>/cancel/", views.BreakCancelView.as_view(), name="break-cancel"),
    path(
        "breaks/<id:pk>/deliveries/",
        views.BreakDeliveriesView.as_view(),
        name="break-deliveries",
    ),
    path("breaks/<id:pk>/check-ins/", views.BreakCheckInsView.as_view(), name="break-check-ins"),
    path("absences/", views.AbsenceView.as_view(), name="absences"),
    path(
        "absences/declared/",
        views.DeclaredAbsencesView.as_view(),
        name="absences-declared",
    ),
    path("absences/activate/", views.AbsenceActivateView.as_view(), name="absences-activate"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("me/breaks/", views.MeBreaksView.as_view(), name="me-breaks"),
    path("me/inbox/", views.MeInboxView.as_view(), name="me-inbox"),
    path(
        "me/inbox/<id:pk>/acknowledge/",
        views.MeInboxAcknowledgeView.as_view(),
        name="me-inbox-acknowledge",
    ),
    path(
        "me/inbox/<id:pk>/feedback/",
        views.MeInboxFeedbackView.as_view(),
        name="me-inbox-feedback",
    ),
    path("me/support-map/", views.MeSupportMapView.as_view(), name="me-support-map"),
    path("me/check-ins/", views.MeCheckInView.as_view(), name="me-check-ins"),
    path("me/preferences/", views.MePreferencesView.as_view(), name="me-preferences"),
    path("me/follow-ups/", views.MeFollowUpsView.as_view(), name="me-follow-ups"),
    path("me/calendar.ics", views.MeCalendarView.as_view(), name="me-calendar"),
    *letters.urlpatterns,  # me/letters/, me/letters/<id>/
    *privacy.urlpatterns,  # me/export/, me/erase/
    *push.urlpatterns,  # push/vapid-public-key/, me/push-subscriptions/
    path("ping/", views.PingView.as_view(), name="ping"),
]
