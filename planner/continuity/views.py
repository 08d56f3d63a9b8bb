"""Pages of the continuity room: the therapist's plan, the staff's declaration of an
unplanned absence, the colleague's call list, one client's calls, handing a client over."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest
from core.models import User
from planner.breaks import services as break_services
from planner.breaks.views import therapist_required
from planner.continuity import selectors, services
from planner.continuity.forms import (
    CallForm,
    ClientHandOverForm,
    DeclareForm,
    PlanForm,
    SendForm,
    practice_zone,
)
from planner.models import Break, ContinuityPlan
from planner.onboarding.selectors import access_practice_therapist

# --- The therapist ---------------------------------------------------------------------------


@therapist_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    therapist = request.user
    plan = selectors.plan_of(therapist)
    form = PlanForm(request.POST or None, therapist=therapist, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_save(
                therapist=therapist,
                colleague=form.cleaned_data["colleague"],
                script=form.cleaned_data["script"],
                call_clients=form.cleaned_data["call_clients"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your continuity plan is saved."))
            return redirect("continuity-plan")
    return render(
        request,
        "planner/continuity/plan.html",
        {"form": form, "plan": plan},
        status=400 if form.errors else 200,
    )


# --- Practice staff ------------------------------------------------------------------------


def _staff_and_therapist(request: AuthenticatedHttpRequest, therapist_id: int) -> User:
    return access_practice_therapist(request.user, therapist_id)


def _declared(therapist: User) -> list[Break]:
    return list(
        selectors.declared_to_end(therapist).order_by("client__last_name", "client__first_name")
    )


def _drafts(declared: list[Break]) -> list[Break]:
    return [b for b in declared if b.status == Break.Status.DRAFT]


def _absence_page(
    request: AuthenticatedHttpRequest,
    therapist: User,
    form: DeclareForm,
    status: int = 200,
    send_form: SendForm | None = None,
) -> HttpResponse:
    declared = _declared(therapist)
    plan = selectors.plan_of(therapist) if declared else None
    send_form = send_form or SendForm(drafts=_drafts(declared))
    rows = selectors.send_rows(declared, plan)
    return render(
        request,
        "planner/continuity/absence.html",
        {
            "therapist": therapist,
            "form": form,
            "declared": declared,
            "since": min((b.starts_at for b in declared), default=None),
            "live": selectors.live_declared_absences(therapist).exists(),
            # Only once declared do staff learn who will contact the clients.
            "plan": plan,
            "zone": form.zone,
            "rows": [(row, send_form.ticked(row.brk)) for row in rows],
            "send_form": send_form,
            "drafts": sum(1 for row in rows if row.is_draft),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def absence(request: AuthenticatedHttpRequest, therapist_id: int) -> HttpResponse:
    therapist = _staff_and_therapist(request, therapist_id)
    form = DeclareForm(request.POST or None, staff=request.user)
    if request.method == "POST":
        if not form.is_valid():
            return _absence_page(request, therapist, form, status=400)
        starts_at = form.aware(form.cleaned_data["starts_at"])
        assert starts_at is not None
        try:
            breaks = services.absence_declare(
                staff=request.user,
                therapist=therapist,
                starts_at=starts_at,
                sessions_plan=form.cleaned_data["sessions_plan"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return _absence_page(request, therapist, form, status=400)
        messages.success(
            request,
            _("The absence is declared: %(count)s clients have a draft plan for it.")
            % {"count": len(breaks)},
        )
        return redirect("continuity-absence", therapist.pk)
    return _absence_page(request, therapist, form)


def _sent_message(active: int, kept: int) -> str:
    """What the send did, in the words of the statuses: nothing more is claimed."""
    parts = [
        ngettext(
            "%(count)s plan is activated: its messages go out as planned.",
            "%(count)s plans are activated: their messages go out as planned.",
            active,
        )
        % {"count": active}
        if active
        else _("No plan is activated.")
    ]
    if kept:
        parts.append(
            ngettext(
                "%(count)s client waits for a phone call: their plan stays a draft and "
                "nothing is sent to them.",
                "%(count)s clients wait for a phone call: their plans stay drafts and "
                "nothing is sent to them.",
                kept,
            )
            % {"count": kept}
        )
    return " ".join(parts)


@login_required
@require_POST
def absence_send(request: AuthenticatedHttpRequest, therapist_id: int) -> HttpResponse:
    """Staff send the drafts of the declared absence, keeping back those to call first."""
    therapist = _staff_and_therapist(request, therapist_id)
    drafts = _drafts(_declared(therapist))
    form = SendForm(request.POST, drafts=drafts)
    declare_form = DeclareForm(staff=request.user)
    if not form.is_valid():
        return _absence_page(request, therapist, declare_form, status=400, send_form=form)
    try:
        active = break_services.absence_activate(
            breaks=drafts, call_first=form.call_first_ids(), actor=request.user
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return _absence_page(request, therapist, declare_form, status=400, send_form=form)
    messages.success(request, _sent_message(len(active), len(drafts) - len(active)))
    return redirect("continuity-absence", therapist.pk)


@login_required
@require_POST
def absence_action(
    request: AuthenticatedHttpRequest, therapist_id: int, action: str
) -> HttpResponse:
    therapist = _staff_and_therapist(request, therapist_id)
    service = {"end": services.absence_end, "will-not-return": services.will_not_return_mark}
    if action not in service:
        raise Http404("No such action.")
    try:
        service[action](staff=request.user, therapist=therapist)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("The absence has ended; the call list is closed.")
            if action == "end"
            else _("Recorded: they will not return. The colleague can now hand clients over."),
        )
    return redirect("continuity-absence", therapist.pk)


# --- The named colleague -------------------------------------------------------------------


@therapist_required
def colleague_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "planner/continuity/home.html",
        {"plans": selectors.plans_open_to(request.user)},
    )


@therapist_required
def call_list(request: AuthenticatedHttpRequest, therapist_id: int) -> HttpResponse:
    plan = services.call_list_read(user=request.user, therapist_id=therapist_id)
    return render(
        request,
        "planner/continuity/call_list.html",
        {
            "plan": plan,
            "rows": selectors.call_list(plan),
            "since": selectors.declared_since(plan.therapist),
            "hand_over": selectors.hand_over_open(plan),
            "zone": practice_zone(request.user),
        },
    )


def _client_page(
    request: AuthenticatedHttpRequest,
    plan: ContinuityPlan,
    client,
    form: CallForm,
    hand_over_form: ClientHandOverForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "planner/continuity/client.html",
        {
            "plan": plan,
            "client": client,
            "needs_call": client.pk in selectors.phone_first_ids(plan),
            "calls": selectors.calls_for(plan, client),
            "form": form,
            "hand_over": selectors.hand_over_open(plan),
            "hand_over_form": hand_over_form or ClientHandOverForm(plan=plan),
            "zone": form.zone,
        },
        status=status,
    )


@therapist_required
@require_http_methods(["GET", "POST"])
def call_client(
    request: AuthenticatedHttpRequest, therapist_id: int, client_id: int
) -> HttpResponse:
    plan, client = services.call_client_read(
        user=request.user, therapist_id=therapist_id, client_id=client_id
    )
    form = CallForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not form.is_valid():
            return _client_page(request, plan, client, form, status=400)
        try:
            services.call_record(
                plan=plan,
                client=client,
                actor=request.user,
                called_at=form.aware(form.cleaned_data["called_at"]),
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return _client_page(request, plan, client, form, status=400)
        messages.success(request, _("The call is recorded."))
        return redirect("continuity-client", plan.therapist_id, client.pk)
    return _client_page(request, plan, client, form)


@therapist_required
@require_POST
def hand_over(request: AuthenticatedHttpRequest, therapist_id: int, client_id: int) -> HttpResponse:
    plan, client = selectors.access_call_client(request.user, therapist_id, client_id)
    form = ClientHandOverForm(request.POST, plan=plan)
    call_form = CallForm(user=request.user)
    if not form.is_valid():
        return _client_page(request, plan, client, call_form, form, status=400)
    try:
        services.client_hand_over(
            plan=plan, client=client, to=form.cleaned_data["to"], actor=request.user
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return _client_page(request, plan, client, call_form, form, status=400)
    messages.success(
        request,
        _("%(client)s now has %(to)s as their therapist and has been told.")
        % {"client": client.first_name, "to": form.cleaned_data["to"].full_name},
    )
    return redirect(reverse("continuity-list", args=[plan.therapist_id]))
