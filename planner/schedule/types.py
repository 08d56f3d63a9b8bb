"""The schedule engine's plain data: categories, kinds, templates, settings, planned prompts.

A leaf: it imports nothing of the project, so every other part of the engine (and the rest
of Between) can build on it without a cycle.
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


class ScheduleError(Exception):
    """Settings the engine cannot plan with; ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
