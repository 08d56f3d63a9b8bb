"""Local time in the schedule: DST gaps and folds, quiet hours that wrap midnight, validity
windows cut at quiet hours and at the return session."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from planner.schedule.engine import plan_schedule, usable_prompt_times
from planner.schedule.localtime import in_quiet_hours, localize, quiet_free_until
from planner.schedule.types import Category
from tests.schedule.helpers import LIBRARY, LONDON, NY, settings_with


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
    s = settings_with(
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
    s = settings_with(
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
    s = settings_with(
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
    s = settings_with(prompt_times=(time(23, 0), time(9, 0), time(9, 0), time(6, 30)))
    assert usable_prompt_times(s) == [time(9, 0)]
    assert {p.local_send_at.time() for p in plan_schedule(s, LIBRARY)} == {time(9, 0)}


def test_validity_is_cut_at_the_start_of_quiet_hours():
    s = settings_with(prompt_times=(time(20, 30),))
    plan = plan_schedule(s, LIBRARY)
    assert plan and all(p.valid_until - p.send_at == timedelta(minutes=90) for p in plan)


def test_validity_is_cut_when_the_clock_falls_back_into_quiet_hours():
    # 01:45 EDT is outside quiet hours 22:00-01:30, but 15 minutes later it is 01:00 EST.
    s = settings_with(quiet_hours_start=time(22, 0), quiet_hours_end=time(1, 30))
    send_at = localize(date(2026, 11, 1), time(1, 45), NY).astimezone(UTC)
    until = quiet_free_until(send_at, send_at + timedelta(hours=3), s, NY)
    assert until - send_at == timedelta(minutes=15)


def test_the_return_message_expires_when_the_session_starts():
    (back,) = [p for p in plan_schedule(settings_with(), LIBRARY) if p.category is Category.RETURN]
    assert back.local_send_at == datetime(2026, 7, 20, 9, 0, tzinfo=NY)
    assert back.valid_until == datetime(2026, 7, 20, 10, 0, tzinfo=NY)
