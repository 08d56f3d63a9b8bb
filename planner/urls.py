from django.contrib.auth import views as auth_views
from django.urls import path

from planner import link_views, ops_views, views, webhooks

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("l/inbox/<str:token>/", link_views.inbox_link, name="link-inbox"),
    path("l/unsubscribe/<str:token>/", link_views.unsubscribe_link, name="link-unsubscribe"),
    path("webhooks/sms/", webhooks.sms_webhook, name="webhook-sms"),
    path("staff/dispatch/", ops_views.dispatch_status, name="staff-dispatch"),
]
