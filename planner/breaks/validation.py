"""Input checks shared by the services, the API serializers and the forms.

Each raises ``django.core.exceptions.ValidationError`` with a dict naming the field, so the
API answers 400 with field messages and the pages show the message next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from planner.crisis import ISO_COUNTRY_CODES
from planner.models import AVOID_TOPICS, PROMPT_AMOUNTS, Break


def invalid(field: str, message: str) -> ValidationError:
    """The error for one field, as the API (400) and the forms (next to the field) show it."""
    return ValidationError({field: [message]})


CHANNELS = ("inbox", "email", "sms")

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


def check_country(code: Any, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code (any case in, upper case out)."""
    if not isinstance(code, str) or code.strip().upper() not in ISO_COUNTRY_CODES:
        raise invalid(field, _("Choose a country (an ISO 3166 code such as GB)."))
    return code.strip().upper()


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


def clean_client_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
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
            cleaned[key] = check_country(value)
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
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                raise invalid(key, _("Give a date and time with a time zone offset."))
            cleaned[key] = value
        elif key == "timezone":
            cleaned[key] = check_timezone(value)
        elif key in ("quiet_hours_start", "quiet_hours_end"):
            cleaned[key] = None if value in (None, "") else parse_hhmm(value, key)
        elif key == "prompt_times":
            cleaned[key] = check_prompt_times(value)
        elif key in PLAN_LIST_FIELDS:
            cleaned[key] = check_text_list(value, key)
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
