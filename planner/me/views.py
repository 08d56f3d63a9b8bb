"""The client's pages: My break, the inbox, preferences and the printable plan.

A session opened by a link in a message (planner/delivery/views.inbox_link) reads My break,
the inbox and the printable plan (``@limited_session_allowed``); preferences, check-ins and
the data pages ask for the password first (core.middleware.LimitedSessionMiddleware).

Every page starts from ``selectors.require_client``: a login without a client record (a
therapist, staff) gets a 404, and a client only ever sees their own break and messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from core.middleware import limited_session_allowed
from planner.breaks import selectors
from planner.breaks import services as break_services
from planner.breaks.timeline import TimelineSettings, timeline_context
from planner.breaks.views import plan_sections
from planner.checkins.selectors import review_invitation_for
from planner.crisis import resources_for_client
from planner.ending.selectors import blueprint_for
from planner.letters.selectors import inbox_extras
from planner.me import selectors as me_selectors
from planner.me import services
from planner.me.forms import PreferencesForm
from planner.models import Break, Client
from planner.phone.offline import allow_offline_copy
from planner.phone.selectors import devices_for_preferences
from planner.supportmap.drawing import map_context
from planner.supportmap.selectors import items_for

CALENDAR_URL = "/api/v1/me/calendar.ics"  # built by the API (planner/api)
CHECK_IN_URL = "/me/check-in/"  # built with the check-ins (planner/checkins/views.py)


def client_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, selectors.require_client(request.user), *args, **kwargs)

    return wrapper


def countdown(brk: Break, tz: ZoneInfo, at: datetime) -> dict:
    """Whole local days to the return session. An ending has no counter (the client is still
    in therapy until the last session, and Between never speaks as the therapist)."""
    today = at.astimezone(tz).date()
    if brk.kind == Break.Kind.ENDING:
        last = (brk.ends_at or brk.starts_at).astimezone(tz)
        return {"ending": True, "last": last, "before_last": last > at}
    target = brk.return_session_at or brk.ends_at
    local = target.astimezone(tz) if target else None
    return {
        "ending": False,
        "open_ended": target is None,
        "days": (local.date() - today).days if local else None,
        "target": local,
        "is_session": brk.return_session_at is not None,
        "starts": brk.starts_at.astimezone(tz),
        "started": brk.starts_at <= at,
    }


def _upcoming_picture(brk: Break, rows: list, *, id_prefix: str) -> dict:
    return timeline_context(
        rows, TimelineSettings.from_break(brk), id_prefix=id_prefix, show_text=False
    )


def upcoming_rows(brk: Break, at: datetime) -> list:
    return [r for r in selectors.schedule_for_break(brk) if r.send_at >= at]


def _support_map(client: Client, *, id_prefix: str = "map") -> dict | None:
    """The map's picture once it was started (My break only reads; opening it starts it)."""
    if client.support_map_started_at is None:
        return None
    return map_context(items_for(client), centre=_("You"), id_prefix=id_prefix)


def _today(client: Client):
    message = me_selectors.todays_message(client)
    return inbox_extras(client, [message])[0] if message is not None else None


@limited_session_allowed
@client_required
def my_break(request: AuthenticatedHttpRequest, client: Client) -> HttpResponse:
    at = current_time()
    brk = selectors.live_break_for_client(client, at=at)
    tz = ZoneInfo(client.timezone)
    today = _today(client)
    response = render(
        request,
        "planner/me/my_break.html",
        {
            "client": client,
            "brk": brk,
            "countdown": countdown(brk, tz, at) if brk else None,
            "today": today,
            "recent": me_selectors.recent_messages(client, besides=today),
            "sections": plan_sections(brk) if brk else [],
            "blueprint": blueprint_for(brk),
            "crisis": resources_for_client(client),
            "calendar_url": CALENDAR_URL,
            "check_in_url": CHECK_IN_URL,
            "review_break": review_invitation_for(client, at),
            "support_map": _support_map(client),
        },
    )
    # This device may keep a copy for offline use (the client's own, deleted on logout).
    return allow_offline_copy(response)


@limited_session_allowed
@client_required
def inbox(request: AuthenticatedHttpRequest, client: Client) -> HttpResponse:
    return render(
        request,
        "planner/me/inbox.html",
        {
            "client": client,
            "inbox": inbox_extras(client, list(me_selectors.inbox_with_feedback(client)[:100])),
            "check_in_url": CHECK_IN_URL,
        },
    )


@limited_session_allowed
@login_required
@require_POST
def inbox_acknowledge(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponse:
    message = me_selectors.access_inbox_message(request.user, message_id)
    services.inbox_acknowledge(message=message, actor=request.user)
    messages.success(request, _("Marked as read."))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("inbox")
    return redirect(target)


@limited_session_allowed
@login_required
@require_POST
def inbox_feedback(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponse:
    """ "This helped" / "Not for me" from the inbox or My break (the API's service)."""
    message = me_selectors.access_inbox_message(request.user, message_id)
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        messages.error(request, _("Choose “This helped” or “Not for me”."))
    else:
        services.inbox_feedback(message=message, helpful=answer == "yes", actor=request.user)
        messages.success(
            request,
            _("Thank you. Your coming messages are planned with this in mind.")
            if answer == "yes"
            else _("Thank you. This message will not be sent to you again."),
        )
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("inbox")
    return redirect(f"{target}#message-{message.pk}" if target.endswith("/inbox/") else target)


@client_required
def preferences(request: AuthenticatedHttpRequest, client: Client) -> HttpResponse:
    initial = PreferencesForm.initial_for(client)
    form = PreferencesForm(request.POST or None, initial=initial, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_update(
                client=client, actor=request.user, **form.to_service_kwargs()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your preferences are saved."))
            return redirect("preferences")
    at = current_time()
    brk = selectors.live_break_for_client(client, at=at)
    picture = _upcoming_picture(brk, upcoming_rows(brk, at), id_prefix="mine") if brk else None
    return render(
        request,
        "planner/me/preferences.html",
        {
            "client": client,
            "form": form,
            "brk": brk,
            "picture": picture,
            **devices_for_preferences(client),
        },
    )


@client_required
@require_POST
def preferences_preview(request: AuthenticatedHttpRequest, client: Client) -> HttpResponse:
    """What the upcoming schedule would look like with the posted times, writing nothing."""
    form = PreferencesForm(request.POST, initial=PreferencesForm.initial_for(client), client=client)
    brk = selectors.live_break_for_client(client)
    picture = None
    if brk is not None and form.is_valid():
        data = form.to_service_kwargs()
        try:
            draft = break_services.break_build(
                therapist=brk.therapist,
                client=client,
                base=brk,
                timezone=data["timezone"],
                prompt_times=data["prompt_times"],
                quiet_hours_start=data["quiet_hours_start"],
                quiet_hours_end=data["quiet_hours_end"],
                prompt_amount=data.get("prompt_amount", client.prompt_amount),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            at = current_time()
            picture = _upcoming_picture(draft, upcoming_rows(draft, at), id_prefix="mine")
    return render(
        request, "planner/breaks/preview_fragment.html", {"preview": picture, "form": form}
    )


@limited_session_allowed
@client_required
def plan_print(request: AuthenticatedHttpRequest, client: Client) -> HttpResponse:
    brk = selectors.live_break_for_client(client)
    if brk is None:
        brk = selectors.breaks_for_client(client).order_by("-starts_at").first()
    return render(
        request,
        "planner/me/plan_print.html",
        {
            "client": client,
            "brk": brk,
            "sections": plan_sections(brk) if brk else [],
            "blueprint": blueprint_for(brk),
            "crisis": resources_for_client(client),
            "tz": client.timezone,
            "support_map": _support_map(client, id_prefix="print-map"),
        },
    )
