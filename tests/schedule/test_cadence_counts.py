"""Point 11 of issue 14: how much a client hears, measured on the shipped library."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner.schedule.engine import plan_schedule
from planner.schedule.library import load_prompt_library
from planner.schedule.types import Amount, Category, Kind, PlanSettings

LIBRARY = load_prompt_library(Path(__file__).resolve().parents[2] / "seeds" / "prompts.json")
LONDON = ZoneInfo("Europe/London")
START = datetime(2027, 3, 1, 18, 0, tzinfo=LONDON)  # after the last session, a Monday
RETURN = datetime(2027, 3, 22, 10, 0, tzinfo=LONDON)  # three weeks later


def _holiday(**changes):
    base = {
        "kind": Kind.HOLIDAY,
        "timezone": "Europe/London",
        "starts_at": START,
        "ends_at": RETURN - timedelta(hours=16),
        "return_session_at": RETURN,
        "now": START - timedelta(days=30),
        "quiet_hours_start": time(22),
        "quiet_hours_end": time(8),
        "has_cover": True,
        "coping_strategies": ("go for a walk",),
        "support_contact_names": ("Jamie",),
    }
    return PlanSettings(**{**base, **changes})


def _during(plan, start, end):
    return [p for p in plan if start <= p.send_at < end]


@pytest.mark.parametrize("seed", range(5))
def test_a_three_week_holiday_gets_8_to_14_prompts_tapering_with_weekly_check_ins(seed):
    plan = plan_schedule(_holiday(seed=seed), LIBRARY)
    during = _during(plan, START, RETURN)
    assert 8 <= len(during) <= 14
    days = [(p.local_send_at.date() - START.date()).days for p in during]
    return_day = (RETURN.date() - START.date()).days
    first_week = [d for d in days if d < 7]
    last_week = [d for d in days if d > return_day - 7]
    assert len(first_week) > len(last_week)
    assert max(b - a for a, b in itertools.pairwise(days)) <= 4  # no silence > 4 days
    check_ins = [d for d, p in zip(days, during, strict=True) if p.category is Category.CHECK_IN]
    assert max(Counter(d // 7 for d in check_ins).values()) == 1  # at most one a week
    per_day = Counter(p.local_send_at.date() for p in plan)
    assert max(per_day.values()) == 1  # at most one a day, by default


def test_fewer_usual_more_are_ordered_and_more_never_two_a_day():
    counts = {
        amount: len(_during(plan_schedule(_holiday(amount=amount), LIBRARY), START, RETURN))
        for amount in Amount
    }
    assert counts[Amount.FEWER] < counts[Amount.USUAL] < counts[Amount.MORE]
    more = plan_schedule(_holiday(amount=Amount.MORE), LIBRARY)
    assert max(Counter(p.local_send_at.date() for p in more).values()) == 1


def test_a_two_week_unplanned_absence_never_sends_two_on_the_first_day():
    now = datetime(2027, 3, 1, 10, 30, tzinfo=LONDON)
    back = datetime(2027, 3, 15, 10, 0, tzinfo=LONDON)
    plan = plan_schedule(
        _holiday(
            kind=Kind.UNPLANNED,
            starts_at=now,
            now=now,
            ends_at=back,
            return_session_at=back,
            has_sessions_plan=True,
        ),
        LIBRARY,
    )
    first_day = [p for p in plan if p.local_send_at.date() == now.date()]
    assert [p.category for p in first_day] == [Category.UNPLANNED_NOTICE]
    during = _during(plan, now, back)
    assert 5 <= len(during) <= 10
    assert max(Counter(p.local_send_at.date() for p in plan).values()) == 1


def test_first_contact_counts_the_messages_it_announces():
    plan = plan_schedule(_holiday(), LIBRARY)
    (first,) = [p for p in plan if p.category is Category.FIRST_CONTACT]
    if "message_count" in first.context:
        later = [p for p in plan if first.send_at < p.send_at < RETURN]
        assert first.context["message_count"] == str(len(later))
    texts = {t.text for t in LIBRARY if t.category is Category.FIRST_CONTACT}
    assert not any("a few" in text for text in texts)
