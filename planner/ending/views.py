"""The client's answer to follow-ups, from My break (a full login: a consent, like the
preferences, is not given from a session a message's link opened)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from planner.ending import services
from planner.ending.selectors import ending_for_client
from planner.me.views import client_required
from planner.models import Client


@client_required
@require_POST
def follow_ups(request: AuthenticatedHttpRequest, client: Client) -> HttpResponse:
    brk = ending_for_client(client)
    answer = request.POST.get("answer")
    if answer not in ("yes", "no"):
        messages.error(request, _("Choose yes or no."))
        return redirect(reverse("my-break") + "#h-follow-ups")
    try:
        services.follow_ups_set(brk=brk, actor=request.user, granted=answer == "yes")
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("Thank you: the follow-ups will come as described.")
            if answer == "yes"
            else _("No follow-ups will be sent after your last session."),
        )
    return redirect(reverse("my-break") + "#h-follow-ups")
