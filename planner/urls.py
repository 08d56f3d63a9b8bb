from django.contrib.auth import views as auth_views
from django.urls import path

from planner import views, views_client, views_therapist

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The therapist
    path("clients/<int:client_id>/", views_therapist.client_detail, name="client"),
    path("clients/<int:client_id>/breaks/new/", views_therapist.break_new, name="break-new"),
    path("breaks/preview/", views_therapist.break_preview, name="break-preview"),
    path("breaks/<int:break_id>/", views_therapist.break_detail, name="break"),
    path("breaks/<int:break_id>/edit/", views_therapist.break_edit, name="break-edit"),
    path(
        "breaks/<int:break_id>/deliveries/",
        views_therapist.break_deliveries,
        name="break-deliveries",
    ),
    path(
        "breaks/<int:break_id>/<slug:action>/",
        views_therapist.break_action,
        name="break-action",
    ),
    path("absences/new/", views_therapist.absence_new, name="absence-new"),
    path("absences/review/", views_therapist.absence_review, name="absence-review"),
    path("absences/activate/", views_therapist.absence_activate, name="absence-activate"),
    # The client
    path("me/", views_client.my_break, name="my-break"),
    path("me/inbox/", views_client.inbox, name="inbox"),
    path(
        "me/inbox/<int:message_id>/acknowledge/",
        views_client.inbox_acknowledge,
        name="inbox-acknowledge",
    ),
    path("me/preferences/", views_client.preferences, name="preferences"),
    path("me/preferences/preview/", views_client.preferences_preview, name="preferences-preview"),
    path("me/plan/print/", views_client.plan_print, name="plan-print"),
]
