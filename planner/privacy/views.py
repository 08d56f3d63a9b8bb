"""The client's own data: what is kept, a download of all of it, and deletion."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.timezone import now as current_time
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.converters import MAX_ID
from core.forms import PasswordConfirmForm
from core.http import AuthenticatedHttpRequest
from core.models import User
from planner.breaks.selectors import require_client
from planner.models import AuditEvent
from planner.privacy import services as privacy

CONFIRM_WORD = "DELETE"


class DeletionForm(PasswordConfirmForm):
    """Deleting is for good: the typed word and the password (through the lockout: a borrowed
    session cannot guess the password here either), each checked at its field."""

    field_order = ["confirm", "password"]

    confirm = forms.CharField(
        label=_("Type DELETE to confirm"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != CONFIRM_WORD:
            raise forms.ValidationError(
                _("Type the word DELETE in capitals to confirm."), code="confirm"
            )
        return value


def _page(request: AuthenticatedHttpRequest, form: DeletionForm, status: int = 200) -> HttpResponse:
    client = require_client(request.user)
    return render(
        request, "planner/privacy/data.html", {"client": client, "form": form}, status=status
    )


@never_cache
@login_required
@require_GET
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request, DeletionForm(request=request))


@never_cache
@login_required
@require_GET
def my_data_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    client = require_client(request.user)
    data = privacy.client_export(client=client, actor=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"between-data-{current_time():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_POST
def my_data_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    client = require_client(request.user)
    form = DeletionForm(request.POST, request=request)
    if not form.is_valid():
        return _page(request, form, status=400)
    privacy.client_erase(client=client, actor=request.user)
    logout(request)
    return render(request, "planner/privacy/goodbye.html")


# --- The staff page of the audit trail: who read and who changed a client's data. ------------


PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    client = forms.IntegerField(label=_("Client id"), required=False, min_value=1, max_value=MAX_ID)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)


def is_audit_reader(user: User | AnonymousUser) -> bool:
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
    assert isinstance(request.user, User)  # is_audit_reader turned anyone else away
    events = audit_events_for(request.user)
    if form.is_bound and not form.is_valid():
        # A filter that cannot be applied shows its error, not the unfiltered trail.
        events = events.none()
    elif form.is_bound:
        if form.cleaned_data["client"]:
            events = events.filter(client_id=form.cleaned_data["client"])
        if form.cleaned_data["action"]:
            events = events.filter(action=form.cleaned_data["action"].strip())
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "planner/privacy/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=400 if form.errors else 200,
    )
