"""The web pages' forms. They parse what people type; the services decide what is allowed.

A form turns text into the values a service takes (``to_service_kwargs``); the service's
``ValidationError`` dict comes back through ``add_service_errors`` so that every message is
shown next to the field it is about. Date-and-time inputs are wall-clock times in the
break's (or the practice's) time zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import User
from planner.breaks import places, validation
from planner.breaks.selectors import active_clients_for_therapist, previous_plan_for
from planner.ending.blueprint import (
    BLUEPRINT_LIST_FIELDS,
    BLUEPRINT_LISTS,
    COME_BACK,
    COME_BACK_HELP,
    COME_BACK_LABEL,
    COME_BACK_MAX,
)
from planner.models import AVOID_TOPICS, DEFAULT_DISTRESS_THRESHOLD, PROMPT_AMOUNTS, Break, Client
from planner.schedule.localtime import localize

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
CONTACT_ROWS = 4
BOOSTER_ROWS = 3
# Each section's label and help text; the fields and their order are the plan's own
# (validation.PLAN_LIST_FIELDS), so a section cannot be added in one place and not the other.
SECTION_TEXT = {
    "warning_signs": (
        _("1. Warning signs"),
        _("Thoughts, moods or situations that tell you a crisis may be coming. One per line."),
    ),
    "coping_strategies": (
        _("2. Things I can do on my own"),
        _("Ways of coping without contacting anyone. One per line."),
    ),
    "distractions": (_("3. People and places that take my mind off things"), _("One per line.")),
    # 4. People I can ask for help: the contact rows.
    "professional_contacts": (
        _("5. Professionals and services"),
        _("Besides the covering clinician and the crisis lines, which are always shown."),
    ),
    "environment_safety": (_("6. Making my surroundings safer"), _("One per line.")),
    "reasons_for_hope": (
        _("Reasons for hope"),
        _("What matters to the client and what they look forward to. One per line."),
    ),
}
# (field, label, help text): the six steps of a safety plan, plus reasons for hope.
PLAN_SECTIONS = tuple((name, *SECTION_TEXT[name]) for name in validation.PLAN_LIST_FIELDS)


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input, kept naive: the form attaches the right time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)
            if not validation.in_date_range(value):
                raise ValidationError(validation.DATE_RANGE_MESSAGE, code="out_of_range")
            return value
        text = str(value).strip()
        for fmt in LOCAL_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if not validation.in_date_range(parsed):  # the API's and the services' rule
                raise ValidationError(validation.DATE_RANGE_MESSAGE, code="out_of_range")
            return parsed
        raise ValidationError(_("Enter a date and time, like 2026-03-02 09:30."), code="invalid")


def time_field(label: StrOrPromise, **kwargs: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Use a 24-hour time like 22:00.")},
        **kwargs,
    )


def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A form's choice field by name, to set its choices at run time."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def add_service_errors(form: forms.Form, error: ValidationError, aliases: dict) -> None:
    """Put a service's field errors next to the matching form field (else at the top)."""
    messages: dict[str | None, list[str]] = {None: error.messages}
    if hasattr(error, "error_dict"):
        messages = dict(error.message_dict.items())
    for key, texts in messages.items():
        field = aliases.get(key, key)
        if field not in form.fields:
            field = None
        for text in texts:
            form.add_error(field, text)


def check_quiet_hours_on(form: forms.Form, data: dict[str, Any]) -> None:
    """The service's rule (both quiet-hours times or neither), shown next to the field."""
    if form.has_error("quiet_hours_start") or form.has_error("quiet_hours_end"):
        return
    try:
        validation.check_quiet_hours(data.get("quiet_hours_start"), data.get("quiet_hours_end"))
    except ValidationError as error:
        add_service_errors(form, error, {})


class TimesMixin:
    """Prompt times typed as "09:00, 13:00, 19:00"."""

    cleaned_data: dict[str, Any]

    def clean_prompt_times(self) -> list[str]:
        raw = self.cleaned_data.get("prompt_times", "")
        values = [v for v in re.split(r"[\s,;]+", raw) if v]
        try:
            return validation.check_prompt_times(values)
        except ValidationError as error:
            raise ValidationError(error.message_dict["prompt_times"])

    def clean_timezone(self) -> str:
        name = self.cleaned_data.get("timezone", "").strip()
        try:
            return validation.check_timezone(name)
        except ValidationError as error:
            raise ValidationError(error.message_dict["timezone"])


def prompt_times_field() -> forms.CharField:
    return forms.CharField(
        label=_("Times of day for prompts"),
        help_text=_("24-hour times separated by commas, for example 09:00, 13:00, 19:00."),
        max_length=100,
    )


def timezone_field() -> forms.CharField:
    return forms.CharField(
        label=_("Time zone"),
        help_text=_("A name such as Europe/London or America/New_York."),
        max_length=64,
    )


class CoveringMixin:
    cleaned_data: dict[str, Any]

    def _covering(self) -> dict[str, str] | None:
        data = self.cleaned_data
        name = data.get("covering_name", "").strip()
        colleague = data.get("covering_user")
        if colleague is not None and not name:
            name = colleague.full_name
        if not (name or data.get("covering_phone") or data.get("covering_email")):
            return None
        return {
            "name": name,
            "phone": data.get("covering_phone", "").strip(),
            "email": data.get("covering_email", "").strip(),
        }


def covering_fields(form: forms.Form, therapist: User) -> None:
    colleagues = User.objects.none()
    if therapist.practice_id is not None:
        colleagues = User.objects.filter(
            role=User.Role.THERAPIST, practice_id=therapist.practice_id, is_active=True
        ).exclude(pk=therapist.pk)
    form.fields["covering_user"] = forms.ModelChoiceField(
        label=_("Covering colleague in your practice"),
        queryset=colleagues,
        required=False,
        empty_label=_("None"),
        help_text=_("They can read this plan while the break is live."),
    )
    form.fields["covering_name"] = forms.CharField(
        label=_("Covering clinician's name"), required=False, max_length=200
    )
    form.fields["covering_phone"] = forms.CharField(
        label=_("Covering clinician's phone"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    form.fields["covering_email"] = forms.EmailField(
        label=_("Covering clinician's email"), required=False, max_length=200
    )


# --- A client -------------------------------------------------------------------------------


class ClientForm(forms.Form):
    """A client as the therapist adds or edits them: who, where, and how they hear from us."""

    SERVICE_ALIASES: dict[str, str | None] = {}

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=254,
        help_text=_("Needed to invite the client to Between."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=32,
        help_text=_("With the country code, for example +44 7700 900123."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    country = forms.ChoiceField(label=_("Country"))
    timezone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        help_text=_(
            "Leave empty for the country's main time zone, or type a name such as America/Chicago."
        ),
        widget=forms.TextInput(attrs={"list": "timezone-names", "autocomplete": "off"}),
    )
    channels = forms.MultipleChoiceField(
        label=_("Email and SMS, as agreed with the client"),
        required=False,
        choices=[("email", _("Email")), ("sms", _("SMS"))],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The in-app inbox is always on. Email and SMS carry only a neutral line and a link."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "country").choices = [("", _("Choose a country")), *places.countries()]

    @classmethod
    def initial_for(cls, client: Client | None, *, practice_country: str = "") -> dict[str, Any]:
        if client is None:
            return {"country": practice_country, "timezone": ""}
        return {
            "first_name": client.first_name,
            "last_name": client.last_name,
            "email": client.email,
            "phone": client.phone,
            "country": client.country,
            "timezone": client.timezone,
            "channels": [c for c in client.channels if c != "inbox"],
        }

    def clean_timezone(self) -> str:
        name = (self.cleaned_data.get("timezone") or "").strip()
        if not name:
            return ""
        try:
            return validation.check_timezone(name)
        except ValidationError as error:
            raise ValidationError(error.message_dict["timezone"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        country = data.get("country")
        if country and not data.get("timezone") and not self.has_error("timezone"):
            zone = places.default_timezone(country)
            if zone is None:
                self.add_error("timezone", _("Give the client's time zone."))
            else:
                data["timezone"] = zone
        channels = set(data.get("channels") or [])
        if "email" in channels and not data.get("email") and not self.has_error("email"):
            self.add_error("channels", _("Email needs an email address."))
        if "sms" in channels and not (data.get("phone") or "").strip():
            self.add_error("channels", _("SMS needs a phone number."))
        return data

    def to_service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"].strip(),
            "last_name": data.get("last_name", "").strip(),
            "email": data.get("email", "").strip().lower(),
            "phone": data.get("phone", "").strip(),
            "country": data["country"],
            "timezone": data["timezone"],
            "channels": ["inbox", *data.get("channels", [])],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, self.SERVICE_ALIASES)


# --- The plan builder ---------------------------------------------------------------------


def date_field(label: StrOrPromise, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, like 2026-03-02.")},
        **kwargs,
    )


def sessions_plan_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Booked sessions (an unplanned absence)"),
        choices=[("", _("Not an unplanned absence")), *Break.SessionsPlan.choices],
        required=False,
        help_text=_(
            "What happens to the client's booked sessions, and who will contact them. The "
            "first message says it; an unplanned absence needs it."
        ),
    )


def notice_field() -> forms.DateField:
    return date_field(
        _("Notice given"),
        help_text=_(
            "The day the client was told about the break. Preparation messages begin the day "
            "after; leave empty until you have told them."
        ),
    )


class BreakForm(TimesMixin, CoveringMixin, forms.Form):
    """One client's break: kind, dates, the plan's six sections, times and channels."""

    SERVICE_ALIASES = {
        "covering_clinician": "covering_name",
        "support_contacts": "contact_1_name",
        "booster_sessions": "booster_1",
        "min_spacing": "min_spacing_minutes",
        "paused_until": None,
    }

    kind = forms.ChoiceField(label=_("Kind of break"), choices=Break.Kind.choices)
    starts_at = LocalDateTimeField(
        label=_("Starts"),
        help_text=_(
            "A holiday or a gap: the end of the last session before it. An unplanned absence: "
            "when it began. An ending: when the ending phase begins (with the last session "
            "under Ends), or the last session itself when Ends is left empty."
        ),
    )
    ends_at = LocalDateTimeField(
        label=_("Ends"),
        required=False,
        help_text=_(
            "When the break is over. An ending: the last session. Leave it empty for an "
            "ending without a tapering phase, or an unplanned absence whose end nobody knows."
        ),
    )
    return_session_at = LocalDateTimeField(
        label=_("Return session"),
        required=False,
        help_text=_("The first session back, once it is booked. The countdown counts to it."),
    )
    notice_given_at = notice_field()
    sessions_plan = sessions_plan_field()
    timezone = timezone_field()
    therapist_note = forms.CharField(
        label=_("A note from you"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The client sees it on their plan."),
    )
    prompt_times = prompt_times_field()
    quiet_hours_start = time_field(_("Quiet hours start"))
    quiet_hours_end = time_field(_("Quiet hours end"))
    max_per_day = forms.IntegerField(
        label=_("At most this many prompts a day"),
        min_value=1,
        max_value=6,
        error_messages={
            "min_value": _("Choose between 1 and 6 prompts a day."),
            "max_value": _("Choose between 1 and 6 prompts a day."),
        },
    )
    min_spacing_minutes = forms.IntegerField(
        label=_("Minutes between prompts, at least"), min_value=30, max_value=720
    )
    prompt_amount = forms.ChoiceField(
        label=_("How many prompts"),
        choices=PROMPT_AMOUNTS,
        required=False,  # left out: the client's own choice
        help_text=_(
            "The client's choice in their preferences; never more than one a day. The preview "
            "shows the dates."
        ),
    )
    avoid_topics = forms.MultipleChoiceField(
        label=_("Leave out for this client"),
        required=False,
        choices=AVOID_TOPICS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Breath and body-focused exercises can unsettle some clients (after trauma, with "
            "panic); prompts about food can be hard with an eating disorder."
        ),
    )
    distress_threshold = forms.IntegerField(
        label=_("Check-in distress that asks for support (0-10)"), min_value=0, max_value=10
    )
    escalation_enabled = forms.BooleanField(
        label=_("The client agrees to escalation"),
        required=False,
        help_text=_(
            "When the client asks for support in a check-in, or rates their distress at the "
            "threshold or above, the covering clinician is asked to contact them. Saving "
            "records the client's consent with today's date; unticking records a withdrawal."
        ),
    )
    share_check_ins_with_covering = forms.BooleanField(
        label=_("The client agrees that the covering clinician reads their check-ins"),
        required=False,
        help_text=_(
            "Only a covering colleague with a login can read them, during the break. Saving "
            "records the client's consent (or its withdrawal)."
        ),
    )
    channels = forms.MultipleChoiceField(
        label=_("Email and SMS, as agreed with the client"),
        required=False,
        choices=[("email", _("Email")), ("sms", _("SMS"))],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The in-app inbox is always on. Email and SMS carry only a neutral line and a link."
        ),
    )

    def __init__(self, *args: Any, therapist: User, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.therapist, self.client = therapist, client
        covering_fields(self, therapist)
        # The safety plan's sections, then an ending's blueprint: one item a line each.
        for name, label, help_text in (*PLAN_SECTIONS, *BLUEPRINT_LISTS):
            self.fields[name] = forms.CharField(
                label=label,
                help_text=help_text,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.fields[COME_BACK] = forms.CharField(
            label=COME_BACK_LABEL,
            help_text=COME_BACK_HELP,
            required=False,
            max_length=COME_BACK_MAX,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
        for i in range(1, BOOSTER_ROWS + 1):
            self.fields[f"booster_{i}"] = LocalDateTimeField(
                label=_("Booster session %(n)s") % {"n": i},
                required=False,
                help_text=_("An ending: a booked booster session after the last one.")
                if i == 1
                else "",
            )
        for i in range(1, CONTACT_ROWS + 1):
            self.fields[f"contact_{i}_name"] = forms.CharField(
                label=_("Name"), required=False, max_length=200
            )
            self.fields[f"contact_{i}_relationship"] = forms.CharField(
                label=_("Who they are"), required=False, max_length=200
            )
            self.fields[f"contact_{i}_phone"] = forms.CharField(
                label=_("Phone"),
                required=False,
                max_length=32,
                widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            )

    @classmethod
    def initial_for(cls, client: Client, brk: Break | None = None) -> dict[str, Any]:
        source = brk
        if source is None:  # a new plan starts from the last finished one
            previous = previous_plan_for(client)
            source = Break.objects.get(pk=previous["from_break_id"]) if previous else None
        tz = ZoneInfo(brk.timezone if brk else client.timezone)

        def local(value: datetime | None) -> datetime | None:
            return value.astimezone(tz).replace(tzinfo=None) if value else None

        initial: dict[str, Any] = {
            "kind": Break.Kind.HOLIDAY,
            "timezone": client.timezone,
            "prompt_times": ", ".join(client.prompt_times),
            "quiet_hours_start": client.quiet_hours_start,
            "quiet_hours_end": client.quiet_hours_end,
            "max_per_day": 3,
            "min_spacing_minutes": 120,
            "distress_threshold": DEFAULT_DISTRESS_THRESHOLD,
            "prompt_amount": client.prompt_amount,
            "channels": [c for c in client.channels if c != "inbox"],
        }
        if brk is not None:
            # Consent is never carried over from an earlier plan: only this break's own.
            initial.update(
                notice_given_at=(
                    brk.notice_given_at.astimezone(tz).date() if brk.notice_given_at else None
                ),
                sessions_plan=brk.sessions_plan,
                prompt_amount=brk.prompt_amount,
                avoid_topics=list(brk.avoid_topics or []),
                escalation_enabled=brk.escalation_enabled,
                share_check_ins_with_covering=brk.share_check_ins_with_covering,
            )
            for i, at in enumerate(brk.booster_datetimes[:BOOSTER_ROWS], 1):
                initial[f"booster_{i}"] = local(at)
            for name in BLUEPRINT_LIST_FIELDS:
                initial[name] = "\n".join(getattr(brk, name) or [])
            initial[COME_BACK] = brk.blueprint_come_back
            initial.update(
                kind=brk.kind,
                starts_at=local(brk.starts_at),
                ends_at=local(brk.ends_at),
                return_session_at=local(brk.return_session_at),
                timezone=brk.timezone,
                prompt_times=", ".join(brk.prompt_times),
                quiet_hours_start=brk.quiet_hours_start,
                quiet_hours_end=brk.quiet_hours_end,
                max_per_day=brk.max_per_day,
                min_spacing_minutes=brk.min_spacing_minutes,
                distress_threshold=brk.distress_threshold,
                therapist_note=brk.therapist_note,
            )
        if source is not None and brk is None:
            initial["avoid_topics"] = list(source.avoid_topics or [])  # a per-client choice
        if source is not None:
            covering = source.covering_clinician or {}
            initial.update(
                covering_user=source.covering_user_id,
                covering_name=covering.get("name", ""),
                covering_phone=covering.get("phone", ""),
                covering_email=covering.get("email", ""),
            )
            for name, _label, _help in PLAN_SECTIONS:
                initial[name] = "\n".join(getattr(source, name) or [])
            for i, contact in enumerate((source.support_contacts or [])[:CONTACT_ROWS], 1):
                initial[f"contact_{i}_name"] = contact.get("name", "")
                initial[f"contact_{i}_relationship"] = contact.get("relationship", "")
                initial[f"contact_{i}_phone"] = contact.get("phone", "")
        return initial

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for i in range(1, CONTACT_ROWS + 1):
            rest = data.get(f"contact_{i}_relationship") or data.get(f"contact_{i}_phone")
            if rest and not (data.get(f"contact_{i}_name") or "").strip():
                self.add_error(f"contact_{i}_name", _("Give this contact's name."))
        check_quiet_hours_on(self, data)
        return data

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.cleaned_data.get("timezone") or self.client.timezone)

    def _aware(self, value: datetime | None) -> datetime | None:
        return None if value is None else localize(value.date(), value.time(), self.tz)

    def booster_fields(self) -> list[forms.BoundField]:
        return [self[f"booster_{i}"] for i in range(1, BOOSTER_ROWS + 1)]

    def _notice(self, value: date | None) -> datetime | None:
        """The day the client was told, as the start of that day in the break's zone."""
        return None if value is None else localize(value, time(0, 0), self.tz)

    def blueprint_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (*BLUEPRINT_LIST_FIELDS, COME_BACK)]

    def section_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _label, _help in PLAN_SECTIONS]

    def contact_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"contact_{i}_{part}"] for part in ("name", "relationship", "phone")]
            for i in range(1, CONTACT_ROWS + 1)
        ]

    def to_service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "kind": data["kind"],
            "starts_at": self._aware(data["starts_at"]),
            "ends_at": self._aware(data.get("ends_at")),
            "return_session_at": self._aware(data.get("return_session_at")),
            "notice_given_at": self._notice(data.get("notice_given_at")),
            "sessions_plan": data.get("sessions_plan") or "",
            "booster_sessions": [
                self._aware(data[f"booster_{i}"])
                for i in range(1, BOOSTER_ROWS + 1)
                if data.get(f"booster_{i}")
            ],
            "prompt_amount": data.get("prompt_amount") or self.client.prompt_amount,
            "avoid_topics": list(data.get("avoid_topics") or []),
            "escalation_enabled": bool(data.get("escalation_enabled")),
            "share_check_ins_with_covering": bool(data.get("share_check_ins_with_covering")),
            "timezone": data["timezone"],
            "therapist_note": data.get("therapist_note", ""),
            "prompt_times": data["prompt_times"],
            "quiet_hours_start": data.get("quiet_hours_start"),
            "quiet_hours_end": data.get("quiet_hours_end"),
            "max_per_day": data["max_per_day"],
            "min_spacing_minutes": data["min_spacing_minutes"],
            "distress_threshold": data["distress_threshold"],
            "covering_clinician": self._covering(),
            "covering_user": data.get("covering_user"),
            "support_contacts": [
                {
                    "name": data[f"contact_{i}_name"].strip(),
                    "relationship": data[f"contact_{i}_relationship"].strip(),
                    "phone": data[f"contact_{i}_phone"].strip(),
                }
                for i in range(1, CONTACT_ROWS + 1)
                if data.get(f"contact_{i}_name", "").strip()
            ],
        }
        for name, _label, _help in PLAN_SECTIONS:
            kwargs[name] = lines(data.get(name, ""))
        for name in BLUEPRINT_LIST_FIELDS:
            kwargs[name] = lines(data.get(name, ""))
        kwargs[COME_BACK] = (data.get(COME_BACK) or "").strip()
        return kwargs

    def channels_changed(self) -> bool:
        chosen = set(self.cleaned_data.get("channels") or [])
        # Email and SMS only: the inbox is always on, push follows the client's devices.
        return chosen != {c for c in self.client.channels if c in ("email", "sms")}

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, self.SERVICE_ALIASES)


# --- A caseload absence -----------------------------------------------------------------


class AbsenceForm(CoveringMixin, forms.Form):
    """The therapist's absence for several clients (or all of them) at once."""

    SERVICE_ALIASES = {"covering_clinician": "covering_name", "therapist": None}

    kind = forms.ChoiceField(
        label=_("Kind of absence"),
        choices=[
            (Break.Kind.HOLIDAY.value, Break.Kind.HOLIDAY.label),
            (Break.Kind.GAP.value, Break.Kind.GAP.label),
            (Break.Kind.UNPLANNED.value, Break.Kind.UNPLANNED.label),
        ],
        help_text=_(
            "Nothing is sent until you have reviewed each client's first message and "
            "activated the plans."
        ),
    )
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(
        label=_("Ends"),
        required=False,
        help_text=_("Leave it empty only for an unplanned absence whose end nobody knows yet."),
    )
    return_session_at = LocalDateTimeField(
        label=_("First day back"),
        required=False,
        help_text=_("Each client's own return session can be set when you review the drafts."),
    )
    notice_given_at = notice_field()
    sessions_plan = sessions_plan_field()
    therapist_note = forms.CharField(
        label=_("A note to every client"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    all_clients = forms.BooleanField(label=_("All my clients"), required=False)

    def __init__(self, *args: Any, therapist: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.therapist = therapist
        clients = forms.ModelMultipleChoiceField(
            label=_("Clients"),
            queryset=active_clients_for_therapist(therapist),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        clients.label_from_instance = lambda obj: obj.full_name  # type: ignore[method-assign]
        self.fields["clients"] = clients
        covering_fields(self, therapist)
        practice = therapist.practice
        self.zone = ZoneInfo(practice.timezone if practice else "Europe/London")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("all_clients") and not data.get("clients"):
            self.add_error("clients", _("Choose at least one client, or all of them."))
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The absence must end after it starts."))
        return data

    def _aware(self, value: datetime | None) -> datetime | None:
        return None if value is None else localize(value.date(), value.time(), self.zone)

    def to_service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        clients: Any = "all" if data["all_clients"] else [c.pk for c in data["clients"]]
        kwargs = {
            "clients": clients,
            "kind": data["kind"],
            "starts_at": self._aware(data["starts_at"]),
            "ends_at": self._aware(data["ends_at"]),
            "return_session_at": self._aware(data.get("return_session_at")),
            "covering_clinician": self._covering(),
            "covering_user": data.get("covering_user"),
        }
        notice = data.get("notice_given_at")
        if notice is not None:
            kwargs["notice_given_at"] = localize(notice, time(0, 0), self.zone)
        if data.get("sessions_plan"):
            kwargs["sessions_plan"] = data["sessions_plan"]
        if data.get("therapist_note"):
            kwargs["therapist_note"] = data["therapist_note"]
        return kwargs

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, self.SERVICE_ALIASES)


# --- The client's preferences -------------------------------------------------------------
