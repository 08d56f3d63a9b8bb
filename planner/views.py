from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """The front door: the login form for visitors, the person's own start page otherwise."""
    if not request.user.is_authenticated:
        return auth_views.LoginView.as_view()(request)
    return render(request, "planner/home.html")
