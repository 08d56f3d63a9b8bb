"""The support map's pages: the client's own (``/me/support-map/``) and the therapist's, for
one client (``/clients/<id>/support-map/``, linked from the client and the plan builder).
Both show the picture with its table and the same form, and call the same services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.http import AuthenticatedHttpRequest
from planner.breaks.selectors import access_client, require_client
from planner.models import Client
from planner.supportmap import services
from planner.supportmap.drawing import map_context
from planner.supportmap.forms import formset_items, map_formset


def _page(
    request: AuthenticatedHttpRequest, client: Client, *, mine: bool, here: str, back: str
) -> HttpResponse:
    rows = services.map_open(client=client, actor=request.user)
    formset = map_formset(rows, request.POST if request.method == "POST" else None)
    problems: list[str] = []
    if request.method == "POST" and formset.is_valid():
        try:
            services.map_replace(client=client, items=formset_items(formset), actor=request.user)
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(request, _("The support map is saved."))
            return redirect(here)
    centre = _("You") if mine else client.first_name or _("Client")
    return render(
        request,
        "planner/supportmap/map.html",
        {
            "client": client,
            "mine": mine,
            "picture": map_context(rows, centre=centre, id_prefix="map"),
            "formset": formset,
            "problems": problems,
            "back": back,
        },
        status=400 if problems or (request.method == "POST" and not formset.is_valid()) else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_map(request: AuthenticatedHttpRequest) -> HttpResponse:
    client = require_client(request.user)
    return _page(request, client, mine=True, here=reverse("my-support-map"), back="my-break")


@login_required
@require_http_methods(["GET", "POST"])
def client_map(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = access_client(request.user, client_id)
    here = reverse("client-support-map", args=[client.pk])
    return _page(request, client, mine=False, here=here, back="client")
