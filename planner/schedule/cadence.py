"""Cadence rules: which prompts a break or an ending wants, on which local days.

Pure like the engine: it only says *what* is wanted on which calendar day, with a
preferred slot and bounds. ``engine`` then fits the wishes into real instants under
the quiet hours, the daily cap and the spacing. The shapes follow what clinicians do
around breaks: frequent caring contact at first, then tapering; a countdown to the return;
follow-ups at growing intervals after an ending.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.schedule.localtime import end_of_quiet_hours
from planner.schedule.types import Category, Kind, PlanSettings

# Priorities: lower is placed first and so wins a contested slot.
FIRST, HIGH, MEDIUM, FILLER = 0, 1, 2, 3

# Daily filler rotates through these; the category of each is chosen after placement.
FILLER_CATEGORIES = (Category.COPING, Category.GROUNDING, Category.HOPE, Category.CONNECTION)

NOTICE_DEFAULT = timedelta(days=14)  # reminder two weeks before (real time, UTC arithmetic)
PREPARATION_DAYS = (14, 7, 2, 1)
COUNTDOWN_DAYS = (7, 3, 1)
UNPLANNED_DELAY = timedelta(minutes=5)
TAPER_DAYS = (84, 56, 28, 14, 7, 1)  # before the last session
FOLLOW_UPS = ((0, 7), (0, 14), (1, 0), (2, 0), (3, 0), (6, 0))  # (months, days) after it
RELAPSE_PREVENTION_MONTHS = (1, 3)
BOOSTER_MONTHS = (2, 6)
AFTERCARE_DELAY = timedelta(days=3)  # reviews and boosters a few days after a follow-up


@dataclass(frozen=True)
class Request:
    """One wanted prompt: a category on a local day, before it is fitted to an instant."""

    category: Category | None  # None: daily filler (coping/grounding/hope/connection)
    day: date  # local calendar day
    priority: int
    slot: int = 0  # preferred index into the day's usable prompt times (-1: the last)
    spill: int = 0  # may move up to this many days later when the day is full
    earliest: datetime | None = None  # UTC, inclusive
    latest: datetime | None = None  # UTC, exclusive
    at: datetime | None = None  # an exact UTC instant instead of a slot


def requests_for(settings: PlanSettings, tz: ZoneInfo) -> list[Request]:
    """Every prompt the kind of break wants, in a stable order (ties keep this order)."""
    if settings.kind is Kind.ENDING:
        return _ending(settings, tz)
    return _break(settings, tz)


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 -> 28/29 Feb)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _day(value: datetime, tz: ZoneInfo) -> date:
    return value.astimezone(tz).date()


def _days(first: date, stop: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((stop - first).days)]


# --- Holiday, gap, unplanned -----------------------------------------------------------


def _break(s: PlanSettings, tz: ZoneInfo) -> list[Request]:
    assert s.ends_at is not None
    start = _utc(s.starts_at)
    anchor = _utc(s.return_session_at or s.ends_at)  # the return session, else the end
    start_day, return_day = _day(start, tz), _day(anchor, tz)
    requests: list[Request] = []
    first_earliest = start
    if s.kind is Kind.UNPLANNED:
        # No preparation for an unplanned absence: a neutral notice comes first.
        notice = _unplanned_notice(s, tz)
        requests.append(notice)
        assert notice.at is not None
        first_earliest = notice.at + timedelta(minutes=1)
    else:
        requests += _preparation(s, start, start_day)
    requests.append(Request(Category.FIRST_CONTACT, start_day, HIGH, 0, 2, first_earliest))
    requests += _return_path(s, start, anchor, start_day, return_day)
    requests += _check_ins(s.kind, start, anchor, start_day, return_day)
    requests += _fillers(s.kind, requests, start, anchor, start_day, return_day)
    return requests


def _unplanned_notice(s: PlanSettings, tz: ZoneInfo) -> Request:
    at = max(_utc(s.now), _utc(s.starts_at)) + UNPLANNED_DELAY
    at = at.replace(second=0, microsecond=0) + timedelta(
        minutes=1 if at.second or at.microsecond else 0
    )
    at = end_of_quiet_hours(at, s, tz)  # not at night: at the end of the quiet hours
    return Request(Category.UNPLANNED_NOTICE, _day(at, tz), FIRST, at=at)


def _preparation(s: PlanSettings, start: datetime, start_day: date) -> list[Request]:
    notice = _utc(s.notice_given_at) if s.notice_given_at else start - NOTICE_DEFAULT
    window = max(_utc(s.now), notice)  # never before the client was told about the break
    return [
        Request(Category.PREPARATION, start_day - timedelta(days=n), MEDIUM, 1, 0, window, start)
        for n in PREPARATION_DAYS
    ]


def _return_path(
    s: PlanSettings, start: datetime, anchor: datetime, start_day: date, return_day: date
) -> list[Request]:
    requests = [
        Request(Category.COUNTDOWN, return_day - timedelta(days=n), HIGH, 0, 0, start, anchor)
        for n in COUNTDOWN_DAYS
        if return_day - timedelta(days=n) > start_day  # only when the break is long enough
    ]
    session = _utc(s.return_session_at) if s.return_session_at else None
    # The return message goes in the morning of the return day, before the session.
    requests.append(Request(Category.RETURN, return_day, HIGH, 0, 0, start, session))
    requests.append(Request(Category.REVIEW, return_day + timedelta(days=1), HIGH, 1, 1, anchor))
    return requests


def _check_in_indexes(kind: Kind, length: int) -> list[int]:
    if kind is Kind.GAP:
        return list(range(3, length, 7))  # weekly
    indexes, i, step = [], 2, 3
    while i < length:  # every 2-3 days: 2, 5, 7, 10, 12, ...
        indexes.append(i)
        i, step = i + step, 5 - step
    return indexes


def _check_ins(
    kind: Kind, start: datetime, anchor: datetime, start_day: date, return_day: date
) -> list[Request]:
    days = _days(start_day, return_day)
    return [
        Request(Category.CHECK_IN, days[i], MEDIUM, -1, 0, start, anchor)
        for i in _check_in_indexes(kind, len(days))
    ]


def _wanted_per_day(kind: Kind, index: int) -> int:
    """How many prompts in all a break day wants: frequent at first, then tapering."""
    if kind is Kind.GAP:
        daily = index < 7 or (index < 21 and index % 2 == 0) or index % 3 == 0
        return 1 if daily else 0
    if index < 3:
        return 2
    return 2 if index % 2 == 0 else 1


def _fillers(
    kind: Kind,
    planned: list[Request],
    start: datetime,
    anchor: datetime,
    start_day: date,
    return_day: date,
) -> list[Request]:
    busy = Counter(r.day for r in planned)
    requests = []
    for index, day in enumerate(_days(start_day, return_day)):
        count = max(0, _wanted_per_day(kind, index) - busy[day])
        # Spread a day's fillers: one rotates through the day, two take morning and evening.
        slots = [index] if count == 1 else [0, -1, 1, 2][:count]
        requests += [Request(None, day, FILLER, slot, 0, start, anchor) for slot in slots]
    return requests


# --- Ending ----------------------------------------------------------------------------


def _ending(s: PlanSettings, tz: ZoneInfo) -> list[Request]:
    start = _utc(s.starts_at)
    last = _utc(s.ends_at or s.starts_at)  # without ends_at, starts_at is the last session
    last_day = _day(last, tz)
    requests = []
    if s.ends_at is not None:
        for n in TAPER_DAYS:
            day = last_day - timedelta(days=n)
            if day >= _day(start, tz):
                requests.append(Request(Category.TAPER, day, HIGH, 0, 1, start, last))
    for months, days in FOLLOW_UPS:
        day = add_months(last_day, months) + timedelta(days=days)
        requests.append(Request(Category.FOLLOW_UP, day, HIGH, 1, 2, last))
    aftercare = [(m, Category.RELAPSE_PREVENTION) for m in RELAPSE_PREVENTION_MONTHS]
    aftercare += [(m, Category.BOOSTER) for m in BOOSTER_MONTHS]
    for months, category in sorted(aftercare):
        day = add_months(last_day, months) + AFTERCARE_DELAY
        requests.append(Request(category, day, HIGH, 1, 2, last))
    # Hope pointed outward, toward the client's own life and people, in the first weeks.
    requests.append(Request(Category.HOPE, last_day + timedelta(days=3), MEDIUM, 1, 1, last))
    requests.append(Request(Category.CONNECTION, last_day + timedelta(days=10), MEDIUM, 1, 1, last))
    return requests
