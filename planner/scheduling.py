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

Also public: ``validate_template``, ``validate_settings`` / ``ScheduleError``,
``usable_prompt_times``, ``localize``, ``in_quiet_hours`` (delivery re-checks it),
``end_of_quiet_hours`` and ``quiet_free_until``. The cadence rules (what each kind of break
wants on which day) live in ``planner/cadence.py``; this module fits them into real times.
"""

from __future__ import annotations

import enum
import random
import re
import string
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from planner.cadence import Request


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


class ScheduleError(Exception):
    """Settings the engine cannot plan with; ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- Templates -------------------------------------------------------------------------

# Placeholders filled from the client's own lists; a template using one is "personal".
PERSONAL_PLACEHOLDERS = frozenset({"strategy", "contact_name"})

# A missing value never breaks a message: it reads as a gentle, neutral phrase instead.
FALLBACKS: Mapping[str, str] = {
    "first_name": "",
    "return_date": "the return date",
    "therapist_name": "your therapist",
    "covering_name": "the covering clinician",
    "contact_name": "someone you trust",
    "strategy": "something that has helped before",
}


def template_placeholders(text: str) -> set[str]:
    """The placeholder names used in ``text``; raises ValueError on malformed braces."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def validate_template(spec: TemplateSpec) -> list[str]:
    """Problems with one template, as messages naming the template and the placeholder."""
    try:
        parts = list(string.Formatter().parse(spec.text))
    except ValueError as exc:
        return [f"template {spec.id}: malformed braces ({exc})"]
    errors = [] if spec.text.strip() else [f"template {spec.id}: empty text"]
    for _, name, format_spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            errors.append(f"template {spec.id}: unknown placeholder {{{name}}}")
        elif format_spec or conversion:
            errors.append(
                f"template {spec.id}: placeholder {{{name}}} must not have a format or conversion"
            )
    return errors


def render(text: str, context: Mapping[str, str]) -> str:
    """Fill the placeholders of ``text``; never raises, whatever is missing."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return text  # a malformed template is shown as written rather than failing a send
    out: list[str] = []
    blanked = False
    for literal, name, _, _ in parts:
        out.append(literal)
        if name is None:
            continue
        value = (context.get(name) or "").strip() or FALLBACKS.get(name, "")
        blanked = blanked or not value
        out.append(value)
    result = "".join(out)
    return _tidy(result) if blanked else result


def _tidy(text: str) -> str:
    """Clean up after an empty value: "Hi , take a breath" -> "Hi, take a breath"."""
    text = re.sub(r"[ \t]+([,.!?;:])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    stripped = re.sub(r"^[\s,;:]+", "", text)
    if stripped != text and stripped:
        stripped = stripped[0].upper() + stripped[1:]
    return stripped.strip()


def _personal_needs(spec: TemplateSpec) -> set[str]:
    return template_placeholders(spec.text) & PERSONAL_PLACEHOLDERS


# --- Local time ------------------------------------------------------------------------
# All instants inside the engine are UTC. Aware datetimes sharing one ZoneInfo compare and
# subtract by wall clock (ignoring fold), which is wrong across DST changes.


def _exists(naive: datetime, tz: ZoneInfo) -> bool:
    """Whether a wall-clock time exists in ``tz``: a time in a DST gap does not round-trip."""
    back = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == naive


def localize(day: date, wall_time: time, tz: ZoneInfo) -> datetime:
    """``wall_time`` on ``day`` in ``tz`` as an aware datetime.

    A time in a spring-forward gap moves to the first valid minute after the gap (02:30 ->
    03:00 in New York, 02:15 -> 02:30 on Lord Howe); an ambiguous fall-back time takes its
    first occurrence (fold=0).
    """
    naive = datetime.combine(day, wall_time.replace(tzinfo=None, fold=0))
    if not _exists(naive, tz):
        naive = naive.replace(second=0, microsecond=0)
        # Gaps are whole minutes long and at most a day (Samoa 2011), so walking is cheap.
        for _ in range(24 * 60 + 1):
            naive += timedelta(minutes=1)
            if _exists(naive, tz):
                break
    return naive.replace(tzinfo=tz, fold=0)


def in_quiet_hours(local_time: time, start: time | None, end: time | None) -> bool:
    """Whether a local time falls in quiet hours [start, end), which may wrap midnight."""
    if start is None or end is None or start == end:
        return False
    t = local_time.replace(tzinfo=None, fold=0)
    if start < end:
        return start <= t < end
    return t >= start or t < end


def has_quiet_hours(settings: PlanSettings) -> bool:
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    return start is not None and end is not None and start != end


def _is_quiet(instant: datetime, settings: PlanSettings, tz: ZoneInfo) -> bool:
    local = instant.astimezone(tz).time()
    return in_quiet_hours(local, settings.quiet_hours_start, settings.quiet_hours_end)


def end_of_quiet_hours(instant: datetime, settings: PlanSettings, tz: ZoneInfo) -> datetime:
    """The UTC instant the quiet hours containing ``instant`` end (``instant`` if none)."""
    if not _is_quiet(instant, settings, tz):
        return instant
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    assert start is not None and end is not None
    local = instant.astimezone(tz)
    day = local.date()
    if start > end and local.time() >= start:  # in the evening part of a wrapping window
        day += timedelta(days=1)
    return localize(day, end, tz).astimezone(UTC)


def _next_quiet_start(instant: datetime, settings: PlanSettings, tz: ZoneInfo) -> datetime:
    assert settings.quiet_hours_start is not None
    day = instant.astimezone(tz).date()
    for offset in range(3):
        start = localize(day + timedelta(days=offset), settings.quiet_hours_start, tz)
        if start.astimezone(UTC) > instant:
            return start.astimezone(UTC)
    raise AssertionError("quiet hours start every day")  # pragma: no cover


def quiet_free_until(
    instant: datetime, limit: datetime, settings: PlanSettings, tz: ZoneInfo
) -> datetime:
    """The latest end (<= ``limit``) of a stretch from ``instant`` with no quiet minute."""
    if not has_quiet_hours(settings):
        return limit
    end = min(limit, _next_quiet_start(instant, settings, tz))
    if instant.astimezone(tz).utcoffset() == end.astimezone(tz).utcoffset():
        return end  # no clock change inside: the wall clock enters quiet hours at their start
    # A clock change inside the stretch can jump the wall clock into quiet hours (fall
    # back): scan it minute by minute. This happens at most twice a year.
    t = instant + timedelta(minutes=1)
    while t < end:
        if _is_quiet(t, settings, tz):
            return t
        t += timedelta(minutes=1)
    return end


# --- Settings --------------------------------------------------------------------------


def usable_prompt_times(settings: PlanSettings) -> list[time]:
    """The preferred local times outside quiet hours, sorted and without duplicates."""
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    times = {t.replace(tzinfo=None, fold=0) for t in settings.prompt_times}
    return sorted(t for t in times if not in_quiet_hours(t, start, end))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError("timezone", f"Unknown time zone {name!r}.") from None


def _check_aware(settings: PlanSettings) -> None:
    for name in ("starts_at", "ends_at", "return_session_at", "now", "notice_given_at"):
        value = getattr(settings, name)
        if value is not None and value.utcoffset() is None:
            raise ScheduleError(name, "The date needs a time zone.")


def validate_settings(settings: PlanSettings) -> ZoneInfo:
    """Raise ScheduleError for settings that cannot be planned; return the time zone."""
    tz = _zone(settings.timezone)
    _check_aware(settings)
    if settings.ends_at is None:
        if settings.kind is not Kind.ENDING:
            raise ScheduleError("ends_at", "A break needs an end date.")
    elif settings.ends_at <= settings.starts_at:
        raise ScheduleError("ends_at", "The break must end after it starts.")
    back, end = settings.return_session_at, settings.ends_at
    if back is not None and end is not None and back < end:
        raise ScheduleError(
            "return_session_at", "The return session must be on or after the end of the break."
        )
    if not settings.prompt_times:
        raise ScheduleError("prompt_times", "Choose at least one time of day for prompts.")
    if settings.max_per_day < 1:
        raise ScheduleError("max_per_day", "Allow at least one prompt a day.")
    if settings.min_spacing < timedelta(0):
        raise ScheduleError("min_spacing", "The spacing between prompts cannot be negative.")
    if not usable_prompt_times(settings):
        raise ScheduleError(
            "quiet_hours_start",
            "The quiet hours cover every prompt time; leave at least one time outside them.",
        )
    return tz


# --- Template rotation -----------------------------------------------------------------


class _Deck:
    """Deals a category's templates without repeats until all are used, then reshuffles.

    Each round deals the personal templates (the client's own coping strategies and people)
    first, so a client who wrote them always meets their own words early in the break.
    """

    def __init__(self, templates: list[TemplateSpec], rng: random.Random) -> None:
        self._templates = templates
        self._rng = rng
        self._queue: list[TemplateSpec] = []
        self._last: TemplateSpec | None = None

    def draw(self) -> TemplateSpec:
        if not self._queue:
            shuffled = list(self._templates)
            self._rng.shuffle(shuffled)
            personal = [t for t in shuffled if _personal_needs(t)]
            # Dealt from the end: the general ones first in the list, the personal ones last.
            self._queue = [t for t in shuffled if not _personal_needs(t)] + personal
            # Don't let a new round open with the template the last one closed with.
            if len(self._queue) > 1 and self._queue[-1] is self._last:
                self._queue[-2], self._queue[-1] = self._queue[-1], self._queue[-2]
        self._last = self._queue.pop()
        return self._last


def eligible_templates(
    settings: PlanSettings, library: Sequence[TemplateSpec], category: Category
) -> list[TemplateSpec]:
    """The valid templates of a category for this kind; personal ones only with client data."""
    have = set()
    if settings.coping_strategies:
        have.add("strategy")
    if settings.support_contact_names:
        have.add("contact_name")
    found = [
        spec
        for spec in library
        if spec.category == category and settings.kind in spec.kinds and not validate_template(spec)
    ]
    # Sorting by id makes the rotation independent of the library's order.
    return sorted((s for s in found if _personal_needs(s) <= have), key=lambda s: s.id)


def _decks(settings: PlanSettings, library: Sequence[TemplateSpec]) -> dict[Category, _Deck]:
    decks = {}
    for category in Category:
        templates = eligible_templates(settings, library, category)
        if templates:
            # One seeded stream per category, so a change in one category's templates does
            # not reshuffle the others; str seeds are stable across runs (no hash salt).
            decks[category] = _Deck(templates, random.Random(f"{settings.seed}/{category.value}"))
    return decks


def _context(spec: TemplateSpec, settings: PlanSettings, used: Counter[str]) -> dict[str, str]:
    """Fill a personal template round-robin from the client's strategies and contacts."""
    sources = {
        "strategy": settings.coping_strategies,
        "contact_name": settings.support_contact_names,
    }
    context = {}
    for name in sorted(_personal_needs(spec)):
        values = sources[name]
        context[name] = values[used[name] % len(values)]
        used[name] += 1
    return context


# --- Placement -------------------------------------------------------------------------

# How long a prompt may still be delivered after its time (e.g. after a worker outage);
# always cut at the next quiet hours so a late prompt is never sent at night.
DEFAULT_VALIDITY = timedelta(hours=3)
VALIDITY: Mapping[Category, timedelta] = {
    Category.FIRST_CONTACT: timedelta(hours=12),
    Category.UNPLANNED_NOTICE: timedelta(hours=12),
    Category.FOLLOW_UP: timedelta(hours=6),
    Category.RELAPSE_PREVENTION: timedelta(hours=6),
    Category.BOOSTER: timedelta(hours=6),
    Category.REVIEW: timedelta(hours=6),
}


class _Slots:
    """The usable UTC instants of each local day, computed once per day."""

    def __init__(self, settings: PlanSettings, tz: ZoneInfo) -> None:
        self._settings, self._tz = settings, tz
        self._times = usable_prompt_times(settings)
        self._cache: dict[date, list[datetime]] = {}

    def on(self, day: date) -> list[datetime]:
        if day not in self._cache:
            found = set()
            for wall in self._times:
                instant = localize(day, wall, self._tz).astimezone(UTC)
                # A time moved out of a DST gap may land in quiet hours: drop it then.
                if not _is_quiet(instant, self._settings, self._tz):
                    found.add(instant)  # two times in one gap collapse into one instant
            self._cache[day] = sorted(found)
        return self._cache[day]


def _candidates(request: Request, slots: _Slots) -> Iterator[datetime]:
    """The preferred slot first, then the other slots of the day, then later days."""
    if request.at is not None:
        yield request.at
        return
    for extra in range(request.spill + 1):
        day_slots = slots.on(request.day + timedelta(days=extra))
        if day_slots:
            i = request.slot % len(day_slots)
            yield from day_slots[i:] + day_slots[:i]


class _Placer:
    """Fits requests to instants under the bounds, the daily cap and the spacing."""

    def __init__(self, settings: PlanSettings, tz: ZoneInfo) -> None:
        self._settings, self._tz = settings, tz
        self._now = settings.now.astimezone(UTC)
        self._taken: list[datetime] = []  # sorted UTC instants
        self._per_day: Counter[date] = Counter()

    def fits(self, t: datetime, request: Request) -> bool:
        if t < self._now or (request.earliest is not None and t < request.earliest):
            return False
        if request.latest is not None and t >= request.latest:
            return False
        if self._per_day[t.astimezone(self._tz).date()] >= self._settings.max_per_day:
            return False
        # Spacing in real elapsed time: only the neighbours in time can be too close.
        i = bisect_left(self._taken, t)
        return all(
            other != t and abs(other - t) >= self._settings.min_spacing
            for other in self._taken[max(i - 1, 0) : i + 1]
        )

    def take(self, t: datetime) -> None:
        insort(self._taken, t)
        self._per_day[t.astimezone(self._tz).date()] += 1


def _place(
    requests: list[Request], settings: PlanSettings, tz: ZoneInfo
) -> list[tuple[Request, datetime]]:
    """Place by priority (a stable sort keeps the cadence's order within one), then by time."""
    slots, placer = _Slots(settings, tz), _Placer(settings, tz)
    placed = []
    for request in sorted(requests, key=lambda r: r.priority):
        for t in _candidates(request, slots):
            if placer.fits(t, request):
                placer.take(t)
                placed.append((request, t))
                break
    return sorted(placed, key=lambda pair: pair[1])


def _valid_until(
    send_at: datetime,
    category: Category,
    latest: datetime | None,
    settings: PlanSettings,
    tz: ZoneInfo,
) -> datetime:
    limit = send_at + VALIDITY.get(category, DEFAULT_VALIDITY)
    if latest is not None:
        limit = min(limit, latest)  # e.g. a return message is stale once the session starts
    return quiet_free_until(send_at, limit, settings, tz)


def plan_schedule(settings: PlanSettings, library: Sequence[TemplateSpec]) -> list[PlannedPrompt]:
    """The prompts of one break, ordered by ``send_at``; the same input gives the same plan."""
    tz = validate_settings(settings)
    # Imported here: cadence builds on this module's types and helpers.
    from planner.cadence import FILLER_CATEGORIES, requests_for

    decks = _decks(settings, library)
    fillers = [c for c in FILLER_CATEGORIES if c in decks]
    requests = [
        r
        for r in requests_for(settings, tz)
        if (r.category in decks if r.category is not None else bool(fillers))
    ]
    used: Counter[str] = Counter()
    plan = []
    for n_filler, (request, send_at) in _numbered_fillers(_place(requests, settings, tz)):
        category = request.category or fillers[n_filler % len(fillers)]
        spec = decks[category].draw()
        plan.append(
            PlannedPrompt(
                category=category,
                template_id=spec.id,
                local_send_at=send_at.astimezone(tz),
                send_at=send_at,
                valid_until=_valid_until(send_at, category, request.latest, settings, tz),
                context=_context(spec, settings, used),
            )
        )
    return plan


def _numbered_fillers(
    placed: list[tuple[Request, datetime]],
) -> Iterator[tuple[int, tuple[Request, datetime]]]:
    """Number the fillers in time order, so their categories rotate evenly over the days."""
    n = 0
    for pair in placed:
        yield n, pair
        if pair[0].category is None:
            n += 1
