"""The schedule engine: plan settings + prompt library + seed -> planned prompts.

Pure on purpose: no ORM, no I/O and no clock. "Now" and time zones are passed in, so
the rules below can be property-tested over many zones and DST transitions.

Contract (the rest of the project relies on these names):

- ``Category``: the prompt categories.
- ``TemplateSpec``: one prompt template of the library, as plain data.
- ``PlanSettings``: everything about one break the engine needs.
- ``PlannedPrompt``: one prompt of the schedule.
- ``plan_schedule(settings, library) -> list[PlannedPrompt]``: ordered by ``send_at``.
- ``PLACEHOLDERS`` and ``template_placeholders(text)`` / ``render(text, context)``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta


class Category(str, enum.Enum):
    PREPARATION = "preparation"  # before the break starts, within the notice period
    FIRST_CONTACT = "first_contact"  # a first caring message soon after the start
    COPING = "coping"
    GROUNDING = "grounding"
    CONNECTION = "connection"  # the client's own people and activities
    HOPE = "hope"
    CHECK_IN = "check_in"  # an invitation to check in
    COUNTDOWN = "countdown"  # 7, 3 and 1 days before the return session
    RETURN = "return"  # on the return day
    REVIEW = "review"  # the after-break review invitation
    TAPER = "taper"  # ending: before the last session
    FOLLOW_UP = "follow_up"  # ending: after the last session, growing intervals
    RELAPSE_PREVENTION = "relapse_prevention"  # ending: reviewing the blueprint
    BOOSTER = "booster"  # ending: booster-session reminders
    UNPLANNED_NOTICE = "unplanned_notice"  # neutral first message of an unplanned absence


class Kind(str, enum.Enum):
    HOLIDAY = "holiday"
    GAP = "gap"
    UNPLANNED = "unplanned"
    ENDING = "ending"


PLACEHOLDERS = frozenset(
    {"first_name", "return_date", "therapist_name", "covering_name", "contact_name", "strategy"}
)


@dataclass(frozen=True)
class TemplateSpec:
    id: str  # stable key, e.g. "coping-07"
    category: Category
    text: str
    kinds: frozenset[Kind] = frozenset(Kind)  # the kinds of break it suits
    # A personal template needs {strategy} or {contact_name}; the engine fills it from the
    # client's own coping strategies / support contacts and skips it when there are none.


@dataclass(frozen=True)
class PlanSettings:
    kind: Kind
    timezone: str  # IANA name, already validated
    starts_at: datetime  # aware
    ends_at: datetime | None  # aware; None only for an ending
    return_session_at: datetime | None  # aware
    now: datetime  # aware; nothing is planned before it
    prompt_times: tuple[time, ...] = (time(9, 0), time(13, 0), time(19, 0))
    quiet_hours_start: time | None = None  # quiet from start to end; may wrap midnight
    quiet_hours_end: time | None = None
    max_per_day: int = 3
    min_spacing: timedelta = timedelta(hours=2)
    notice_given_at: datetime | None = None
    coping_strategies: tuple[str, ...] = ()
    support_contact_names: tuple[str, ...] = ()
    seed: int = 0


@dataclass(frozen=True)
class PlannedPrompt:
    category: Category
    template_id: str
    local_send_at: datetime  # aware, in the plan's timezone
    send_at: datetime  # aware, UTC
    valid_until: datetime  # aware, UTC: not delivered after this
    # Personal context for the template's placeholders ({strategy}, {contact_name}).
    context: dict[str, str] = field(default_factory=dict, compare=False)


def in_quiet_hours(local: time, start: time | None, end: time | None) -> bool:
    """True when the local wall time falls in [start, end), which may wrap midnight."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end
