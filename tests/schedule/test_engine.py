"""The schedule engine (planner.schedule.engine): settings it refuses, naming the field, and
properties over zones, DST transitions and settings."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.schedule.engine import plan_schedule, usable_prompt_times, validate_settings
from planner.schedule.localtime import in_quiet_hours, localize
from planner.schedule.text import template_placeholders
from planner.schedule.types import Category, Kind, PlanSettings, ScheduleError
from tests.schedule.helpers import LIBRARY, NY, settings_with

# --- Validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": datetime(2026, 7, 3, 17, 0, tzinfo=NY)}, "ends_at"),
        ({"ends_at": None}, "ends_at"),
        ({"return_session_at": datetime(2026, 7, 19, 10, 0, tzinfo=NY)}, "return_session_at"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"prompt_times": (time(23, 0),)}, "quiet_hours_start"),
        ({"prompt_times": ()}, "prompt_times"),
        ({"max_per_day": 0}, "max_per_day"),
        ({"min_spacing": timedelta(hours=-1)}, "min_spacing"),
        ({"now": datetime(2026, 6, 1, 12, 0)}, "now"),
    ],
)
def test_invalid_settings_name_the_field(changes, field):
    with pytest.raises(ScheduleError) as caught:
        plan_schedule(settings_with(**changes), LIBRARY)
    assert caught.value.field == field and caught.value.message


def test_validation_messages_are_for_people():
    with pytest.raises(ScheduleError) as caught:
        validate_settings(settings_with(ends_at=datetime(2026, 7, 1, tzinfo=NY)))
    assert caught.value.message == "The break must end after it starts."
    assert validate_settings(settings_with(kind=Kind.ENDING, ends_at=None)) == NY


# --- Properties over zones, DST transitions and settings -------------------------------

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "UTC",
]
# DST transitions of 2026/2027 by zone; zones without DST get all of them as plain dates.
US = [date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)]
EU = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]
LORD_HOWE = [date(2026, 4, 5), date(2026, 10, 4), date(2027, 4, 4), date(2027, 10, 3)]
CHATHAM = [date(2026, 4, 5), date(2026, 9, 27), date(2027, 4, 4), date(2027, 9, 26)]
TRANSITIONS = {
    "America/New_York": US,
    "Europe/London": EU,
    "Australia/Lord_Howe": LORD_HOWE,
    "Pacific/Chatham": CHATHAM,
}
ALL_TRANSITIONS = US + EU + LORD_HOWE + CHATHAM
QUARTERS = st.sampled_from([0, 15, 30, 45])
# Times in the small hours often fall in a DST gap or overlap somewhere.
WALL_TIMES = st.one_of(
    st.sampled_from([time(1, 30), time(2, 0), time(2, 15), time(2, 30), time(2, 45), time(3, 0)]),
    st.builds(time, st.integers(0, 23), st.sampled_from(range(0, 60, 5))),
)
QUIET = st.one_of(
    st.none(),
    st.tuples(
        st.builds(time, st.integers(19, 23), QUARTERS), st.builds(time, st.integers(0, 8), QUARTERS)
    ),
    st.tuples(
        st.builds(time, st.integers(0, 23), QUARTERS), st.builds(time, st.integers(0, 23), QUARTERS)
    ),
)


@st.composite
def plan_settings(draw: st.DrawFn) -> PlanSettings:
    zone = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone)
    kind = draw(st.sampled_from(list(Kind)))
    # Often start just before a transition, so that short breaks cross it too.
    shift = draw(st.one_of(st.integers(-3, 0), st.integers(-20, 20)))
    start_day = draw(st.sampled_from(TRANSITIONS.get(zone, ALL_TRANSITIONS)))
    start_day += timedelta(days=shift)
    starts_at = localize(start_day, draw(WALL_TIMES), tz)
    ends_at: datetime | None = starts_at + timedelta(
        days=draw(st.integers(1, 30)), hours=draw(st.integers(0, 12))
    )
    if kind is Kind.ENDING and draw(st.booleans()):
        ends_at = None
    back = None
    if ends_at is not None and draw(st.booleans()):
        back = ends_at + timedelta(hours=draw(st.integers(0, 72)))
    quiet = draw(QUIET)
    s = PlanSettings(
        kind=kind,
        timezone=str(tz),
        starts_at=starts_at,
        ends_at=ends_at,
        return_session_at=back,
        now=starts_at - timedelta(hours=draw(st.integers(-48, 24 * 20))),
        prompt_times=tuple(draw(st.lists(WALL_TIMES, min_size=1, max_size=5))),
        quiet_hours_start=quiet[0] if quiet else None,
        quiet_hours_end=quiet[1] if quiet else None,
        max_per_day=draw(st.integers(1, 4)),
        min_spacing=timedelta(hours=draw(st.integers(1, 4))),
        notice_given_at=starts_at - timedelta(days=draw(st.integers(1, 30)))
        if draw(st.booleans())
        else None,
        coping_strategies=tuple(draw(st.lists(st.sampled_from(["walk", "music"]), max_size=2))),
        support_contact_names=tuple(draw(st.lists(st.sampled_from(["Sam", "Ana"]), max_size=2))),
        seed=draw(st.integers(0, 2**32)),
    )
    assume(usable_prompt_times(s))
    return s


PROPERTY = settings(max_examples=60, deadline=None)


def _is_quiet(instant: datetime, s: PlanSettings) -> bool:
    local = instant.astimezone(ZoneInfo(s.timezone)).time()
    return in_quiet_hours(local, s.quiet_hours_start, s.quiet_hours_end)


def _exists(day: date, wall: time, tz: ZoneInfo) -> bool:
    naive = datetime.combine(day, wall)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


@PROPERTY
@given(plan_settings())
def test_property_quiet_hours_cap_spacing_and_order(s):
    plan = plan_schedule(s, LIBRARY)
    tz = ZoneInfo(s.timezone)
    assert [p.send_at for p in plan] == sorted(p.send_at for p in plan)
    per_day = Counter(p.local_send_at.date() for p in plan)
    assert all(count <= s.max_per_day for count in per_day.values())
    for earlier, later in pairwise(plan):
        assert later.send_at - earlier.send_at >= s.min_spacing
    for p in plan:
        assert p.send_at.tzinfo is UTC and p.local_send_at.tzinfo == tz
        assert p.local_send_at.astimezone(UTC) == p.send_at
        assert p.send_at >= s.now
        assert not _is_quiet(p.send_at, s)


@PROPERTY
@given(plan_settings())
def test_property_the_same_input_gives_the_same_plan(s):
    first, second = plan_schedule(s, LIBRARY), plan_schedule(s, LIBRARY)
    assert first == second
    assert [p.context for p in first] == [p.context for p in second]


@PROPERTY
@given(plan_settings())
def test_property_wall_times_are_the_preferred_ones_or_just_after_a_gap(s):
    tz = ZoneInfo(s.timezone)
    for p in plan_schedule(s, LIBRARY):
        if p.category is Category.UNPLANNED_NOTICE:
            continue  # sent minutes after the news, not at a preferred time
        wall, day = p.local_send_at.time().replace(tzinfo=None), p.local_send_at.date()
        if wall in s.prompt_times:
            continue
        just_before = (p.send_at - timedelta(minutes=1)).astimezone(tz).time()
        assert any(
            not _exists(day, preferred, tz) and just_before < preferred < wall
            for preferred in s.prompt_times
        ), (p, s.prompt_times)


@PROPERTY
@given(plan_settings())
def test_property_a_late_delivery_never_reaches_quiet_hours(s):
    for p in plan_schedule(s, LIBRARY):
        assert p.valid_until > p.send_at
        # Quiet-hour bounds and UTC offsets are multiples of 15 minutes here, so checking
        # the quarter hours inside the window (and its last minute) checks every minute.
        t = p.send_at.replace(minute=p.send_at.minute // 15 * 15, second=0, microsecond=0)
        checks = [p.send_at, p.valid_until - timedelta(minutes=1)]
        while t < p.valid_until:
            checks += [t] if t >= p.send_at else []
            t += timedelta(minutes=15)
        assert not any(_is_quiet(c, s) for c in checks), p


@PROPERTY
@given(plan_settings())
def test_property_no_template_repeats_before_its_category_is_exhausted(s):
    plan = plan_schedule(s, LIBRARY)
    have = {"strategy"} if s.coping_strategies else set()
    have |= {"contact_name"} if s.support_contact_names else set()
    by_category: dict[Category, list[str]] = defaultdict(list)
    for p in plan:
        by_category[p.category].append(p.template_id)
        if p.category in {Category.PREPARATION}:
            # Real elapsed days (UTC): aware arithmetic in one zone would be wall-clock.
            notice = s.notice_given_at or s.starts_at.astimezone(UTC) - timedelta(days=14)
            assert max(s.now, notice) <= p.send_at < s.starts_at
    for category, ids in by_category.items():
        eligible = {
            t.id
            for t in LIBRARY
            if t.category is category
            and s.kind in t.kinds
            and template_placeholders(t.text) & {"strategy", "contact_name"} <= have
        }
        assert set(ids) <= eligible
        for i in range(0, len(ids), len(eligible)):
            cycle = ids[i : i + len(eligible)]
            assert len(set(cycle)) == len(cycle), (category, ids)
