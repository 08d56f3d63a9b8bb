"""The shape of each kind of break (planner.schedule.cadence): a holiday, an unplanned
absence, a gap and an ending."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from planner.schedule.engine import plan_schedule
from planner.schedule.types import Category, Kind
from tests.schedule.helpers import LIBRARY, NY, local_days, settings_with


def test_a_holiday_has_preparation_first_contact_countdown_return_and_review():
    plan = plan_schedule(settings_with(), LIBRARY)
    start, back = date(2026, 7, 3), date(2026, 7, 20)
    assert local_days(plan, Category.PREPARATION) == [
        start - timedelta(days=n) for n in (14, 7, 2, 1)
    ]
    assert local_days(plan, Category.FIRST_CONTACT) == [start]
    assert plan[4].category is Category.FIRST_CONTACT  # the first prompt of the break
    # The usual rhythm: a countdown a week and a day before the return.
    assert local_days(plan, Category.COUNTDOWN) == [back - timedelta(days=n) for n in (7, 1)]
    assert local_days(plan, Category.RETURN) == [back]
    assert local_days(plan, Category.REVIEW) == [back + timedelta(days=1)]
    daily = {Category.COPING, Category.GROUNDING, Category.HOPE, Category.CONNECTION}
    assert len(daily & {p.category for p in plan}) >= 3
    check_ins = local_days(plan, Category.CHECK_IN)
    assert len(check_ins) == 2 and check_ins[1] - check_ins[0] >= timedelta(days=7)  # weekly
    per_day = Counter(p.local_send_at.date() for p in plan)
    assert max(per_day.values()) == 1  # at most one message a day


def test_preparation_starts_no_earlier_than_the_notice():
    notice = datetime(2026, 6, 28, 12, 0, tzinfo=NY)
    plan = plan_schedule(settings_with(notice_given_at=notice), LIBRARY)
    assert local_days(plan, Category.PREPARATION) == [date(2026, 7, 1), date(2026, 7, 2)]
    late = plan_schedule(settings_with(now=datetime(2026, 7, 2, 14, 0, tzinfo=NY)), LIBRARY)
    assert local_days(late, Category.PREPARATION) == [date(2026, 7, 2)]


def test_an_unplanned_absence_starts_with_a_notice_within_minutes():
    now = datetime(2026, 7, 3, 14, 2, 30, tzinfo=NY)
    plan = plan_schedule(settings_with(kind=Kind.UNPLANNED, starts_at=now, now=now), LIBRARY)
    assert plan[0].category is Category.UNPLANNED_NOTICE
    assert timedelta(minutes=5) <= plan[0].send_at - now <= timedelta(minutes=6)
    assert plan[1].category is Category.FIRST_CONTACT
    assert Category.PREPARATION not in {p.category for p in plan}


def test_an_unplanned_notice_at_night_waits_for_the_end_of_quiet_hours():
    now = datetime(2026, 7, 3, 23, 10, tzinfo=NY)
    plan = plan_schedule(settings_with(kind=Kind.UNPLANNED, starts_at=now, now=now), LIBRARY)
    assert plan[0].category is Category.UNPLANNED_NOTICE
    assert plan[0].local_send_at == datetime(2026, 7, 4, 7, 0, tzinfo=NY)


def test_a_gap_is_sparser_than_a_holiday_over_the_same_dates():
    holiday = plan_schedule(settings_with(), LIBRARY)
    gap = plan_schedule(settings_with(kind=Kind.GAP), LIBRARY)
    assert len(gap) < len(holiday)
    assert local_days(gap, Category.COUNTDOWN) == local_days(holiday, Category.COUNTDOWN)
    assert local_days(gap, Category.RETURN) == [date(2026, 7, 20)]


def test_an_ending_tapers_then_follows_up_at_growing_intervals():
    s = settings_with(
        kind=Kind.ENDING,
        starts_at=datetime(2026, 3, 1, 10, 0, tzinfo=NY),
        ends_at=datetime(2026, 6, 10, 10, 0, tzinfo=NY),
        return_session_at=None,
        now=datetime(2026, 3, 1, 9, 0, tzinfo=NY),
    )
    plan = plan_schedule(s, LIBRARY)
    last = date(2026, 6, 10)
    taper = local_days(plan, Category.TAPER)
    assert len(taper) >= 4 and all(day < last for day in taper)
    assert local_days(plan, Category.ACKNOWLEDGEMENT) == [last + timedelta(days=1)]
    assert local_days(plan, Category.FOLLOW_UP) == [
        last + timedelta(days=7),
        last + timedelta(days=14),
        date(2026, 7, 10),
        date(2026, 8, 10),
        date(2026, 9, 10),
    ]
    assert local_days(plan, Category.CLOSING) == [date(2026, 12, 10)]
    assert local_days(plan, Category.RELAPSE_PREVENTION) == [date(2026, 7, 13), date(2026, 9, 13)]
    assert local_days(plan, Category.BOOSTER) == []  # none booked: none spoken of
    early = [p.category for p in plan if last < p.local_send_at.date() < date(2026, 7, 1)]
    assert {Category.HOPE, Category.CONNECTION} <= set(early)


def test_without_the_clients_yes_an_ending_sends_only_booster_reminders_after_it():
    last = datetime(2026, 6, 10, 10, 0, tzinfo=NY)
    booked = (datetime(2026, 8, 20, 10, 0, tzinfo=NY),)
    ending = {"kind": Kind.ENDING, "ends_at": last, "return_session_at": None}
    s = settings_with(
        **ending,
        starts_at=datetime(2026, 3, 1, 10, 0, tzinfo=NY),
        now=datetime(2026, 3, 1, 9, 0, tzinfo=NY),
        booster_sessions=booked,
        follow_ups=False,
    )
    plan = plan_schedule(s, LIBRARY)
    assert {p.category for p in plan if p.send_at > last} == {Category.BOOSTER}
    assert local_days(plan, Category.BOOSTER) == [date(2026, 8, 13)]
    assert Category.TAPER in {p.category for p in plan}  # before the last session, as ever


def test_an_ending_without_end_takes_the_start_as_the_last_session():
    s = settings_with(kind=Kind.ENDING, ends_at=None, return_session_at=None)
    plan = plan_schedule(s, LIBRARY)
    assert Category.TAPER not in {p.category for p in plan}
    assert local_days(plan, Category.FOLLOW_UP)[0] == date(2026, 7, 10)
