"""Staff pages about the running service. Anyone else gets a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from planner.delivery.selectors import dispatch_figures


def _is_staff(user) -> bool:
    return user.is_authenticated and (user.is_staff or getattr(user, "role", "") == "staff")


def dispatch_status(request: HttpRequest) -> HttpResponse:
    if not _is_staff(request.user):
        raise Http404
    return render(request, "planner/ops/dispatch.html", {"figures": dispatch_figures()})
