"""Onboarding pages: the invitation link, inviting a client, password reset and change.

The invitation page never shows a password form for a link that cannot be used: a used,
expired, withdrawn or unknown link gets a page saying to ask for a new invitation (4xx), and
nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest
from core.models import User
from planner.breaks import places
from planner.breaks import selectors as break_selectors
from planner.breaks.views import therapist_required
from planner.models import Invitation
from planner.onboarding import selectors, services
from planner.onboarding.forms import (
    PASSWORD_HELP,
    ClientJoinForm,
    CrisisLineForm,
    HandOverForm,
    InviteTherapistForm,
    LockoutPasswordChangeForm,
    MemberJoinForm,
    PracticeForm,
    ThrottledPasswordResetForm,
)

UNUSABLE_STATUS = {
    selectors.UNKNOWN: 404,
    selectors.USED: 410,
    selectors.EXPIRED: 410,
    selectors.WITHDRAWN: 410,
    selectors.TAKEN: 409,
}


def _unusable(request: HttpRequest, reason: str, invitation: Invitation | None) -> HttpResponse:
    role = invitation.role if invitation is not None else None
    return render(
        request,
        "planner/onboarding/invitation_unusable.html",
        {"reason": reason, "role": role},
        status=UNUSABLE_STATUS[reason],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    found, problem = selectors.invitation_for_token(token)
    if found is None or problem:
        return _unusable(request, problem or selectors.UNKNOWN, found)
    is_client = found.role == User.Role.CLIENT
    form: ClientJoinForm | MemberJoinForm
    if is_client:
        form = ClientJoinForm(
            request.POST or None, initial=ClientJoinForm.initial_for(found), invitation=found
        )
    else:
        form = MemberJoinForm(
            request.POST or None,
            initial={"first_name": found.first_name, "last_name": found.last_name},
            invitation=found,
        )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(invitation=found, **form.to_service_kwargs())
        except services.InvitationUnusable as unusable:
            return _unusable(request, unusable.reason, found)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Between. Your password is set."))
            return redirect("my-break" if is_client else "home")
    return render(
        request,
        "planner/onboarding/invitation.html",
        {
            "form": form,
            "invitation": found,
            "is_client": is_client,
            "timezone_names": places.timezone_names() if is_client else [],
        },
        status=400 if form.is_bound else 200,
    )


@therapist_required
@require_POST
def client_invite(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    """The client page's invitation form: send (or send again) the emailed link."""
    client = break_selectors.access_client(request.user, client_id)
    try:
        services.invitation_client_send(client=client, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("The invitation is on its way to %(address)s. The link works for %(days)s days.")
            % {"address": client.email, "days": settings.INVITATION_DAYS},
        )
    return redirect("client", client_id=client.pk)


# --- Passwords: Django's own views, with the lockout and a task for the email ---------------


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ThrottledPasswordResetForm
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        if "new_password1" in form.fields:
            form.fields["new_password1"].help_text = PASSWORD_HELP
        return form


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = LockoutPasswordChangeForm
    success_url = reverse_lazy("password_change_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


# --- The practice, run by its staff (a page of its own, not the Django admin) ---------------


def _practice_page(
    request: HttpRequest,
    *,
    settings_form: PracticeForm | None = None,
    invite_form: InviteTherapistForm | None = None,
    line_form: CrisisLineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = _staff_user(request)
    practice = selectors.access_practice(staff)
    return render(
        request,
        "planner/onboarding/practice.html",
        {
            "practice": practice,
            "settings_form": settings_form
            or PracticeForm(initial=PracticeForm.initial_for(practice)),
            "invite_form": invite_form or InviteTherapistForm(),
            "line_form": line_form or CrisisLineForm(initial={"country": practice.country}),
            "therapists": selectors.therapists_of(practice),
            "invitations": selectors.pending_member_invitations(practice),
            "lines": selectors.crisis_lines_of(practice),
            "timezone_names": places.timezone_names(),
            "invitation_days": settings.INVITATION_DAYS,
            "now": current_time(),
        },
        status=status,
    )


def _staff_user(request: HttpRequest) -> User:
    """The logged-in practice staff member; anyone else gets a 404 (the page is not revealed)."""
    user = request.user
    if not isinstance(user, User) or not selectors.is_practice_staff(user):
        raise Http404("No such page.")
    return user


def _saved(request: HttpRequest, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    return redirect(f"{reverse('practice')}{anchor}")


@never_cache
@require_http_methods(["GET", "POST"])
def practice(request: HttpRequest) -> HttpResponse:
    staff = _staff_user(request)
    practice = selectors.access_practice(staff)
    if request.method != "POST":
        return _practice_page(request)
    form = PracticeForm(request.POST, initial=PracticeForm.initial_for(practice))
    if form.is_valid():
        try:
            services.practice_update(practice=practice, actor=staff, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _saved(request, _("The practice's settings are saved."))
    return _practice_page(request, settings_form=form, status=400)


@require_POST
def practice_invite(request: HttpRequest) -> HttpResponse:
    staff = _staff_user(request)
    practice = selectors.access_practice(staff)
    form = InviteTherapistForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_member_send(
                practice=practice, actor=staff, role=User.Role.THERAPIST, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _saved(
                request,
                _("The invitation is on its way to %(address)s.")
                % {"address": form.cleaned_data["email"]},
                "#h-therapists",
            )
    return _practice_page(request, invite_form=form, status=400)


@require_POST
def practice_invitation_action(
    request: HttpRequest, invitation_id: int, action: str
) -> HttpResponse:
    staff = _staff_user(request)
    practice = selectors.access_practice(staff)
    invitation = selectors.member_invitation(practice, invitation_id)
    if action not in ("resend", "withdraw"):
        raise Http404("No such action.")
    try:
        if action == "resend":
            services.invitation_resend(invitation=invitation, actor=staff)
        else:
            services.invitation_withdraw(invitation=invitation, actor=staff)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect(f"{reverse('practice')}#h-therapists")
    done = _("A new invitation is on its way.") if action == "resend" else _("Withdrawn.")
    return _saved(request, done, "#h-therapists")


@never_cache
def practice_therapist(request: HttpRequest, therapist_id: int) -> HttpResponse:
    staff = _staff_user(request)
    therapist = selectors.access_practice_therapist(staff, therapist_id)
    return _therapist_page(request, therapist, HandOverForm(therapist=therapist))


def _therapist_page(
    request: HttpRequest, therapist: User, form: HandOverForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "planner/onboarding/practice_therapist.html",
        {
            "therapist": therapist,
            "live_breaks": selectors.live_breaks_of(therapist),
            "covered": selectors.live_breaks_covered_by(therapist),
            "client_count": therapist.clients.filter(deleted_at__isnull=True).count(),
            "form": form,
        },
        status=status,
    )


@require_POST
def practice_therapist_action(request: HttpRequest, therapist_id: int, action: str) -> HttpResponse:
    staff = _staff_user(request)
    therapist = selectors.access_practice_therapist(staff, therapist_id)
    here = reverse("practice-therapist", args=[therapist.pk])
    if action == "hand-over":
        form = HandOverForm(request.POST, therapist=therapist)
        if not form.is_valid():
            return _therapist_page(request, therapist, form, status=400)
        try:
            moved = services.therapist_hand_over(
                therapist=therapist, to=form.cleaned_data["to"], actor=staff
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return _therapist_page(request, therapist, form, status=400)
        messages.success(
            request,
            _("%(count)s clients, with their breaks, now belong to %(name)s.")
            % {"count": moved, "name": form.cleaned_data["to"].full_name},
        )
        return redirect(here)
    if action not in ("deactivate", "reactivate"):
        raise Http404("No such action.")
    service = (
        services.therapist_deactivate if action == "deactivate" else services.therapist_reactivate
    )
    try:
        service(therapist=therapist, actor=staff)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("They can no longer log in.")
            if action == "deactivate"
            else _("They can log in again."),
        )
    return redirect(here)


@require_POST
def practice_crisis_line_add(request: HttpRequest) -> HttpResponse:
    staff = _staff_user(request)
    practice = selectors.access_practice(staff)
    form = CrisisLineForm(request.POST)
    if form.is_valid():
        try:
            services.crisis_line_add(practice=practice, actor=staff, **form.to_service_kwargs())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _saved(request, _("The crisis line is added."), "#h-lines")
    return _practice_page(request, line_form=form, status=400)


@require_POST
def practice_crisis_line_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    staff = _staff_user(request)
    line = selectors.access_crisis_line(staff, line_id)
    services.crisis_line_remove(line=line, actor=staff)
    return _saved(request, _("The crisis line is removed."), "#h-lines")
