"""The schedule engine: plan settings + prompt library + seed -> planned prompts.

Pure on purpose: no ORM, no I/O and no clock. "Now" and time zones are passed in, so
the rules below can be property-tested over many zones and DST transitions.

Contract (the rest of the project relies on these names):

- ``plan_schedule(settings, library) -> list[PlannedPrompt]``: ordered by ``send_at``.
- ``PlanCache(library).plan(settings)``: the same, for many breaks with one library (a
  caseload), sharing what their plans have in common.
- ``validate_settings`` (raises ``ScheduleError``), ``usable_prompt_times`` and
  ``eligible_templates``.

The plain data (``Category``, ``Kind``, ``TemplateSpec``, ``PlanSettings``,
``PlannedPrompt``, ``ScheduleError``) is in ``types``; local time and quiet hours in
``localtime``; placeholders and rendering in ``text``. The cadence rules (what each kind of
break wants on which day) live in ``cadence``; this module fits them into real times.
"""

from __future__ import annotations

import functools
import random
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.schedule.cadence import FILLER_CATEGORIES, Request, requests_for
from planner.schedule.localtime import in_quiet_hours, localize, quiet_free_until
from planner.schedule.supports import MAP_CATEGORIES, categories_of, day_phrase, is_there
from planner.schedule.text import (
    personal_needs,
    quoted_words,
    template_needs,
    template_placeholders,
    validate_template,
)
from planner.schedule.types import (
    Category,
    Kind,
    PlannedPrompt,
    PlanSettings,
    ScheduleError,
    SupportItem,
    TemplateSpec,
)

# The cadence wants at most one message a day; a plan's max_per_day can only lower that.
CADENCE_DAILY_MAX = 1

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
        if settings.kind not in (Kind.ENDING, Kind.UNPLANNED):
            raise ScheduleError("ends_at", "A break needs an end date.")
        if settings.kind is Kind.UNPLANNED and settings.return_session_at is not None:
            raise ScheduleError("ends_at", "Give the end of the break when a return is booked.")
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

    The first round opens with the category's lead template (the follow-up that says what
    the follow-ups are), then deals the personal templates (the client's own words), so a
    client who wrote them meets them early; templates this break already sent come last.
    """

    def __init__(
        self,
        templates: list[TemplateSpec],
        seed: str,
        sent: frozenset[str] | set[str] = frozenset(),
        personal: frozenset[int] | None = None,
    ) -> None:
        self._templates = templates
        # Which of the templates quote the client's own words (by identity: PlanCache works
        # it out once for everyone dealt the same templates).
        self._personal = _personal(templates) if personal is None else personal
        # Seeded when first dealt from: most of a plan's decks are never drawn from, and
        # seeding a stream costs more than the rest of a deck.
        self._seed = seed
        self._rng: random.Random | None = None
        self._queue: list[TemplateSpec] = []
        self._last: TemplateSpec | None = None
        self._first_round = True
        self._sent = sent

    @property
    def templates(self) -> list[TemplateSpec]:
        return self._templates

    @property
    def quotes_words(self) -> bool:
        """Whether any of the deck's templates quotes the client's own words."""
        return bool(self._personal)

    def draw(self) -> TemplateSpec:
        if not self._queue:
            if self._rng is None:
                self._rng = random.Random(self._seed)
            shuffled = list(self._templates)
            self._rng.shuffle(shuffled)
            # Dealt from the end: the last in the list comes first.
            personal = self._personal
            order = [t for t in shuffled if id(t) not in personal]
            order += [t for t in shuffled if id(t) in personal]
            if self._first_round:
                order = [t for t in order if not t.lead] + [t for t in order if t.lead]
                order = [t for t in order if t.id in self._sent] + [
                    t for t in order if t.id not in self._sent
                ]
                self._first_round = False
            self._queue = order
            # Don't let a new round open with the template the last one closed with.
            if len(self._queue) > 1 and self._queue[-1] is self._last:
                self._queue[-2], self._queue[-1] = self._queue[-1], self._queue[-2]
        self._last = self._queue.pop()
        return self._last

    def draw_without(self, placeholder: str) -> TemplateSpec:
        """A template that does not use ``placeholder``, if the category has one."""
        for _ in range(len(self._templates) + 1):
            spec = self.draw()
            if placeholder not in template_placeholders(spec.text):
                return spec
        return spec


def personal_sources(settings: PlanSettings) -> dict[str, tuple[str, ...]]:
    """The client's own words each personal placeholder quotes (text.PERSONAL_PLACEHOLDERS)."""
    return {
        "strategy": settings.coping_strategies,
        "contact_name": settings.support_contact_names,
        "hope": settings.reasons_for_hope,
        "distraction": settings.distractions,
        "learned": settings.learned,
        "early_sign": settings.early_signs,
        "early_step": settings.early_steps,
    }


def facts_of(settings: PlanSettings) -> set[str]:
    """The facts true of a break, which a template may state (text.FACTS)."""
    facts = {"cover" if settings.has_cover else "no_cover"}
    facts.add("return_booked" if settings.return_session_at is not None else "return_open")
    facts.add("practice" if settings.has_practice else "no_practice")
    if settings.has_sessions_plan:
        facts.add("sessions_plan")
    if settings.booster_sessions:
        facts.add("booster_booked")
    facts |= {name for name, values in personal_sources(settings).items() if values}
    return facts


# A template's checks depend on the template alone: worked out once, not for every client and
# category of a caseload (they were a third of planning 600 breaks).
@functools.lru_cache(maxsize=4096)
def _valid(spec: TemplateSpec) -> bool:
    return not validate_template(spec)


@functools.lru_cache(maxsize=4096)
def _needs(spec: TemplateSpec) -> frozenset[str]:
    return frozenset(template_needs(spec))


def _usable(
    settings: PlanSettings,
    library: Sequence[TemplateSpec],
    category: Category,
    facts: set[str] | frozenset[str],
) -> list[TemplateSpec]:
    """The valid templates of a category for this kind that state only ``facts``, without
    the topics the plan leaves out or the templates the client said were not for them;
    sorted by id, which makes the rotation independent of the library's order."""
    found = [
        spec
        for spec in library
        if spec.category == category
        and settings.kind in spec.kinds
        and _valid(spec)
        and _needs(spec) <= facts
        and not spec.topics & settings.avoid_topics
        and spec.id not in settings.blocked_templates
    ]
    return sorted(found, key=lambda s: s.id)


def eligible_templates(
    settings: PlanSettings, library: Sequence[TemplateSpec], category: Category
) -> list[TemplateSpec]:
    """The templates of a category whose facts the break has (never one quoting the map:
    "support" is not a fact of a whole break)."""
    return _usable(settings, library, category, facts_of(settings))


def map_templates(
    settings: PlanSettings, library: Sequence[TemplateSpec], category: Category
) -> list[TemplateSpec]:
    """The templates of a category that quote a support map item ({support}); used only on
    a day and at a time an item is there, so they are kept out of the ordinary decks."""
    if category not in MAP_CATEGORIES or not settings.support_map:
        return []
    return _quoting_map(_usable(settings, library, category, facts_of(settings) | {"support"}))


def _quoting_map(found: list[TemplateSpec]) -> list[TemplateSpec]:
    return [spec for spec in found if "support" in personal_needs(spec)]


def _personal(templates: list[TemplateSpec]) -> frozenset[int]:
    """The templates among ``templates`` that quote the client's words, by identity."""
    return frozenset(id(spec) for spec in templates if personal_needs(spec))


_CATEGORIES = tuple(Category)


def _decks(
    settings: PlanSettings, shared: PlanCache, facts: frozenset[str], *, of_map: bool = False
) -> dict[Category, _Deck]:
    decks = {}
    sent = {d.template_id for d in settings.delivered}
    for category in _CATEGORIES:
        templates, personal = shared.pool(settings, category, facts, of_map=of_map)
        if templates:
            # One seeded stream per category, so a change in one category's templates does
            # not reshuffle the others; str seeds are stable across runs (no hash salt).
            seed = f"{settings.seed}/{category.value}{'/map' if of_map else ''}"
            decks[category] = _Deck(templates, seed, sent, personal)
    return decks


# What a plan's placement never reads: the seed, the client's words, the map, the feedback
# and the facts (these choose templates, after placement). Clearing them gives the shape a
# placement depends on; which categories have templates is part of the key on its own.
_NOT_PLACED: dict[str, Any] = {
    "seed": 0,
    "coping_strategies": (),
    "support_contact_names": (),
    "reasons_for_hope": (),
    "distractions": (),
    "learned": (),
    "early_signs": (),
    "early_steps": (),
    "avoid_topics": frozenset(),
    "support_map": (),
    "blocked_templates": frozenset(),
    "category_weights": (),
    "lean_since": None,
    "has_cover": False,
    "has_practice": False,
    "has_sessions_plan": False,
}


class PlanCache:
    """What the plans of many breaks (a caseload absence) share, worked out once for one
    library: its templates by category, each category's usable templates for one
    combination of kind, facts, topics and blocked templates, and the placement of one plan
    shape (the same zone, dates, times, quiet hours and amount) in real instants.

    Planning 600 clients went mostly into searching the whole library for every category of
    every client, and into fitting the same requests to the same instants again for clients
    whose plans differ only in their seeds and words. Nothing here depends on a seed or on
    the client's words, and no entry is changed once made (decks copy their templates before
    shuffling), so ``plan`` gives exactly what ``plan_schedule`` gives for the same settings.
    """

    def __init__(self, library: Sequence[TemplateSpec]) -> None:
        self.library = library
        self._by_category: dict[Category, list[TemplateSpec]] = {}
        for spec in library:
            if _valid(spec):
                self._by_category.setdefault(spec.category, []).append(spec)
        self._pools: dict[tuple, tuple[list[TemplateSpec], frozenset[int]]] = {}
        self._placements: dict[tuple, list[tuple[Request, datetime]]] = {}

    def plan(self, settings: PlanSettings) -> list[PlannedPrompt]:
        """The prompts of one break, as ``plan_schedule(settings, self.library)``."""
        return _plan(settings, self)

    def pool(
        self, settings: PlanSettings, category: Category, facts: frozenset[str], *, of_map: bool
    ) -> tuple[list[TemplateSpec], frozenset[int]]:
        """``eligible_templates`` (``map_templates`` with ``of_map``) for a break with
        ``facts``, and which of them quote the client's words (``_personal``); shared: read
        them, never change them."""
        if of_map and (category not in MAP_CATEGORIES or not settings.support_map):
            return [], frozenset()
        key = (
            category,
            of_map,
            settings.kind,
            facts,
            settings.avoid_topics,
            settings.blocked_templates,
        )
        found = self._pools.get(key)
        if found is None:
            group = self._by_category.get(category, [])
            if of_map:
                templates = _quoting_map(_usable(settings, group, category, facts | {"support"}))
            else:
                templates = _usable(settings, group, category, facts)
            found = self._pools[key] = (templates, _personal(templates))
        return found

    def placed(
        self, settings: PlanSettings, tz: ZoneInfo, categories: frozenset[Category], fillers: bool
    ) -> list[tuple[Request, datetime]]:
        """The requests of the plan fitted to instants, in time order (shared: read only).
        ``categories``: those with templates; ``fillers``: whether any filler has one."""
        key = (replace(settings, **_NOT_PLACED), categories, fillers)
        found = self._placements.get(key)
        if found is None:
            requests = [
                r
                for r in requests_for(settings, tz)
                if (r.category in categories if r.category is not None else fillers)
            ]
            found = self._placements[key] = _place(requests, settings, tz)
        return found


def personal_context(
    spec: TemplateSpec,
    settings: PlanSettings,
    used: Counter[str] | None = None,
    sources: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """Fill a personal template round-robin from the client's strategies and contacts
    (``used`` counts what the schedule so far has taken of each; ``sources``: the
    settings' ``personal_sources``, when the caller has them already)."""
    used = Counter() if used is None else used
    sources = personal_sources(settings) if sources is None else sources
    context: dict[str, str] = {}
    needs = personal_needs(spec)
    if not needs:
        return context
    for name in sorted(needs & sources.keys()):  # {support}: the map's own
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
    Category.RETURN_BOOKED: timedelta(hours=12),
    Category.STILL_AWAY: timedelta(hours=12),
    Category.ACKNOWLEDGEMENT: timedelta(hours=6),
    Category.CLOSING: timedelta(hours=6),
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
            s = self._settings
            self._cache[day] = list(
                _day_slots(
                    day, tuple(self._times), self._tz, s.quiet_hours_start, s.quiet_hours_end
                )
            )
        return self._cache[day]


@functools.lru_cache(maxsize=16384)
def _day_slots(
    day: date,
    times: tuple[time, ...],
    tz: ZoneInfo,
    quiet_start: time | None,
    quiet_end: time | None,
) -> tuple[datetime, ...]:
    """The UTC instants of ``times`` on ``day`` outside quiet hours: the same for every client
    with the same zone, times and quiet hours (a caseload plans them once)."""
    found = set()
    for wall in times:
        instant = localize(day, wall, tz).astimezone(UTC)
        # A time moved out of a DST gap may land in quiet hours: drop it then.
        if not in_quiet_hours(instant.astimezone(tz).time(), quiet_start, quiet_end):
            found.add(instant)  # two times in one gap collapse into one instant
    return tuple(sorted(found))


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
        self._daily_max = min(settings.max_per_day, CADENCE_DAILY_MAX)
        for sent in settings.delivered:  # what the break sent counts for the cap and spacing
            self.take(sent.send_at.astimezone(UTC))

    def fits(self, t: datetime, request: Request) -> bool:
        if t < self._now or (request.earliest is not None and t < request.earliest):
            return False
        if request.latest is not None and t >= request.latest:
            return False
        if self._per_day[t.astimezone(self._tz).date()] >= self._daily_max:
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
    """The prompts of one break, ordered by ``send_at``; the same input gives the same plan.
    (Many breaks with one library: ``PlanCache(library).plan`` for each.)"""
    return _plan(settings, PlanCache(library))


def _plan(settings: PlanSettings, shared: PlanCache) -> list[PlannedPrompt]:
    tz = validate_settings(settings)
    facts = frozenset(facts_of(settings))
    decks = _decks(settings, shared, facts)
    map_decks = _decks(settings, shared, facts, of_map=True)
    fillers = filler_rotation(settings, shared.library, decks)
    leaning = [c for c in (Category.COPING, Category.GROUNDING) if c in decks]
    used: Counter[str] = Counter()
    sources = personal_sources(settings)
    plan = []
    placed = shared.placed(settings, tz, frozenset(decks), bool(fillers))
    anchor = settings.return_session_at or settings.ends_at
    if settings.kind is Kind.ENDING:
        anchor = None  # the follow-ups run for months after the last session
    lean_until = _lean_until(settings, placed)
    n_lean = 0
    for n_filler, (request, send_at) in _numbered_fillers(placed):
        # The rotation starts where the seed says, so every category comes up across breaks.
        category = request.category or fillers[n_filler % len(fillers)]
        lean = False
        if request.category is None and leaning and _in_lean(settings, send_at, lean_until):
            category, lean = leaning[n_lean % len(leaning)], True
            n_lean += 1
        local = send_at.astimezone(tz)
        item = None
        if request.category is None:
            category, item = _map_choice(settings, category, local, map_decks, used, lean=lean)
        if item is not None:
            spec = map_decks[category].draw()
            used["support:" + item.name] += 1
            plan.append(
                PlannedPrompt(
                    category=category,
                    template_id=spec.id,
                    local_send_at=local,
                    send_at=send_at,
                    valid_until=_valid_until(send_at, category, request.latest, settings, tz),
                    context={
                        "support": quoted_words(item.name),
                        "support_day": day_phrase(item, local),
                    }
                    | personal_context(spec, settings, used, sources),
                    lean=lean,
                )
            )
            continue
        context: dict[str, str] = {}
        if category in (Category.FIRST_CONTACT, Category.FOLLOW_UP):
            # "Between will send you N more messages": counted, so it is right when sent.
            later = [t for _, t in placed if t > send_at and (anchor is None or t < anchor)]
            context["message_count"] = str(len(later))
        if context.get("message_count", "2") in ("0", "1"):
            spec = decks[category].draw_without("message_count")
        else:
            spec = decks[category].draw()
        context = {
            k: v for k, v in context.items() if k in template_placeholders(spec.text)
        } | personal_context(spec, settings, used, sources)
        plan.append(
            PlannedPrompt(
                category=category,
                template_id=spec.id,
                local_send_at=local,
                send_at=send_at,
                valid_until=_valid_until(send_at, category, request.latest, settings, tz),
                context=context,
                about=request.about,
                lean=lean,
            )
        )
    return plan


def _lean_until(settings: PlanSettings, placed: list[tuple[Request, datetime]]) -> datetime | None:
    """The next check-in invitation after a high-distress check-in: the lean ends there (or
    earlier, when the client checks in again and the plan is made anew)."""
    if settings.lean_since is None:
        return None
    since = settings.lean_since.astimezone(UTC)
    later = [t for r, t in placed if r.category is Category.CHECK_IN and t > since]
    return min(later) if later else None


def _in_lean(settings: PlanSettings, send_at: datetime, until: datetime | None) -> bool:
    if settings.lean_since is None or send_at < settings.lean_since:
        return False
    return until is None or send_at < until


def _map_choice(
    settings: PlanSettings,
    category: Category,
    local: datetime,
    map_decks: Mapping[Category, _Deck],
    used: Counter[str],
    *,
    lean: bool,
) -> tuple[Category, SupportItem | None]:
    """A filler on a day an item of the map is there quotes it: one that meets the needs of
    the filler's category first; otherwise (not while leaning to coping) the category of an
    item that is there. The item quoted least so far comes first, then the map's order."""
    there = [item for item in settings.support_map if is_there(item, local)]
    if not there:
        return category, None

    def least_used(items: list[SupportItem]) -> SupportItem:
        return min(items, key=lambda item: used["support:" + item.name])

    if category in map_decks:
        fitting = [item for item in there if category in categories_of(item)]
        if fitting:
            return category, least_used(fitting)
    if lean:
        return category, None
    usable = [item for item in there if categories_of(item) & set(map_decks)]
    if not usable:
        return category, None
    item = least_used(usable)
    other = next(c for c in MAP_CATEGORIES if c in categories_of(item) and c in map_decks)
    return other, item


def filler_rotation(
    settings: PlanSettings, library: Sequence[TemplateSpec], decks: Mapping[Category, _Deck]
) -> list[Category]:
    """The order the daily filler categories take turns in.

    The categories that can quote the client's own words (their strategies, people, reasons
    for hope) come first, so a short break that has room for two or three fillers still
    brings them back; within each group the rotation starts where the seed says, so every
    category comes up across breaks.
    """

    def rotated(categories: list[Category]) -> list[Category]:
        if not categories:
            return []
        start = settings.seed % len(categories)
        return categories[start:] + categories[:start]

    present = [c for c in FILLER_CATEGORIES if c in decks]
    own = {c for c in present if decks[c].quotes_words}
    order = rotated([c for c in present if c in own]) + rotated(
        [c for c in present if c not in own]
    )
    return weighted_rotation(order, dict(settings.category_weights))


# How often a filler category comes up, by the client's net feedback: 2 turns in a round of
# the rotation by default, down to 1 and up to 4.
BASE_TURNS, MIN_TURNS, MAX_TURNS = 2, 1, 4


def weighted_rotation(order: list[Category], weights: Mapping[Category, int]) -> list[Category]:
    """The rotation with each category repeated by its weight, spread evenly (smooth weighted
    round robin, ties in ``order``); with no feedback it is ``order`` twice, as before."""
    turns = [max(MIN_TURNS, min(MAX_TURNS, BASE_TURNS + weights.get(c, 0))) for c in order]
    return list(_smooth_round_robin(tuple(order), tuple(turns)))


@functools.lru_cache(maxsize=1024)
def _smooth_round_robin(
    order: tuple[Category, ...], weights: tuple[int, ...]
) -> tuple[Category, ...]:
    """weighted_rotation's sequence: the same for every client with the same categories and
    feedback, so a caseload works it out once."""
    turns = dict(zip(order, weights, strict=True))
    total = sum(turns.values())
    current = dict.fromkeys(order, 0)
    sequence = []
    for _ in range(total):
        for c in order:
            current[c] += turns[c]
        best = max(order, key=lambda c: current[c])  # the first of the largest
        current[best] -= total
        sequence.append(best)
    return tuple(sequence)


def _numbered_fillers(
    placed: list[tuple[Request, datetime]],
) -> Iterator[tuple[int, tuple[Request, datetime]]]:
    """Number the fillers in time order, so their categories rotate evenly over the days."""
    n = 0
    for pair in placed:
        yield n, pair
        if pair[0].category is None:
            n += 1
