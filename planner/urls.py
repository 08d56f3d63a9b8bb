from django.contrib.auth import views as auth_views
from django.urls import path

from planner import checkin_views, link_views, ops_views, views, webhooks

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/check-in/", checkin_views.check_in, name="check-in"),
    path("me/breaks/<int:break_id>/review/", checkin_views.review, name="break-review"),
    path("l/escalation/<str:token>/", checkin_views.escalation_ack, name="escalation-ack"),
    path(
        "breaks/<int:break_id>/check-ins/",
        checkin_views.break_check_ins,
        name="break-check-ins",
    ),
    path("l/inbox/<str:token>/", link_views.inbox_link, name="link-inbox"),
    path("l/unsubscribe/<str:token>/", link_views.unsubscribe_link, name="link-unsubscribe"),
    path("webhooks/sms/", webhooks.sms_webhook, name="webhook-sms"),
    path("staff/dispatch/", ops_views.dispatch_status, name="staff-dispatch"),
]
