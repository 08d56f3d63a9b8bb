from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.forms import LockoutAuthenticationForm


def home(request: HttpRequest) -> HttpResponse:
    """The front door: the login form for visitors, the person's own start page otherwise."""
    if not request.user.is_authenticated:
        return auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm)(request)
    return render(request, "planner/home.html")
