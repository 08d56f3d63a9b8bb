"""The client's preferences form: times, quiet hours, channels and a pause."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.timezone import now as current_time
from django.utils.translation import gettext_lazy as _

from planner.breaks import places
from planner.breaks.forms import (
    TimesMixin,
    add_service_errors,
    check_quiet_hours_on,
    choice_field,
    prompt_times_field,
    time_field,
    timezone_field,
)
from planner.models import Client

# Relative on purpose: the figures differ by kind of break, and the live picture on the page
# shows the real dates.
AMOUNT_CHOICES = [
    ("fewer", _("Fewer messages")),
    ("usual", _("The usual amount")),
    ("more", _("More messages")),
]

PAUSE_CHOICES = [
    ("", _("Keep as it is")),
    ("1", _("Pause for 1 day")),
    ("3", _("Pause for 3 days")),
    ("7", _("Pause for a week")),
    ("resume", _("Resume now")),
]


class PreferencesForm(TimesMixin, forms.Form):
    SERVICE_ALIASES = {"channels": "email", "full_text_opt_in": "full_text_opt_in"}

    timezone = timezone_field()
    prompt_times = prompt_times_field()
    quiet_hours_start = time_field(
        _("Quiet from"), help_text=_("No message arrives in your quiet hours.")
    )
    quiet_hours_end = time_field(_("Quiet until"))
    prompt_amount = forms.ChoiceField(
        label=_("How many messages during a break"),
        choices=AMOUNT_CHOICES,
        required=False,  # left out: as it is
        widget=forms.RadioSelect,
        help_text=_(
            "Never more than one a day, whichever you choose. The picture of your coming "
            "messages shows what you would get."
        ),
    )
    country = forms.ChoiceField(
        label=_("Country you live in"),
        required=False,  # left out: as it is, not confirmed
        help_text=_("It chooses the crisis lines and emergency numbers Between shows you."),
    )
    email = forms.BooleanField(label=_("Also by email"), required=False)
    sms = forms.BooleanField(label=_("Also by SMS"), required=False)
    full_text_opt_in = forms.BooleanField(
        label=_("Put the whole message in the email, SMS or notification"),
        required=False,
        help_text=_(
            "Otherwise they say only that there is a message for you, with a link. "
            "Others may see your phone's screen."
        ),
    )
    pause = forms.ChoiceField(
        label=_("Pause messages"), choices=PAUSE_CHOICES, required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        choice_field(self, "country").choices = [("", _("Choose a country")), *places.countries()]
        self.fields["email"].help_text = (
            _("I agree to receive a short note at %(address)s.") % {"address": client.email}
            if client.email
            else _("Your therapist has no email address for you.")
        )
        self.fields["sms"].help_text = (
            _("I agree to receive a short text at %(number)s. Reply STOP to stop.")
            % {"number": client.phone}
            if client.phone
            else _("Your therapist has no phone number for you.")
        )
        if not client.is_paused():
            pause = self.fields["pause"]
            assert isinstance(pause, forms.ChoiceField)
            pause.choices = [c for c in PAUSE_CHOICES if c[0] != "resume"]
        if not client.email:
            self.fields["email"].disabled = True
        if not client.phone:
            self.fields["sms"].disabled = True

    @classmethod
    def initial_for(cls, client: Client) -> dict[str, Any]:
        return {
            "timezone": client.timezone,
            "prompt_times": ", ".join(client.prompt_times),
            "quiet_hours_start": client.quiet_hours_start,
            "quiet_hours_end": client.quiet_hours_end,
            "prompt_amount": client.prompt_amount,
            "country": client.country,
            "email": "email" in client.channels,
            "sms": "sms" in client.channels,
            "full_text_opt_in": client.full_text_opt_in,
            "pause": "",
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        check_quiet_hours_on(self, data)
        return data

    def to_service_kwargs(self, *, at: datetime | None = None) -> dict[str, Any]:
        data = self.cleaned_data
        channels = ["inbox"] + [c for c in ("email", "sms") if data.get(c)]
        kwargs: dict[str, Any] = {
            "timezone": data["timezone"],
            "prompt_times": data["prompt_times"],
            "quiet_hours_start": data.get("quiet_hours_start"),
            "quiet_hours_end": data.get("quiet_hours_end"),
            "channels": channels,
            "full_text_opt_in": bool(data.get("full_text_opt_in")),
        }
        for name in ("prompt_amount", "country"):  # saving the country shown confirms it
            if data.get(name):
                kwargs[name] = data[name]
        pause = data.get("pause") or ""
        if pause == "resume":
            kwargs["paused_until"] = None
        elif pause:
            kwargs["paused_until"] = (at or current_time()) + timedelta(days=int(pause))
        return kwargs

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, self.SERVICE_ALIASES)
