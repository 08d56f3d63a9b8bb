"""The front door. The therapist's pages are in ``planner.breaks.views``, the client's in
``planner.me.views``."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from core.forms import LockoutAuthenticationForm
from core.middleware import limited_session_allowed
from planner.breaks import views as views_therapist
from planner.me import views as views_client


@limited_session_allowed
def home(request: HttpRequest) -> HttpResponseBase:
    """The login form for visitors; the dashboard, "My break" or the admin link otherwise."""
    user = request.user
    if not user.is_authenticated:
        return auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm)(request)
    if user.is_therapist:
        return views_therapist.dashboard(request)
    if user.is_client:
        return views_client.my_break(request)
    return render(
        request,
        "planner/home.html",
        {"declared": views_therapist.declared_for_colleagues(user)},
    )
