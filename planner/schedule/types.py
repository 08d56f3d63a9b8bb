"""The schedule engine's plain data: categories, kinds, templates, settings, planned prompts.

A leaf: it imports nothing of the project, so every other part of the engine (and the rest
of Between) can build on it without a cycle.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


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
    RETURN_BOOKED = "return_booked"  # unplanned: the return is now booked (or moved earlier)
    STILL_AWAY = "still_away"  # unplanned: the absence goes on longer than the client was told
    ACKNOWLEDGEMENT = "acknowledgement"  # ending: the first message after the last session
    CLOSING = "closing"  # ending: the last message, closing the follow-ups


class Amount(str, enum.Enum):
    """How many prompts the client wants: their choice in their preferences."""

    FEWER = "fewer"
    USUAL = "usual"
    MORE = "more"


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
    # Facts the text states without a placeholder ("Today is your first session back" needs
    # a booked return). The placeholders add their own (see text.template_needs): a template
    # is used only when every fact it needs is true of the break (text.FACTS).
    requires: frozenset[str] = frozenset()
    # Topics some clients are better spared ("body": breath and body-focused exercises,
    # "food"); a plan can leave them out for one client (PlanSettings.avoid_topics).
    topics: frozenset[str] = frozenset()
    # A lead template opens its category: the first prompt of that category uses it.
    lead: bool = False


@dataclass(frozen=True)
class Delivered:
    """A prompt of this break that went out (or is going out) already, for a new plan."""

    category: Category
    template_id: str
    send_at: datetime  # aware


@dataclass(frozen=True)
class SupportItem:
    """One support of the client's map, as the engine needs it (schedule/supports.py reads
    the stored tokens). ``name`` is the client's own words, quoted as they wrote them."""

    name: str
    kind: str = "person"  # person, group, place, activity, look_forward
    needs: frozenset[str] = frozenset()  # company, practical, comfort, fun, purpose, calm, own
    weekdays: frozenset[int] = frozenset()  # 0 Monday .. 6 Sunday
    evenings: bool = False  # there in the evening (from 17:00 local)
    dates: frozenset[date] = frozenset()


@dataclass(frozen=True)
class PlanSettings:
    kind: Kind
    timezone: str  # IANA name, already validated
    starts_at: datetime  # aware
    # Aware; None for an ending (the start is the last session) and for an open-ended
    # unplanned absence (nobody knows yet when it ends).
    ends_at: datetime | None
    return_session_at: datetime | None  # aware; None: no return session is booked
    now: datetime  # aware; nothing is planned before it
    prompt_times: tuple[time, ...] = (time(9, 0), time(13, 0), time(19, 0))
    quiet_hours_start: time | None = None  # quiet from start to end; may wrap midnight
    quiet_hours_end: time | None = None
    max_per_day: int = 3
    min_spacing: timedelta = timedelta(hours=2)
    notice_given_at: datetime | None = None
    coping_strategies: tuple[str, ...] = ()
    support_contact_names: tuple[str, ...] = ()
    reasons_for_hope: tuple[str, ...] = ()
    distractions: tuple[str, ...] = ()  # the plan's people and places that take the mind off
    seed: int = 0
    amount: Amount = Amount.USUAL
    has_cover: bool = False  # a covering clinician is named in the plan
    has_practice: bool = False  # the therapist's practice has a name to give
    has_sessions_plan: bool = False  # unplanned: the plan says what happens to booked sessions
    booster_sessions: tuple[datetime, ...] = ()  # ending: booked booster sessions, aware
    # Ending: the client said yes to follow-ups after the last session. Without it nothing is
    # planned after the last session but the reminders of booked booster sessions.
    follow_ups: bool = False
    # Ending: the blueprint's words the follow-ups quote (what I learned, my early signs,
    # what I do then), as the client wrote them.
    learned: tuple[str, ...] = ()
    early_signs: tuple[str, ...] = ()
    early_steps: tuple[str, ...] = ()
    avoid_topics: frozenset[str] = frozenset()
    # Unplanned: news to give once (RETURN_BOOKED or STILL_AWAY), from the edit at news_at.
    news: Category | None = None
    news_at: datetime | None = None
    # What this break already sent: it counts for the daily cap and the spacing, and a
    # one-off message (a notice, a first contact, news) is never sent twice.
    delivered: tuple[Delivered, ...] = ()
    # The client's support map: a filler on a day (and time) an item is there quotes it.
    support_map: tuple[SupportItem, ...] = ()
    # What the client told Between about its prompts: templates marked "Not for me" are never
    # planned again; each category's net feedback ("This helped" minus "Not for me") makes
    # it come up more or less often among the daily fillers.
    blocked_templates: frozenset[str] = frozenset()
    category_weights: tuple[tuple[Category, int], ...] = ()
    # A high-distress check-in at this instant: the fillers from then until the next planned
    # check-in invitation lean to coping and grounding (PlannedPrompt.lean).
    lean_since: datetime | None = None


@dataclass(frozen=True)
class PlannedPrompt:
    category: Category
    template_id: str
    local_send_at: datetime  # aware, in the plan's timezone
    send_at: datetime  # aware, UTC
    valid_until: datetime  # aware, UTC: not delivered after this
    # Context the engine fills: the client's own words ({strategy}, {contact_name}, {hope},
    # {distraction}) and {message_count}.
    context: dict[str, str] = field(default_factory=dict, compare=False)
    about: datetime | None = None  # the session a prompt is about ({booster_date})
    # Planned after a high-distress check-in: coping or grounding, carrying the crisis line.
    lean: bool = False


class ScheduleError(Exception):
    """Settings the engine cannot plan with; ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
