from django.contrib.auth import views as auth_views
from django.urls import path

from core.forms import LockoutAuthenticationForm
from planner import ops_audit_views, privacy_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/data/", privacy_views.my_data, name="privacy-data"),
    path("me/data/export.json", privacy_views.my_data_export, name="privacy-export"),
    path("me/data/delete/", privacy_views.my_data_delete, name="privacy-delete"),
    path("staff/audit/", ops_audit_views.audit_list, name="ops-audit"),
]
