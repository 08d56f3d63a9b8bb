"""Tests of the pure schedule engine: examples of each shape, and properties over zones/DST."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.schedule.engine import plan_schedule, usable_prompt_times, validate_settings
from planner.schedule.localtime import in_quiet_hours, localize, quiet_free_until
from planner.schedule.text import render, template_placeholders, validate_template
from planner.schedule.types import (
    Amount,
    Category,
    Kind,
    PlannedPrompt,
    PlanSettings,
    ScheduleError,
    TemplateSpec,
)

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
BREAK_KINDS = frozenset({Kind.HOLIDAY, Kind.GAP, Kind.UNPLANNED})
ENDING_ONLY = frozenset({Kind.ENDING})
ENDING_CATEGORIES = {
    Category.TAPER,
    Category.FOLLOW_UP,
    Category.RELAPSE_PREVENTION,
    Category.BOOSTER,
    Category.ACKNOWLEDGEMENT,
    Category.CLOSING,
}
UNPLANNED_CATEGORIES = {Category.UNPLANNED_NOTICE, Category.RETURN_BOOKED, Category.STILL_AWAY}


def _library() -> list[TemplateSpec]:
    """Three templates per category; coping and connection each have a personal one."""
    library = []
    for category in Category:
        if category in ENDING_CATEGORIES:
            kinds = ENDING_ONLY
        elif category in UNPLANNED_CATEGORIES:
            kinds = frozenset({Kind.UNPLANNED})
        elif category in {Category.HOPE, Category.CONNECTION}:
            kinds = frozenset(Kind)
        else:
            kinds = BREAK_KINDS
        for i in range(3):
            text = f"Hi {{first_name}}, {category.value} number {i}."
            library.append(TemplateSpec(f"{category.value}-{i}", category, text, kinds))
    library.append(
        TemplateSpec("coping-own", Category.COPING, "Maybe try {strategy} today?", BREAK_KINDS)
    )
    library.append(
        TemplateSpec("connection-own", Category.CONNECTION, "Could {contact_name} join you?")
    )
    return library


LIBRARY = _library()


def _settings(**changes: object) -> PlanSettings:
    base: dict[str, object] = {
        "kind": Kind.HOLIDAY,
        "timezone": "America/New_York",
        "starts_at": datetime(2026, 7, 3, 17, 0, tzinfo=NY),
        "ends_at": datetime(2026, 7, 20, 8, 0, tzinfo=NY),
        "return_session_at": datetime(2026, 7, 20, 10, 0, tzinfo=NY),
        "now": datetime(2026, 6, 1, 12, 0, tzinfo=NY),
        "quiet_hours_start": time(22, 0),
        "quiet_hours_end": time(7, 0),
    }
    base.update(changes)
    return PlanSettings(**base)  # type: ignore[arg-type]


def _local_days(plan: list[PlannedPrompt], category: Category) -> list[date]:
    return [p.local_send_at.date() for p in plan if p.category is category]


# --- Local time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        ("America/New_York", date(2027, 3, 14), time(2, 30), time(3, 0)),
        ("America/New_York", date(2026, 3, 8), time(2, 0), time(3, 0)),
        ("Europe/London", date(2026, 3, 29), time(1, 30), time(2, 0)),
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), time(2, 30)),
        ("Pacific/Chatham", date(2026, 9, 27), time(3, 0), time(3, 45)),
    ],
)
def test_it_moves_a_spring_forward_time_to_the_first_valid_minute(zone, day, wall, expected):
    local = localize(day, wall, ZoneInfo(zone))
    assert (local.date(), local.time()) == (day, expected)
    assert local.astimezone(UTC).astimezone(local.tzinfo) == local


def test_it_takes_the_first_occurrence_of_an_ambiguous_time():
    local = localize(date(2026, 11, 1), time(1, 30), NY)
    assert local.utcoffset() == timedelta(hours=-4)  # EDT, not the later EST 01:30
    assert local.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert localize(date(2026, 10, 25), time(1, 30), LONDON).utcoffset() == timedelta(hours=1)


def test_it_keeps_nine_oclock_across_dst():
    s = _settings(
        starts_at=datetime(2026, 3, 1, 8, 0, tzinfo=NY),
        ends_at=datetime(2026, 3, 15, 8, 0, tzinfo=NY),
        return_session_at=datetime(2026, 3, 16, 11, 0, tzinfo=NY),
        now=datetime(2026, 2, 1, tzinfo=NY),
        prompt_times=(time(9, 0),),
        max_per_day=1,
    )
    plan = plan_schedule(s, LIBRARY)
    assert plan and all(p.local_send_at.time() == time(9, 0) for p in plan)
    offsets = {p.local_send_at.date() >= date(2026, 3, 8): p.send_at.hour for p in plan}
    assert offsets == {False: 14, True: 13}  # 09:00 EST is 14:00 UTC, 09:00 EDT 13:00 UTC


def test_a_prompt_time_in_the_spring_forward_gap_is_sent_at_three():
    s = _settings(
        starts_at=datetime(2027, 3, 12, 8, 0, tzinfo=NY),
        ends_at=datetime(2027, 3, 17, 8, 0, tzinfo=NY),
        return_session_at=None,
        now=datetime(2027, 3, 1, tzinfo=NY),
        prompt_times=(time(2, 30), time(12, 0)),
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    on_the_day = [p for p in plan_schedule(s, LIBRARY) if p.local_send_at.date().day == 14]
    # One message a day: the day's message takes the first usable time, 02:30 moved to 03:00.
    assert [p.local_send_at.time() for p in on_the_day] == [time(3, 0)]
    assert on_the_day[0].send_at == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)


def test_a_fall_back_prompt_time_takes_the_edt_occurrence():
    s = _settings(
        starts_at=datetime(2026, 10, 30, 8, 0, tzinfo=NY),
        ends_at=datetime(2026, 11, 4, 8, 0, tzinfo=NY),
        return_session_at=None,
        now=datetime(2026, 10, 1, tzinfo=NY),
        prompt_times=(time(1, 30),),
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    (prompt,) = [p for p in plan_schedule(s, LIBRARY) if p.local_send_at.date().day == 1]
    assert prompt.local_send_at.utcoffset() == timedelta(hours=-4)
    assert prompt.send_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "start", "end", "quiet"),
    [
        (time(23, 0), time(22, 0), time(7, 0), True),
        (time(6, 59), time(22, 0), time(7, 0), True),
        (time(7, 0), time(22, 0), time(7, 0), False),
        (time(21, 59), time(22, 0), time(7, 0), False),
        (time(13, 0), time(12, 0), time(14, 0), True),
        (time(14, 0), time(12, 0), time(14, 0), False),
        (time(3, 0), time(22, 0), time(22, 0), False),
        (time(3, 0), None, time(7, 0), False),
    ],
)
def test_quiet_hours_may_wrap_midnight(local, start, end, quiet):
    assert in_quiet_hours(local, start, end) is quiet


def test_a_preferred_time_in_quiet_hours_is_dropped():
    s = _settings(prompt_times=(time(23, 0), time(9, 0), time(9, 0), time(6, 30)))
    assert usable_prompt_times(s) == [time(9, 0)]
    assert {p.local_send_at.time() for p in plan_schedule(s, LIBRARY)} == {time(9, 0)}


def test_validity_is_cut_at_the_start_of_quiet_hours():
    s = _settings(prompt_times=(time(20, 30),))
    plan = plan_schedule(s, LIBRARY)
    assert plan and all(p.valid_until - p.send_at == timedelta(minutes=90) for p in plan)


def test_validity_is_cut_when_the_clock_falls_back_into_quiet_hours():
    # 01:45 EDT is outside quiet hours 22:00-01:30, but 15 minutes later it is 01:00 EST.
    s = _settings(quiet_hours_start=time(22, 0), quiet_hours_end=time(1, 30))
    send_at = localize(date(2026, 11, 1), time(1, 45), NY).astimezone(UTC)
    until = quiet_free_until(send_at, send_at + timedelta(hours=3), s, NY)
    assert until - send_at == timedelta(minutes=15)


def test_the_return_message_expires_when_the_session_starts():
    (back,) = [p for p in plan_schedule(_settings(), LIBRARY) if p.category is Category.RETURN]
    assert back.local_send_at == datetime(2026, 7, 20, 9, 0, tzinfo=NY)
    assert back.valid_until == datetime(2026, 7, 20, 10, 0, tzinfo=NY)


# --- Shapes of each kind ---------------------------------------------------------------


def test_a_holiday_has_preparation_first_contact_countdown_return_and_review():
    plan = plan_schedule(_settings(), LIBRARY)
    start, back = date(2026, 7, 3), date(2026, 7, 20)
    assert _local_days(plan, Category.PREPARATION) == [
        start - timedelta(days=n) for n in (14, 7, 2, 1)
    ]
    assert _local_days(plan, Category.FIRST_CONTACT) == [start]
    assert plan[4].category is Category.FIRST_CONTACT  # the first prompt of the break
    # The usual rhythm: a countdown a week and a day before the return.
    assert _local_days(plan, Category.COUNTDOWN) == [back - timedelta(days=n) for n in (7, 1)]
    assert _local_days(plan, Category.RETURN) == [back]
    assert _local_days(plan, Category.REVIEW) == [back + timedelta(days=1)]
    daily = {Category.COPING, Category.GROUNDING, Category.HOPE, Category.CONNECTION}
    assert len(daily & {p.category for p in plan}) >= 3
    check_ins = _local_days(plan, Category.CHECK_IN)
    assert len(check_ins) == 2 and check_ins[1] - check_ins[0] >= timedelta(days=7)  # weekly
    per_day = Counter(p.local_send_at.date() for p in plan)
    assert max(per_day.values()) == 1  # at most one message a day


def test_preparation_starts_no_earlier_than_the_notice():
    notice = datetime(2026, 6, 28, 12, 0, tzinfo=NY)
    plan = plan_schedule(_settings(notice_given_at=notice), LIBRARY)
    assert _local_days(plan, Category.PREPARATION) == [date(2026, 7, 1), date(2026, 7, 2)]
    late = plan_schedule(_settings(now=datetime(2026, 7, 2, 14, 0, tzinfo=NY)), LIBRARY)
    assert _local_days(late, Category.PREPARATION) == [date(2026, 7, 2)]


def test_an_unplanned_absence_starts_with_a_notice_within_minutes():
    now = datetime(2026, 7, 3, 14, 2, 30, tzinfo=NY)
    plan = plan_schedule(_settings(kind=Kind.UNPLANNED, starts_at=now, now=now), LIBRARY)
    assert plan[0].category is Category.UNPLANNED_NOTICE
    assert timedelta(minutes=5) <= plan[0].send_at - now <= timedelta(minutes=6)
    assert plan[1].category is Category.FIRST_CONTACT
    assert Category.PREPARATION not in {p.category for p in plan}


def test_an_unplanned_notice_at_night_waits_for_the_end_of_quiet_hours():
    now = datetime(2026, 7, 3, 23, 10, tzinfo=NY)
    plan = plan_schedule(_settings(kind=Kind.UNPLANNED, starts_at=now, now=now), LIBRARY)
    assert plan[0].category is Category.UNPLANNED_NOTICE
    assert plan[0].local_send_at == datetime(2026, 7, 4, 7, 0, tzinfo=NY)


def test_a_gap_is_sparser_than_a_holiday_over_the_same_dates():
    holiday = plan_schedule(_settings(), LIBRARY)
    gap = plan_schedule(_settings(kind=Kind.GAP), LIBRARY)
    assert len(gap) < len(holiday)
    assert _local_days(gap, Category.COUNTDOWN) == _local_days(holiday, Category.COUNTDOWN)
    assert _local_days(gap, Category.RETURN) == [date(2026, 7, 20)]


def test_an_ending_tapers_then_follows_up_at_growing_intervals():
    s = _settings(
        kind=Kind.ENDING,
        starts_at=datetime(2026, 3, 1, 10, 0, tzinfo=NY),
        ends_at=datetime(2026, 6, 10, 10, 0, tzinfo=NY),
        return_session_at=None,
        now=datetime(2026, 3, 1, 9, 0, tzinfo=NY),
    )
    plan = plan_schedule(s, LIBRARY)
    last = date(2026, 6, 10)
    taper = _local_days(plan, Category.TAPER)
    assert len(taper) >= 4 and all(day < last for day in taper)
    assert _local_days(plan, Category.ACKNOWLEDGEMENT) == [last + timedelta(days=1)]
    assert _local_days(plan, Category.FOLLOW_UP) == [
        last + timedelta(days=7),
        last + timedelta(days=14),
        date(2026, 7, 10),
        date(2026, 8, 10),
        date(2026, 9, 10),
    ]
    assert _local_days(plan, Category.CLOSING) == [date(2026, 12, 10)]
    assert _local_days(plan, Category.RELAPSE_PREVENTION) == [date(2026, 7, 13), date(2026, 9, 13)]
    assert _local_days(plan, Category.BOOSTER) == []  # none booked: none spoken of
    early = [p.category for p in plan if last < p.local_send_at.date() < date(2026, 7, 1)]
    assert {Category.HOPE, Category.CONNECTION} <= set(early)


def test_an_ending_without_end_takes_the_start_as_the_last_session():
    s = _settings(kind=Kind.ENDING, ends_at=None, return_session_at=None)
    plan = plan_schedule(s, LIBRARY)
    assert Category.TAPER not in {p.category for p in plan}
    assert _local_days(plan, Category.FOLLOW_UP)[0] == date(2026, 7, 10)


# --- Templates -------------------------------------------------------------------------


def test_a_category_without_templates_is_skipped():
    library = [t for t in LIBRARY if t.category not in {Category.HOPE, Category.COUNTDOWN}]
    plan = plan_schedule(_settings(), library)
    assert plan and not {Category.HOPE, Category.COUNTDOWN} & {p.category for p in plan}
    assert plan_schedule(_settings(), []) == []


def test_personal_templates_need_the_clients_own_strategies_and_contacts():
    used = {p.template_id for p in plan_schedule(_settings(), LIBRARY)}
    assert not {"coping-own", "connection-own"} & used
    s = _settings(
        coping_strategies=("a walk", "music"),
        support_contact_names=("Sam",),
        amount=Amount.MORE,
        starts_at=datetime(2026, 5, 1, 17, 0, tzinfo=NY),
        now=datetime(2026, 4, 1, tzinfo=NY),
    )
    plan = plan_schedule(s, LIBRARY)
    own = [p.context for p in plan if p.template_id == "coping-own"]
    assert own[:2] == [{"strategy": "a walk"}, {"strategy": "music"}]
    assert {"contact_name": "Sam"} in [p.context for p in plan if p.template_id == "connection-own"]
    assert all(p.context == {} for p in plan if not p.template_id.endswith("-own"))


def test_the_seed_changes_the_rotation_but_not_the_times():
    a = plan_schedule(_settings(seed=1), LIBRARY)
    b = plan_schedule(_settings(seed=2), LIBRARY)
    assert [p.send_at for p in a] == [p.send_at for p in b]
    assert [p.template_id for p in a] != [p.template_id for p in b]


def test_template_placeholders_and_validation():
    assert template_placeholders("Hi {first_name}, try {strategy}. {{literal}}") == {
        "first_name",
        "strategy",
    }
    good = TemplateSpec("coping-01", Category.COPING, "Hi {first_name}")
    assert validate_template(good) == []
    typo = TemplateSpec("coping-07", Category.COPING, "Hi {nmae}, and {}")
    assert validate_template(typo) == [
        "template coping-07: unknown placeholder {nmae}",
        "template coping-07: unknown placeholder {}",
    ]
    broken = TemplateSpec("hope-02", Category.HOPE, "Hi {first_name")
    (error,) = validate_template(broken)
    assert error.startswith("template hope-02: malformed braces")
    fancy = TemplateSpec("hope-03", Category.HOPE, "{first_name!r:>10}")
    assert "hope-03" in validate_template(fancy)[0]


def test_a_broken_template_in_the_library_is_never_used():
    library = [*LIBRARY, TemplateSpec("hope-bad", Category.HOPE, "Hello {nmae}")]
    assert "hope-bad" not in {p.template_id for p in plan_schedule(_settings(), library)}


def test_render_fills_placeholders_and_never_invents_a_fact():
    text = "Hi {first_name}, {therapist_name} is back on {return_date}. Try {strategy}."
    context = {"first_name": "Ana", "therapist_name": "Dr Lee", "return_date": "Monday 20 July"}
    assert render(text, {**context, "strategy": "a walk"}) == (
        "Hi Ana, Dr Lee is back on Monday 20 July. Try a walk."
    )
    # Only the name and the therapist have a stand-in; a fact is never made up (the engine
    # does not pick a template whose facts are missing).
    assert render("Hi {first_name}, {therapist_name} is away.", {}) == (
        "Hi, your therapist is away."
    )
    assert "the covering clinician" not in render("{covering_name} covers.", {})
    assert render("Hi {first_name}", {"first_name": "  "}) == "Hi"
    assert render("Hi {nmae} {first_name", {}) == "Hi {nmae} {first_name"  # never raises


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
        plan_schedule(_settings(**changes), LIBRARY)
    assert caught.value.field == field and caught.value.message


def test_validation_messages_are_for_people():
    with pytest.raises(ScheduleError) as caught:
        validate_settings(_settings(ends_at=datetime(2026, 7, 1, tzinfo=NY)))
    assert caught.value.message == "The break must end after it starts."
    assert validate_settings(_settings(kind=Kind.ENDING, ends_at=None)) == NY


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


def test_it_brings_the_clients_own_words_early_whatever_the_seed():
    """With coping strategies and people written down, the first coping and connection
    prompts of a break are the personal ones ("you wrote that ... helps")."""
    from pathlib import Path

    from planner.schedule.engine import plan_schedule
    from planner.schedule.library import load_prompt_library
    from planner.schedule.types import Category, Kind, PlanSettings

    library = load_prompt_library(Path(__file__).resolve().parents[1] / "seeds" / "prompts.json")
    start = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    for seed in range(40):
        plan = plan_schedule(
            PlanSettings(
                kind=Kind.HOLIDAY,
                timezone="Europe/London",
                starts_at=start,
                ends_at=start + timedelta(days=27),
                return_session_at=start + timedelta(days=28),
                now=start - timedelta(days=20),
                coping_strategies=("a walk by the river",),
                support_contact_names=("Jamie",),
                seed=seed,
            ),
            library,
        )
        first = {
            c: next(p for p in plan if p.category == c)
            for c in (Category.COPING, Category.CONNECTION)
        }
        assert first[Category.COPING].context == {"strategy": "a walk by the river"}, seed
        assert first[Category.CONNECTION].context == {"contact_name": "Jamie"}, seed
