"""The therapist's pages: dashboard, clients, the plan builder, a break, a caseload absence.

Thin on purpose: objects come through the ``access_*`` selectors (someone else's object is a
404) and every change goes through a service; a service's field errors are shown next to the
form's fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from core.converters import parse_id
from core.http import AuthenticatedHttpRequest
from planner.breaks import places, selectors, services
from planner.breaks.forms import PLAN_SECTIONS, AbsenceForm, BreakForm, ClientForm
from planner.breaks.selectors import previous_plan_for
from planner.breaks.timeline import TimelineSettings, timeline_context
from planner.checkins import selectors as checkin_selectors
from planner.checkins.selectors import review_for_break
from planner.checklist.forms import ChecklistForm
from planner.checklist.selectors import WITH_A_CHECKLIST, reminders_for_therapist
from planner.delivery import selectors as delivery_selectors
from planner.ending.selectors import blueprint_for
from planner.letters.selectors import letters_summary
from planner.models import AVOID_TOPICS, Break, Client
from planner.onboarding.selectors import invitation_status_for_client
from planner.schedule.types import ScheduleError
from planner.supportmap.selectors import added_after, break_is_over, helped_during

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_ABSENCE_REVIEW = 200


def therapist_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in as a therapist; anyone else gets a 404, as for someone else's object."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_therapist:
            raise Http404("Therapists only.")
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: AuthenticatedHttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def schedule_picture(
    brk: Break, *, id_prefix: str = "timeline", show_text: bool = True
) -> dict | None:
    """The timeline of a break, or None for a draft that cannot be planned (the page says so)."""
    try:
        rows = selectors.schedule_for_break(brk)
    except ScheduleError:
        return None
    return timeline_context(
        rows, TimelineSettings.from_break(brk), id_prefix=id_prefix, show_text=show_text
    )


def plan_sections(brk: Break) -> list[tuple[StrOrPromise, list[str]]]:
    return [(label, getattr(brk, name) or []) for name, label, _help in PLAN_SECTIONS]


# --- Dashboard and clients ---------------------------------------------------------------


def declared_for_colleagues(user) -> list[Break]:
    """The live absences ``user`` declared for a colleague (on the dashboard, staff's home)."""
    return list(selectors.breaks_declared_by(user).filter(status__in=Break.LIVE_STATUSES)[:50])


@therapist_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    breaks = selectors.breaks_for_therapist(user).select_related("client")
    return render(
        request,
        "planner/breaks/dashboard.html",
        {
            "clients": selectors.active_clients_for_therapist(user),
            "archived_count": selectors.archived_clients_for_therapist(user).count(),
            "live_breaks": breaks.filter(status__in=Break.LIVE_STATUSES).order_by("starts_at"),
            "drafts": breaks.filter(status=Break.Status.DRAFT).order_by("starts_at"),
            "warnings": selectors.upcoming_notice_warnings(user),
            "notice_warning_days": settings.NOTICE_WARNING_DAYS,
            "check_ins": checkin_selectors.support_check_ins_for_therapist(user)[:20],
            "failed": delivery_selectors.failed_deliveries_for_therapist(user)[:20],
            "declared": declared_for_colleagues(user),
            "reminders": reminders_for_therapist(user),
        },
    )


@therapist_required
def client_detail(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = services.client_read(user=request.user, client_id=client_id)
    breaks = client.breaks.order_by("-starts_at", "-id")
    return render(
        request,
        "planner/breaks/client.html",
        {
            "client": client,
            "breaks": breaks,
            "invitation": invitation_status_for_client(client),
        },
    )


def _client_form_page(
    request: AuthenticatedHttpRequest, form: ClientForm, client: Client | None
) -> HttpResponse:
    return render(
        request,
        "planner/breaks/client_form.html",
        {
            "form": form,
            "client": client,
            "timezone_names": places.timezone_names(),
            "country_zones": json.dumps(places.country_default_zones(), sort_keys=True),
        },
    )


@therapist_required
def client_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    practice = request.user.practice
    initial = ClientForm.initial_for(None, practice_country=practice.country if practice else "")
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(
                therapist=request.user, actor=request.user, **form.to_service_kwargs()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The client is added."))
            return redirect("client", client_id=client.pk)
    return _client_form_page(request, form, None)


@therapist_required
def client_edit(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.access_client(request.user, client_id)
    form = ClientForm(request.POST or None, initial=ClientForm.initial_for(client))
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.to_service_kwargs().items() if getattr(client, k) != v}
        try:
            services.client_update(client=client, actor=request.user, source="therapist", **changes)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The client's details are saved."))
            return redirect("client", client_id=client.pk)
    return _client_form_page(request, form, client)


@therapist_required
@require_POST
def client_archive(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.access_client(request.user, client_id)
    try:
        services.client_archive(client=client, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request, _("The client is archived: off your dashboard, with their history kept.")
        )
    return redirect("client", client_id=client.pk)


@therapist_required
@require_POST
def client_restore(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.access_client(request.user, client_id)
    services.client_restore(client=client, actor=request.user)
    messages.success(request, _("The client is back on your dashboard."))
    return redirect("client", client_id=client.pk)


@therapist_required
def clients_archived(request: AuthenticatedHttpRequest) -> HttpResponse:
    clients = selectors.archived_clients_for_therapist(request.user)
    return render(request, "planner/breaks/clients_archived.html", {"clients": clients})


# --- The plan builder --------------------------------------------------------------------


def _preview(form: BreakForm, base: Break | None) -> dict | None:
    """The timeline for what the form says, or None when the form has errors."""
    if not form.is_valid():
        return None
    try:
        brk = services.break_build(
            therapist=form.therapist, client=form.client, base=base, **form.to_service_kwargs()
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    return schedule_picture(brk, id_prefix="preview")


def _save_channels(form: BreakForm, actor) -> None:
    if form.channels_changed():
        services.client_update(
            client=form.client,
            actor=actor,
            source="therapist",
            channels=["inbox", *form.cleaned_data["channels"]],
        )


def _plan_builder(
    request: AuthenticatedHttpRequest,
    client: Client,
    brk: Break | None,
    save: Callable[[BreakForm], Break],
) -> HttpResponse:
    initial = BreakForm.initial_for(client, brk)
    preview = None
    if request.method == "POST":
        form = BreakForm(request.POST, initial=initial, therapist=request.user, client=client)
        if request.POST.get("action") == "preview":
            preview = _preview(form, brk)
        elif form.is_valid():
            try:
                with transaction.atomic():
                    saved = save(form)
                    _save_channels(form, request.user)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The plan is saved."))
                return redirect(_safe_next(request, reverse("break", args=[saved.pk])))
    else:
        form = BreakForm(initial=initial, therapist=request.user, client=client)
    return render(
        request,
        "planner/breaks/break_form.html",
        {
            "form": form,
            "client": client,
            "brk": brk,
            "preview": preview,
            "next": _safe_next(request, ""),
            "previous": previous_plan_for(client) if brk is None else None,
        },
    )


@therapist_required
def break_new(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = services.client_read(user=request.user, client_id=client_id)

    def save(form: BreakForm) -> Break:
        return services.break_create(
            therapist=request.user, client=client, actor=request.user, **form.to_service_kwargs()
        )

    return _plan_builder(request, client, None, save)


@therapist_required
def break_edit(request: AuthenticatedHttpRequest, break_id: int) -> HttpResponse:
    brk = selectors.access_break(request.user, break_id)

    def save(form: BreakForm) -> Break:
        kwargs = form.to_service_kwargs()
        if brk.status != Break.Status.DRAFT:
            kwargs.pop("kind")  # fixed once scheduled; the form shows it read-only
        return services.break_update(brk=brk, actor=request.user, **kwargs)

    return _plan_builder(request, brk.client, brk, save)


@therapist_required
@require_POST
def break_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The plan builder's live preview: the timeline for the form as posted, as a fragment."""
    client = services.client_read(user=request.user, client_id=request.POST.get("client"))
    brk = None
    if request.POST.get("break"):
        brk = selectors.access_break(request.user, request.POST["break"])
        if brk.client_id != client.pk:
            raise Http404("No such break.")
    form = BreakForm(
        request.POST,
        initial=BreakForm.initial_for(client, brk),
        therapist=request.user,
        client=client,
    )
    preview = _preview(form, brk)
    return render(
        request, "planner/breaks/preview_fragment.html", {"preview": preview, "form": form}
    )


# --- A break -----------------------------------------------------------------------------


@login_required
def break_detail(request: AuthenticatedHttpRequest, break_id: int) -> HttpResponse:
    brk, role = services.break_read(user=request.user, break_id=break_id)
    if role == "client":
        return redirect("my-break")
    if role == "covering":
        # Exactly what the API's covering view shows: the one selector decides.
        view = selectors.covering_view(brk)
        return render(request, "planner/breaks/break_covering.html", {"view": view})
    if role == "declarer":
        # An absence declared for a colleague: what was declared, and a way to cancel it.
        declared = selectors.declared_view(brk)
        return render(request, "planner/breaks/break_declared.html", {"view": declared})
    return break_page(request, brk, role)


def break_page(
    request: AuthenticatedHttpRequest,
    brk: Break,
    role: str,
    checklist: ChecklistForm | None = None,
) -> HttpResponse:
    """The therapist's (or a covering colleague's) page of a break; ``checklist`` is a form
    posted with errors, shown as typed."""
    if checklist is None and role == "therapist" and brk.kind in WITH_A_CHECKLIST:
        checklist = ChecklistForm(brk=brk)
    return render(
        request,
        "planner/breaks/break.html",
        {
            "brk": brk,
            "role": role,
            "checklist": checklist if role == "therapist" else None,
            "picture": schedule_picture(brk),
            "sections": plan_sections(brk),
            "blueprint": blueprint_for(brk),
            "avoided": [
                label for value, label in AVOID_TOPICS if value in (brk.avoid_topics or [])
            ],
            "can_change": role == "therapist",
            "review": review_for_break(brk=brk) if role == "therapist" else None,
            "after_break": break_is_over(brk),
            "helped": helped_during(brk),
            "added": added_after(brk),
            "map_url": reverse("client-support-map", args=[brk.client_id]),
            "letters": letters_summary(brk) if role == "therapist" else None,
        },
    )


BREAK_ACTIONS: dict[str, tuple[Callable[..., Break], Any]] = {
    "activate": (
        services.break_activate,
        gettext_lazy("The plan is active. Prompts are scheduled."),
    ),
    "pause": (
        services.break_pause,
        gettext_lazy("The break is paused: no prompt is sent until you resume."),
    ),
    "resume": (services.break_resume, gettext_lazy("The break is running again.")),
    "cancel": (
        services.break_cancel,
        gettext_lazy("The break is cancelled. No further prompt is sent."),
    ),
}


@login_required
@require_POST
def break_action(request: AuthenticatedHttpRequest, break_id: int, action: str) -> HttpResponse:
    """The therapist's actions on a break; cancelling also for whoever declared it for them."""
    if action not in BREAK_ACTIONS:
        raise Http404("No such action.")
    if action == "cancel":
        brk = selectors.access_break_to_cancel(request.user, break_id)
    elif request.user.is_therapist:
        brk = selectors.access_break(request.user, break_id)
    else:
        raise Http404("Therapists only.")
    service, done = BREAK_ACTIONS[action]
    try:
        service(brk=brk, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, done)
    return redirect("break", break_id=brk.pk)


@therapist_required
def break_deliveries(request: AuthenticatedHttpRequest, break_id: int) -> HttpResponse:
    brk = selectors.access_break(request.user, break_id)
    return render(
        request,
        "planner/breaks/deliveries.html",
        {"brk": brk, "deliveries": delivery_selectors.deliveries_for_break(brk)[:500]},
    )


# --- A caseload absence ----------------------------------------------------------------


@therapist_required
def absence_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AbsenceForm(request.POST or None, therapist=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            breaks = services.absence_plan(
                actor=request.user, therapist=request.user, **form.to_service_kwargs()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            ids = ",".join(str(b.pk) for b in breaks)
            return redirect(f"{reverse('absence-review')}?ids={ids}")
    return render(request, "planner/breaks/absence_form.html", {"form": form})


def _review_breaks(request: AuthenticatedHttpRequest) -> list[Break]:
    raw = request.POST.get("ids") or request.GET.get("ids") or ""
    ids = [pk for part in raw.split(",") if (pk := parse_id(part)) is not None]
    ids = ids[:MAX_ABSENCE_REVIEW]
    return list(
        selectors.breaks_for_therapist(request.user)
        .filter(pk__in=ids)
        .select_related("client", "therapist__practice", "covering_user")
        .order_by("client__last_name", "client__first_name", "id")
    )


@therapist_required
def absence_review(request: AuthenticatedHttpRequest) -> HttpResponse:
    breaks = _review_breaks(request)
    if not breaks:
        raise Http404("No such drafts.")
    ids = ",".join(str(b.pk) for b in breaks)
    # How many prompts each break has (or its draft would get) and the first of them, in
    # the same number of queries for 5 drafts or 200; the count is None when a draft cannot
    # be planned (its dates were refused).
    planned = selectors.first_prompts(breaks)
    rows = [(brk, *planned[brk.pk]) for brk in breaks]
    return render(
        request,
        "planner/breaks/absence_review.html",
        {
            "rows": rows,
            "ids": ids,
            "drafts": sum(1 for b in breaks if b.status == Break.Status.DRAFT),
            "here": f"{reverse('absence-review')}?ids={ids}",
        },
    )


@therapist_required
@require_POST
def absence_activate(request: AuthenticatedHttpRequest) -> HttpResponse:
    breaks = _review_breaks(request)
    drafts = [b for b in breaks if b.status == Break.Status.DRAFT]
    ids = ",".join(str(b.pk) for b in breaks)
    call_first = {int(v) for v in request.POST.getlist("call_first") if v.isdigit()}
    if drafts:
        try:
            active = services.absence_activate(
                breaks=drafts, call_first=call_first & {b.pk for b in drafts}, actor=request.user
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            kept = len(drafts) - len(active)
            if kept:
                messages.success(
                    request,
                    ngettext(
                        "%(active)s plans are active. %(kept)s client waits for a phone call: "
                        "their plan stays a draft and nothing is sent to them.",
                        "%(active)s plans are active. %(kept)s clients wait for a phone call: "
                        "their plans stay drafts and nothing is sent to them.",
                        kept,
                    )
                    % {"active": len(active), "kept": kept},
                )
            else:
                messages.success(request, _("All the plans are active."))
    return redirect(f"{reverse('absence-review')}?ids={ids}")
