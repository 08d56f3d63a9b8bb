"""Input checks shared by the services, the API serializers and the forms.

Each raises ``django.core.exceptions.ValidationError`` with a dict naming the field, so the
API answers 400 with field messages and the pages show the message next to the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import available_timezones

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from planner.crisis import ISO_COUNTRY_CODES
from planner.ending.blueprint import BLUEPRINT_LIST_FIELDS, COME_BACK, COME_BACK_MAX
from planner.models import AVOID_TOPICS, PROMPT_AMOUNTS, Break


def invalid(field: str, message: str) -> ValidationError:
    """The error for one field, as the API (400) and the forms (next to the field) show it."""
    return ValidationError({field: [message]})


# "push" is on while the client has a device for it (planner/phone); a list given to a
# service keeps it as it is (``client_update``).
CHANNELS = ("inbox", "email", "sms", "push")

# The one list of what a plan holds. The six sections of a safety plan (Stanley-Brown: the
# support contacts are its fourth) and reasons for hope, in the order the plan shows them ...
PLAN_LIST_FIELDS = (
    "warning_signs",
    "coping_strategies",
    "distractions",
    "professional_contacts",
    "environment_safety",
    "reasons_for_hope",
)
# ... everything written about the client in a plan (exported, erased, carried to the next) ...
PLAN_CONTENT_FIELDS = (
    *PLAN_LIST_FIELDS,
    "support_contacts",
    "covering_clinician",
    "therapist_note",
    *BLUEPRINT_LIST_FIELDS,  # an ending's relapse-prevention blueprint (planner/ending)
    COME_BACK,
)
# ... what a new plan starts from (the note and every consent are given afresh each break) ...
# The topics left out are the client's sensitivities, so they carry over too.
CARRIED_OVER_FIELDS = (
    *PLAN_LIST_FIELDS,
    "support_contacts",
    "covering_clinician",
    "avoid_topics",
)
# ... and when its prompts may go out.
SCHEDULE_FIELDS = (
    "timezone",
    "quiet_hours_start",
    "quiet_hours_end",
    "prompt_times",
    "max_per_day",
    "min_spacing_minutes",
    "prompt_amount",
)
MAX_BOOSTERS = 6
MAX_ITEM_LENGTH = 500
MAX_ITEMS = 30
# The dates a plan holds, as the services take them (aware datetimes).
DATE_FIELDS = ("starts_at", "ends_at", "return_session_at", "notice_given_at")

# One window for every date a person gives, in the pages, the API and the services alike:
# anything outside is a typing mistake (year 1, year 9999), and would make the schedule engine
# plan over centuries or overflow (a 500 on every page that draws the plan).
EARLIEST_YEAR = 2000
LATEST_YEAR = 2099
EARLIEST = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)
DATE_RANGE_MESSAGE = gettext_lazy("Give a date between the years 2000 and 2099.")


# --- Small validators shared by the API, the forms and the services -----------------------


def parse_hhmm(value: Any, field: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str) and len(value) == 5 and value[2] == ":":
        hours, minutes = value[:2], value[3:]
        if hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60:
            return time(int(hours), int(minutes))
    raise invalid(
        field, _("Use a 24-hour time like 09:30, not %(value)s.") % {"value": repr(str(value)[:20])}
    )


def in_date_range(value: datetime) -> bool:
    """Within the window: an aware datetime by its instant, a naive one (a wall-clock time
    typed into a form, before its zone is known) by its year."""
    if not EARLIEST_YEAR - 1 <= value.year <= LATEST_YEAR + 1:
        return False  # decided by the year alone (no offset arithmetic near year 1 or 9999)
    if value.tzinfo is None:
        return EARLIEST_YEAR <= value.year <= LATEST_YEAR
    return EARLIEST <= value < LATEST


def check_datetime(value: Any, field: str) -> datetime | None:
    """An aware datetime within the window, or None."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise invalid(field, _("Give a date and time with a time zone offset."))
    if not in_date_range(value):
        raise invalid(field, str(DATE_RANGE_MESSAGE))
    return value


def dates_problem(brk: Break) -> tuple[str, str] | None:
    """The first date of a stored break outside the window, as (field, message): rows saved
    before the rule existed must not break the pages that draw them."""
    for name in DATE_FIELDS:
        value = getattr(brk, name)
        if value is not None and not in_date_range(value):
            return name, str(DATE_RANGE_MESSAGE)
    return None


def format_hhmm(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def check_timezone(name: Any, field: str = "timezone") -> str:
    if not isinstance(name, str) or name not in _zones():
        raise invalid(
            field,
            _("Unknown time zone %(name)s; use an IANA name such as Europe/London.")
            % {"name": repr(str(name)[:64])},
        )
    return name


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] | None = None


def check_prompt_times(values: Any, field: str = "prompt_times") -> list[str]:
    if not isinstance(values, list | tuple) or not values:
        raise invalid(field, _('Give at least one time of day, like ["09:00"].'))
    if len(values) > 8:
        raise invalid(field, _("At most 8 times of day."))
    return sorted({parse_hhmm(v, field).strftime("%H:%M") for v in values})


def check_quiet_hours(start: Any, end: Any) -> None:
    """Quiet hours are both times or neither: a start alone would silence nothing or all."""
    if (start in (None, "")) != (end in (None, "")):
        raise invalid(
            "quiet_hours_end",
            _("Give both the start and the end of the quiet hours, or neither."),
        )


def check_channels(values: Any, field: str = "channels") -> list[str]:
    if not isinstance(values, list | tuple):
        raise invalid(field, _("Give a list of channels: inbox, email, sms."))
    unknown = [str(v)[:20] for v in values if v not in CHANNELS]
    if unknown:
        raise invalid(
            field,
            _("Unknown channel %(channel)s; use inbox, email, sms.")
            % {"channel": repr(unknown[0])},
        )
    chosen = set(values) | {"inbox"}  # the inbox is always on
    return [c for c in CHANNELS if c in chosen]


def check_text_list(values: Any, field: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise invalid(field, _("Give a list of short texts."))
    items = [v.strip() for v in values if v.strip()]
    if len(items) > MAX_ITEMS:
        raise invalid(field, _("At most %(count)s items.") % {"count": MAX_ITEMS})
    if any(len(v) > MAX_ITEM_LENGTH for v in items):
        raise invalid(
            field, _("Each item can be at most %(count)s characters.") % {"count": MAX_ITEM_LENGTH}
        )
    return items


def check_support_contacts(values: Any) -> list[dict[str, str]]:
    field = "support_contacts"
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > MAX_ITEMS:
        raise invalid(field, _("Give a list of at most %(count)s contacts.") % {"count": MAX_ITEMS})
    contacts = []
    for index, item in enumerate(values):
        if not isinstance(item, Mapping) or not str(item.get("name") or "").strip():
            raise invalid(field, _("Contact %(number)s needs a name.") % {"number": index + 1})
        contact = {}
        for key in ("name", "relationship", "phone", "notes"):
            value = item.get(key) or ""
            if not isinstance(value, str) or len(value) > 200:
                raise invalid(
                    field,
                    _("Contact %(number)s: %(field)s must be a text of at most 200 characters.")
                    % {"number": index + 1, "field": key},
                )
            contact[key] = value.strip()
        contacts.append(contact)
    return contacts


def check_covering(value: Any) -> dict[str, str] | None:
    if value in (None, "", {}):
        return None
    if not isinstance(value, Mapping) or not str(value.get("name") or "").strip():
        raise invalid("covering_clinician", _("Give the covering clinician's name."))
    covering = {}
    for key in ("name", "phone", "email"):
        text = value.get(key) or ""
        if not isinstance(text, str) or len(text) > 200:
            raise invalid(
                "covering_clinician",
                _("%(field)s must be at most 200 characters.") % {"field": key},
            )
        covering[key] = text.strip()
    return covering


def check_country(value: Any, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code (the crisis lines are looked up by it), upper-cased."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in ISO_COUNTRY_CODES:
        raise invalid(field, _("Use a two-letter ISO country code such as GB or IE."))
    return code


# What a typed phone number may hold: digits, spaces and the usual punctuation, and a leading
# "+"; no letters, no line breaks or other control characters.
PHONE_TEXT = re.compile(r"^\+?[0-9 ().\-/]{3,40}$")


def normalise_phone(value: Any, *, country: str | None, field: str = "phone") -> str:
    """A phone number in E.164 (+447700900123), as the SMS provider writes it back to the
    webhook, so that STOP finds the client; "" for none.

    Read with the ``phonenumbers`` library (Google's libphonenumber), a national number in
    the client's country. It must be a *possible* number (the right length for its
    country's plan); a stricter "valid" would refuse the ranges reserved for drama and tests
    (07700 900xxx in the UK) and follows allocation tables that change monthly, while a number
    that is possible but not in service is refused by the provider, which switches SMS off
    for the client and tells the therapist."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise invalid(field, _("Give the phone number as text."))
    text = value.strip()
    if not text:
        return ""
    message = _("Give a phone number like +44 7700 900123 (digits, spaces and a leading +).")
    if not PHONE_TEXT.match(text):
        raise invalid(field, message)
    if not country and not text.startswith("+"):
        # Nothing to read a national number in: the client's country is not known yet.
        raise invalid(field, _("Give the number with its country code, e.g. +44 7700 900123."))
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        raise invalid(field, message)
    if not phonenumbers.is_possible_number(number):
        raise invalid(field, _("This is not a possible phone number for its country."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_for_lookup(value: str) -> str | None:
    """A number from outside (the SMS webhook's ``From``) in the form the clients' numbers are
    stored in, or None when it is not one."""
    try:
        return normalise_phone(value, country=None) or None
    except ValidationError:
        return None


CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "timezone",
    "quiet_hours_start",
    "quiet_hours_end",
    "prompt_times",
    "channels",
    "full_text_opt_in",
    "prompt_amount",
)


def check_prompt_amount(value: Any, field: str = "prompt_amount") -> str:
    if value not in {v for v, _label in PROMPT_AMOUNTS}:
        raise invalid(field, _("Choose fewer, usual or more."))
    return str(value)


def clean_client_fields(data: Mapping[str, Any], *, country: str | None = None) -> dict[str, Any]:
    """The client fields in ``data``, checked; ``country`` is the client's, to read a national
    phone number in when ``data`` names none (without one, a number needs its country code)."""
    cleaned: dict[str, Any] = {}
    country = country or None
    if "country" in data:
        cleaned["country"] = country = check_country(data["country"])
    for key, value in data.items():
        if key == "timezone":
            cleaned[key] = check_timezone(value)
        elif key in ("quiet_hours_start", "quiet_hours_end"):
            cleaned[key] = None if value in (None, "") else parse_hhmm(value, key)
        elif key == "prompt_times":
            cleaned[key] = check_prompt_times(value)
        elif key == "channels":
            cleaned[key] = check_channels(value)
        elif key == "country":
            continue  # checked first: the phone number is read in it
        elif key == "phone":
            cleaned[key] = normalise_phone(value, country=country)
        elif key == "prompt_amount":
            cleaned[key] = check_prompt_amount(value)
        elif key in CLIENT_FIELDS:
            cleaned[key] = value
    return cleaned


BREAK_FIELDS = (
    "kind",
    "starts_at",
    "ends_at",
    "return_session_at",
    "notice_given_at",
    "timezone",
    "quiet_hours_start",
    "quiet_hours_end",
    "prompt_times",
    "max_per_day",
    "min_spacing_minutes",
    "covering_clinician",
    "covering_user",
    "support_contacts",
    "therapist_note",
    "distress_threshold",
    "escalation_enabled",
    "escalation_consent_at",
    "share_check_ins_with_covering",
    "prompt_amount",
    "avoid_topics",
    "booster_sessions",
    "sessions_plan",
    "needs_call",
    *PLAN_LIST_FIELDS,
    *BLUEPRINT_LIST_FIELDS,
    COME_BACK,
)


def clean_break_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key not in BREAK_FIELDS:
            continue
        if key == "kind":
            if value not in Break.Kind.values:
                raise invalid(
                    key,
                    _("Unknown kind %(kind)s; use one of %(kinds)s.")
                    % {"kind": repr(str(value)[:20]), "kinds": ", ".join(Break.Kind.values)},
                )
            cleaned[key] = value
        elif key in (
            "starts_at",
            "ends_at",
            "return_session_at",
            "notice_given_at",
            "escalation_consent_at",
        ):
            cleaned[key] = check_datetime(value, key)
        elif key == "timezone":
            cleaned[key] = check_timezone(value)
        elif key in ("quiet_hours_start", "quiet_hours_end"):
            cleaned[key] = None if value in (None, "") else parse_hhmm(value, key)
        elif key == "prompt_times":
            cleaned[key] = check_prompt_times(value)
        elif key in PLAN_LIST_FIELDS or key in BLUEPRINT_LIST_FIELDS:
            cleaned[key] = check_text_list(value, key)
        elif key == COME_BACK:
            if not isinstance(value, str) or len(value) > COME_BACK_MAX:
                raise invalid(key, _("Write at most %(n)s characters here.") % {"n": COME_BACK_MAX})
            cleaned[key] = value.strip()
        elif key == "support_contacts":
            cleaned[key] = check_support_contacts(value)
        elif key == "covering_clinician":
            cleaned[key] = check_covering(value)
        elif key == "therapist_note":
            if not isinstance(value, str) or len(value) > 4000:
                raise invalid(key, _("The note can be at most 4000 characters."))
            cleaned[key] = value
        elif key == "max_per_day":
            if not isinstance(value, int) or not 1 <= value <= 6:
                raise invalid(key, _("Choose between 1 and 6 prompts a day."))
            cleaned[key] = value
        elif key == "min_spacing_minutes":
            if not isinstance(value, int) or not 30 <= value <= 720:
                raise invalid(key, _("Choose a spacing between 30 and 720 minutes."))
            cleaned[key] = value
        elif key == "prompt_amount":
            cleaned[key] = check_prompt_amount(value)
        elif key == "avoid_topics":
            topics = {v for v, _label in AVOID_TOPICS}
            if not isinstance(value, list | tuple) or not set(value) <= topics:
                raise invalid(key, _("Choose from: %(topics)s.") % {"topics": ", ".join(topics)})
            cleaned[key] = sorted(set(value))
        elif key == "booster_sessions":
            cleaned[key] = check_boosters(value)
        elif key == "sessions_plan":
            if value not in ("", None, *Break.SessionsPlan.values):
                raise invalid(key, _("Choose what happens to the client's booked sessions."))
            cleaned[key] = value or ""
        elif key in ("needs_call", "escalation_enabled", "share_check_ins_with_covering"):
            if not isinstance(value, bool):
                raise invalid(key, _("Give true or false."))
            cleaned[key] = value
        elif key == "distress_threshold":
            if not isinstance(value, int) or not 0 <= value <= 10:
                raise invalid(key, _("Choose a threshold from 0 to 10."))
            cleaned[key] = value
        else:
            cleaned[key] = value
    return cleaned


def check_boosters(values: Any) -> list[str]:
    """Booked booster sessions: aware datetimes, stored as ISO 8601 in UTC, in order."""
    field = "booster_sessions"
    if values in (None, ""):
        return []
    if not isinstance(values, list | tuple) or len(values) > MAX_BOOSTERS:
        raise invalid(field, _("Give at most %(n)s booster sessions.") % {"n": MAX_BOOSTERS})
    found = set()
    for value in values:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise invalid(field, _("Give each booster session a date and time with a time zone."))
        found.add(value.astimezone(UTC))
    return [value.isoformat() for value in sorted(found)]
