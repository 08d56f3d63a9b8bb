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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.models import User
from planner.breaks import places
from planner.breaks import selectors as break_selectors
from planner.breaks.views import therapist_required
from planner.models import Invitation
from planner.onboarding import selectors, services
from planner.onboarding.forms import (
    PASSWORD_HELP,
    ClientJoinForm,
    LockoutPasswordChangeForm,
    MemberJoinForm,
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
def client_invite(request: HttpRequest, client_id: int) -> HttpResponse:
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
