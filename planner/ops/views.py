"""Staff pages about the running service. Anyone else gets a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from planner.delivery.selectors import dispatch_figures


def _is_staff(user) -> bool:
    return user.is_authenticated and (user.is_staff or getattr(user, "role", "") == "staff")


def _practice_scope(user) -> int | None:
    """None for the installation's operator (every practice); else the staff member's own
    practice. Staff of no practice have nothing to see here."""
    if user.is_superuser:
        return None
    if user.practice_id is None:
        raise Http404
    return user.practice_id


def dispatch_status(request: HttpRequest) -> HttpResponse:
    if not _is_staff(request.user):
        raise Http404
    figures = dispatch_figures(practice_id=_practice_scope(request.user))
    return render(request, "planner/ops/dispatch.html", {"figures": figures})
