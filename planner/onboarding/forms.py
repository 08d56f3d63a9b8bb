"""Onboarding forms: accepting an invitation, asking for and changing a password."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.auth import (
    LoginFailed,
    LoginLocked,
    authenticate_with_lockout,
    client_ip,
    locked_message,
    reset_lock_remaining,
)
from core.models import User
from planner.breaks import places, validation
from planner.breaks.forms import add_service_errors, choice_field, time_field
from planner.models import Invitation
from planner.onboarding import selectors, services

PASSWORD_HELP = _(
    "At least 8 characters; not only digits, not a common password, and not like your name "
    "or email address."
)


def _password_fields(form: forms.Form) -> None:
    first, second = SetPasswordMixin.create_password_fields(
        label1=_("Choose a password"), label2=_("The same password again")
    )
    first.help_text = PASSWORD_HELP
    second.help_text = ""
    form.fields["new_password1"] = first
    form.fields["new_password2"] = second


class _JoinForm(SetPasswordMixin, forms.Form):
    """Setting a password from an invitation (the login does not exist yet)."""

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        _password_fields(self)

    def _user_for_checks(self) -> User:
        data = self.cleaned_data
        return User(
            email=self.invitation.email,
            first_name=data.get("first_name") or self.invitation.first_name,
            last_name=data.get("last_name") or self.invitation.last_name,
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self._user_for_checks(), "new_password1")
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {})


class MemberJoinForm(_JoinForm):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)

    def to_service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "password": data["new_password1"],
            "first_name": data["first_name"].strip(),
            "last_name": data.get("last_name", "").strip(),
        }


class ClientJoinForm(_JoinForm):
    country = forms.ChoiceField(label=_("Country you live in"))
    timezone = forms.CharField(
        label=_("Your time zone"),
        max_length=64,
        help_text=_("Messages come at times of your day. A name such as Europe/London."),
        widget=forms.TextInput(attrs={"list": "timezone-names", "autocomplete": "off"}),
    )
    email = forms.BooleanField(label=_("Also by email"), required=False)
    sms = forms.BooleanField(label=_("Also by SMS"), required=False)
    quiet_hours_start = time_field(
        _("Quiet from"), help_text=_("No message arrives in your quiet hours. Optional.")
    )
    quiet_hours_end = time_field(_("Quiet until"))

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, invitation=invitation, **kwargs)
        client = invitation.client
        assert client is not None  # a client's invitation (ClientJoinForm is only for those)
        choice_field(self, "country").choices = [("", _("Choose a country")), *places.countries()]
        self.fields["email"].help_text = _(
            "I agree to receive a short note at %(address)s when there is a message for me."
        ) % {"address": client.email}
        if client.phone:
            self.fields["sms"].help_text = _(
                "I agree to receive a short text at %(number)s when there is a message for "
                "me. Reply STOP to stop."
            ) % {"number": client.phone}
        else:
            self.fields["sms"].help_text = _("Your therapist has no phone number for you.")
            self.fields["sms"].disabled = True

    @classmethod
    def initial_for(cls, invitation: Invitation) -> dict[str, Any]:
        client = invitation.client
        assert client is not None
        return {
            "country": client.country,
            "timezone": client.timezone,
            "email": "email" in client.channels,
            "sms": "sms" in client.channels and bool(client.phone),
            "quiet_hours_start": client.quiet_hours_start,
            "quiet_hours_end": client.quiet_hours_end,
        }

    def clean_timezone(self) -> str:
        try:
            return validation.check_timezone((self.cleaned_data.get("timezone") or "").strip())
        except ValidationError as error:
            raise ValidationError(error.message_dict["timezone"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None) and not self.has_error("quiet_hours_start"):
            self.add_error(
                "quiet_hours_end", _("Give both the start and the end of the quiet hours.")
            )
        return data

    def to_service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "password": data["new_password1"],
            "country": data["country"],
            "timezone": data["timezone"],
            "channels": [c for c in ("email", "sms") if data.get(c)],
            "quiet_hours_start": data.get("quiet_hours_start"),
            "quiet_hours_end": data.get("quiet_hours_end"),
        }


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, throttled like the login, and sending through a Celery task.

    The answer is the same whether or not the address has a login: the view always goes on
    to "check your email", and the throttle counts unknown addresses like known ones.
    """

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        remaining = reset_lock_remaining(email=email, ip=client_ip(self.request))
        if remaining:
            raise ValidationError(locked_message(remaining), code="locked")
        return email

    def save(self, *args: Any, **kwargs: Any) -> None:
        services.password_reset_request(
            email=self.cleaned_data["email"], ip=client_ip(self.request)
        )


class LockoutPasswordChangeForm(PasswordChangeForm):
    """Changing a password asks for the old one through the login's lockout, so a borrowed
    session cannot guess it here either."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["new_password1"].help_text = PASSWORD_HELP

    def clean_old_password(self) -> str:
        password = self.cleaned_data["old_password"]
        try:
            checked = authenticate_with_lockout(
                self.request, email=self.user.email, password=password
            )
        except LoginLocked as locked:
            raise ValidationError(locked.message, code="locked")
        except LoginFailed:
            checked = None
        if checked is None or checked.pk != self.user.pk:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return password


# --- The practice page -----------------------------------------------------------------------


class PracticeForm(forms.Form):
    """The practice's settings, as its staff edit them."""

    name = forms.CharField(label=_("Name of the practice"), max_length=200)
    country = forms.ChoiceField(label=_("Country"))
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("For dates typed on caseload pages, e.g. Europe/London."),
        widget=forms.TextInput(attrs={"list": "timezone-names", "autocomplete": "off"}),
    )
    fallback_contact_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    fallback_contact_email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    fallback_contact_phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    default_prompt_times = forms.CharField(
        label=_("Times of day for prompts"),
        max_length=100,
        required=False,
        help_text=_("24-hour times separated by commas, for example 09:00, 13:00, 19:00."),
    )
    default_quiet_hours_start = time_field(_("Quiet hours start"))
    default_quiet_hours_end = time_field(_("Quiet hours end"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "country").choices = places.countries()

    @classmethod
    def initial_for(cls, practice: Any) -> dict[str, Any]:
        return {
            **{name: getattr(practice, name) for name in cls.base_fields},
            "default_prompt_times": ", ".join(practice.default_prompt_times or []),
        }

    def clean_default_prompt_times(self) -> list[str]:
        values = [
            v for v in re.split(r"[\s,;]+", self.cleaned_data.get("default_prompt_times", "")) if v
        ]
        if not values:
            return []
        try:
            return validation.check_prompt_times(values, "default_prompt_times")
        except ValidationError as error:
            raise ValidationError(error.message_dict["default_prompt_times"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("fallback_contact_name") and not (
            data.get("fallback_contact_email") or data.get("fallback_contact_phone")
        ):
            self.add_error(
                "fallback_contact_email",
                _("Give an email address or a phone number to reach them."),
            )
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {})


class InviteTherapistForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {})


class HandOverForm(forms.Form):
    to = forms.ModelChoiceField(
        label=_("Hand their clients over to"), queryset=User.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, therapist: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        to = self.fields["to"]
        assert isinstance(to, forms.ModelChoiceField)
        to.queryset = selectors.colleagues_for_hand_over(therapist)
        to.label_from_instance = lambda obj: obj.full_name  # type: ignore[method-assign]

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {})


class CrisisLineForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"))
    name = forms.CharField(label=_("Name of the service"), max_length=200)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        help_text=_("As dialled, or +44 123 456 7890. A phone or an SMS number is needed."),
    )
    sms = forms.CharField(label=_("SMS number"), max_length=32, required=False)
    text_line = forms.CharField(
        label=_("What to text"), max_length=200, required=False, help_text=_("e.g. SHOUT")
    )
    hours = forms.CharField(label=_("Hours"), max_length=200, help_text=_("e.g. 24/7"))
    source = forms.URLField(
        label=_("Where you checked it"),
        max_length=200,
        help_text=_("The service's own public page (https)."),
        assume_scheme="https",
    )
    checked_on = forms.DateField(
        label=_("Checked on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "country").choices = places.countries()

    @staticmethod
    def _number(value: str) -> str:
        """+44 20 7946 0000 as +442079460000 (E.164); a local number stays as dialled."""
        value = (value or "").strip()
        return re.sub(r"[\s().-]", "", value) if value.startswith("+") else value

    def clean_phone(self) -> str:
        return self._number(self.cleaned_data.get("phone", ""))

    def clean_sms(self) -> str:
        return self._number(self.cleaned_data.get("sms", ""))

    def to_service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {})
