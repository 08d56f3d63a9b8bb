"""The staff page of the audit trail: who read and who changed a client's data."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.models import User
from planner.models import AuditEvent

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    client = forms.IntegerField(label=_("Client id"), required=False, min_value=1)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)


def is_audit_reader(user: User) -> bool:
    return bool(
        user.is_authenticated and user.is_active and (user.is_staff or user.role == User.Role.STAFF)
    )


def audit_events_for(user: User) -> QuerySet[AuditEvent]:
    """Superusers see every event; other staff the events of their own practice's clients."""
    events = AuditEvent.objects.select_related("actor")
    if user.is_superuser:
        return events
    if user.practice_id is None:
        return events.none()
    return events.filter(client__therapist__practice_id=user.practice_id)


@never_cache
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    if not is_audit_reader(request.user):
        raise Http404("Not found.")  # the page's existence is not revealed
    form = AuditFilterForm(request.GET or None)
    events = audit_events_for(request.user)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["client"]:
            events = events.filter(client_id=form.cleaned_data["client"])
        if form.cleaned_data["action"]:
            events = events.filter(action=form.cleaned_data["action"].strip())
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "planner/ops/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
