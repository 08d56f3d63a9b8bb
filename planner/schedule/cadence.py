"""Cadence rules: which prompts a break or an ending wants, on which local days.

Pure like the engine: it only says *what* is wanted on which calendar day, with a
preferred slot and bounds. ``engine`` then fits the wishes into real instants under
the quiet hours, the daily cap and the spacing. The shapes follow what clinicians do
around breaks: frequent caring contact at first, then tapering; a countdown to the return;
follow-ups at growing intervals after an ending.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from planner.schedule.localtime import end_of_quiet_hours, localize
from planner.schedule.types import Amount, Category, Kind, PlanSettings

# Priorities: lower is placed first and so wins a contested slot.
FIRST, HIGH, MEDIUM, FILLER = 0, 1, 2, 3

# Daily filler rotates through these; the category of each is chosen after placement.
# The client's own people come first: the patchwork of real supports the break leans on.
FILLER_CATEGORIES = (Category.CONNECTION, Category.COPING, Category.HOPE, Category.GROUNDING)

NOTICE_DEFAULT = timedelta(days=14)  # reminder two weeks before (real time, UTC arithmetic)
UNPLANNED_DELAY = timedelta(minutes=5)
NEWS_VALIDITY = timedelta(hours=12)  # news not sent by then is left for the next update
# An open-ended absence: caring contact in the usual rhythm for four weeks, then weekly up to
# eight; a booked return (an edit of the break) brings the countdown and the return.
OPEN_ENDED_RHYTHM_DAYS = 28
OPEN_ENDED_DAYS = 56
OPEN_ENDED_STEP = 7
TAPER_DAYS = (84, 56, 28, 14, 7, 1)  # before the last session
ENDING_PREPARATION_DAYS = (42, 3)  # before the last session: what to say in the sessions left
ACKNOWLEDGEMENT_DELAY = timedelta(days=1)  # the first message after the last session
FOLLOW_UPS = ((0, 7), (0, 14), (1, 0), (2, 0), (3, 0))  # (months, days) after it
CLOSING_MONTHS = 6  # the last message, closing the follow-ups
RELAPSE_PREVENTION_MONTHS = (1, 3)
BOOSTER_REMINDER_DAYS = 7  # a reminder a week before each booked booster session
AFTERCARE_DELAY = timedelta(days=3)  # reviews a few days after a follow-up

# One-off messages: never planned again once this break sent them.
ONE_OFF = frozenset(
    {
        Category.UNPLANNED_NOTICE,
        Category.FIRST_CONTACT,
        Category.ACKNOWLEDGEMENT,
        Category.CLOSING,
        Category.REVIEW,
    }
)


@dataclass(frozen=True)
class Rhythm:
    """How often a kind of break wants a message, for one choice of fewer / usual / more.

    Days count from the day the break starts (day 0). In the first week a message comes every
    ``first_week_step`` days, then every ``later_steps`` days (cycled); a wanted day too close
    to a fixed message (the first contact, a countdown) is dropped, and a silence longer than
    ``max_gap`` days is broken by a message in its middle. One check-in invitation every
    ``check_in_weeks`` weeks takes the place of one of these messages.
    """

    first_week_step: int
    later_steps: tuple[int, ...]
    max_gap: int
    countdown: tuple[int, ...]  # days before the return session
    preparation: tuple[int, ...]  # days before the start (not for an unplanned absence)
    check_in_weeks: int

    @property
    def min_distance(self) -> int:
        return min(self.first_week_step, *self.later_steps)


_HOLIDAY = {
    Amount.FEWER: Rhythm(3, (7,), 7, (1,), (7, 1), 2),
    Amount.USUAL: Rhythm(2, (3, 4), 4, (7, 1), (14, 7, 2, 1), 1),
    Amount.MORE: Rhythm(1, (2,), 2, (7, 3, 1), (14, 7, 2, 1), 1),
}
_GAP = {
    Amount.FEWER: Rhythm(4, (10,), 10, (1,), (7, 1), 2),
    Amount.USUAL: Rhythm(3, (7,), 7, (7, 1), (14, 7, 1), 2),
    # A gap invites a check-in every other week at every amount: "more" means more caring
    # messages, not more check-ins.
    Amount.MORE: Rhythm(2, (3, 4), 4, (7, 1), (14, 7, 2, 1), 2),
}


def rhythm_for(kind: Kind, amount: Amount) -> Rhythm:
    """The rhythm of a holiday, gap or unplanned absence (an ending has its own shape)."""
    return (_GAP if kind is Kind.GAP else _HOLIDAY)[amount]


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
    about: datetime | None = None  # the session the prompt is about (a booster)


def requests_for(settings: PlanSettings, tz: ZoneInfo) -> list[Request]:
    """Every prompt the kind of break wants, in a stable order (ties keep this order)."""
    if settings.kind is Kind.ENDING:
        requests = _ending(settings, tz)
    else:
        requests = _break(settings, tz)
    sent = {d.category for d in settings.delivered}
    return [r for r in requests if r.category not in ONE_OFF or r.category not in sent]


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


def _soon(after: datetime, s: PlanSettings, tz: ZoneInfo) -> datetime:
    """A few minutes after ``after``, on the minute, and not in the quiet hours."""
    at = after + UNPLANNED_DELAY
    at = at.replace(second=0, microsecond=0) + timedelta(
        minutes=1 if at.second or at.microsecond else 0
    )
    return end_of_quiet_hours(at, s, tz)  # not at night: at the end of the quiet hours


# --- Holiday, gap, unplanned -----------------------------------------------------------


def contact_days(
    rhythm: Rhythm, *, first: int, length: int, fixed: set[int], open_ended: bool = False
) -> list[int]:
    """The days (from the start, before ``length``) that want a message besides ``fixed``."""
    limit = min(length, OPEN_ENDED_RHYTHM_DAYS) if open_ended else length
    days, day, i = [], first, 0
    while True:
        if day < 7:
            step = rhythm.first_week_step
        else:
            step, i = rhythm.later_steps[i % len(rhythm.later_steps)], i + 1
        day += step
        if day >= limit:
            break
        days.append(day)
    near = rhythm.min_distance
    days = [d for d in days if all(abs(d - f) >= near for f in fixed)]
    # Break any silence longer than max_gap, up to the end (the return day, when booked).
    chosen = sorted(set(days) | {f for f in fixed if f <= limit} | {first, limit})
    gap = next((p for p in pairwise(chosen) if p[1] - p[0] > rhythm.max_gap), None)
    while gap is not None:
        chosen = sorted({*chosen, gap[0] + (gap[1] - gap[0]) // 2})
        gap = next((p for p in pairwise(chosen) if p[1] - p[0] > rhythm.max_gap), None)
    if open_ended:  # then weekly, up to eight weeks
        chosen += list(range(limit + OPEN_ENDED_STEP - 1, length + 1, OPEN_ENDED_STEP))
    return [d for d in chosen if d not in fixed and first < d < length]


def check_in_days(rhythm: Rhythm, days: list[int], *, open_ended: bool = False) -> set[int]:
    """One of ``days`` per check-in week: the one nearest the middle of that week (in the
    weekly tail of an open-ended absence, every other week)."""
    chosen = set()
    for week in sorted({d // 7 for d in days}):
        every = rhythm.check_in_weeks
        if open_ended and 7 * week >= OPEN_ENDED_RHYTHM_DAYS:
            every *= 2
        if week % every:
            continue
        in_week = [d for d in days if d // 7 == week]
        chosen.add(min(in_week, key=lambda d: (abs(d - (7 * week + 4)), -d)))
    return chosen


def _break(s: PlanSettings, tz: ZoneInfo) -> list[Request]:
    rhythm = rhythm_for(s.kind, s.amount)
    start = _utc(s.starts_at)
    start_day = _day(start, tz)
    session = _utc(s.return_session_at) if s.return_session_at else None
    end = _utc(s.ends_at) if s.ends_at else None
    anchor = session or end
    open_ended = anchor is None
    if anchor is not None:
        length = (_day(anchor, tz) - start_day).days
    else:
        length = OPEN_ENDED_DAYS

    def on(index: int) -> date:
        return start_day + timedelta(days=index)

    requests: list[Request] = []
    first_earliest = start
    if s.kind is Kind.UNPLANNED:
        # No preparation for an unplanned absence: an honest notice comes first, and the
        # first caring message waits for the next day (never two on the first day).
        notice_at = _soon(max(_utc(s.now), start), s, tz)
        if Category.UNPLANNED_NOTICE not in {d.category for d in s.delivered}:
            requests.append(
                Request(Category.UNPLANNED_NOTICE, _day(notice_at, tz), FIRST, at=notice_at)
            )
        first_contact = 1
    else:
        requests += _preparation(s, rhythm, start, start_day, tz)
        first_contact = 0
    requests += _news(s, tz, start_day)
    fixed = {first_contact} if first_contact < max(length, 1) else set()
    requests.append(
        Request(Category.FIRST_CONTACT, on(first_contact), HIGH, 0, 2, first_earliest, anchor)
    )
    if session is not None:
        return_day = (_day(session, tz) - start_day).days
        for n in rhythm.countdown:
            if return_day - n > first_contact:  # only when the break is long enough
                fixed.add(return_day - n)
                requests.append(
                    Request(Category.COUNTDOWN, on(return_day - n), HIGH, 0, 0, start, session)
                )
        # The return message goes in the morning of the return day, before the session.
        fixed.add(return_day)
        requests.append(Request(Category.RETURN, on(return_day), HIGH, 0, 0, start, session))
    if anchor is not None:
        requests.append(Request(Category.REVIEW, on(length + 1), HIGH, 1, 1, anchor))
    days = contact_days(
        rhythm, first=first_contact, length=length, fixed=fixed, open_ended=open_ended
    )
    check_ins = check_in_days(rhythm, days, open_ended=open_ended)
    for n, index in enumerate(days):
        if index in check_ins:
            requests.append(Request(Category.CHECK_IN, on(index), MEDIUM, -1, 1, start, anchor))
        else:
            requests.append(Request(None, on(index), FILLER, n, 1, start, anchor))
    return requests


def _news(s: PlanSettings, tz: ZoneInfo, start_day: date) -> list[Request]:
    """News of an unplanned absence (a return booked, or a longer absence), once."""
    if s.kind is not Kind.UNPLANNED or s.news is None or s.news_at is None:
        return []
    news_at = _utc(s.news_at)
    if _utc(s.now) >= news_at + NEWS_VALIDITY:
        return []
    if any(d.category is s.news and _utc(d.send_at) >= news_at for d in s.delivered):
        return []
    at = _soon(max(_utc(s.now), news_at), s, tz)
    notices = [d for d in s.delivered if d.category is Category.UNPLANNED_NOTICE]
    notice_day = _day(notices[0].send_at, tz) if notices else start_day
    if _day(at, tz) == notice_day:
        return []  # never two on the first day: the countdown and My break carry the news
    return [Request(s.news, _day(at, tz), FIRST, at=at)]


def _preparation(
    s: PlanSettings, rhythm: Rhythm, start: datetime, start_day: date, tz: ZoneInfo
) -> list[Request]:
    if s.notice_given_at is not None:
        # Never before the client was told, nor on that day: they may be told at a session
        # later that day. The therapist enters the day (notice_given_at).
        told = _day(s.notice_given_at, tz) + timedelta(days=1)
        notice = localize(told, time(0, 0), tz).astimezone(UTC)
    else:
        notice = start - NOTICE_DEFAULT
    window = max(_utc(s.now), notice)
    return [
        Request(Category.PREPARATION, start_day - timedelta(days=n), MEDIUM, 1, 0, window, start)
        for n in rhythm.preparation
    ]


# --- Ending ----------------------------------------------------------------------------


def _ending(s: PlanSettings, tz: ZoneInfo) -> list[Request]:
    start = _utc(s.starts_at)
    last = _utc(s.ends_at or s.starts_at)  # without ends_at, starts_at is the last session
    last_day, start_day = _day(last, tz), _day(start, tz)
    requests = []
    if s.ends_at is not None:
        before = [(n, Category.TAPER) for n in TAPER_DAYS]
        before += [(n, Category.PREPARATION) for n in ENDING_PREPARATION_DAYS]
        for n, category in sorted(before, reverse=True):
            day = last_day - timedelta(days=n)
            if day >= start_day:
                requests.append(Request(category, day, HIGH, 0, 1, start, last))
    # The ending itself is acknowledged first; then the follow-ups, the first of which says
    # what they are (its lead template), and a last message that closes them.
    acknowledged = _day(last + ACKNOWLEDGEMENT_DELAY, tz)
    if not s.follow_ups:
        # The client has not said yes to follow-ups: after the last session, only the
        # reminders of the booster sessions they booked.
        return requests + _booster_reminders(s, tz, last, acknowledged)[0]
    requests.append(Request(Category.ACKNOWLEDGEMENT, acknowledged, HIGH, 1, 2, last))
    for months, days in FOLLOW_UPS:
        day = add_months(last_day, months) + timedelta(days=days)
        requests.append(Request(Category.FOLLOW_UP, day, HIGH, 1, 2, last))
    closing = add_months(last_day, CLOSING_MONTHS)
    for months in RELAPSE_PREVENTION_MONTHS:
        day = add_months(last_day, months) + AFTERCARE_DELAY
        requests.append(Request(Category.RELAPSE_PREVENTION, day, HIGH, 1, 2, last))
    boosters, last_booster = _booster_reminders(s, tz, last, acknowledged)
    requests += boosters
    if last_booster is not None:
        closing = max(closing, last_booster + timedelta(days=14))
    requests.append(Request(Category.CLOSING, closing, HIGH, 1, 2, last))
    # Hope pointed outward, toward the client's own life and people, in the first weeks.
    requests.append(Request(Category.HOPE, last_day + timedelta(days=3), MEDIUM, 1, 1, last))
    requests.append(Request(Category.CONNECTION, last_day + timedelta(days=10), MEDIUM, 1, 1, last))
    # Something for a hard day, and an invitation to keep notes for oneself.
    requests.append(Request(Category.COPING, last_day + timedelta(days=17), MEDIUM, 1, 1, last))
    requests.append(Request(Category.CHECK_IN, last_day + timedelta(days=21), MEDIUM, 1, 1, last))
    return requests


def _booster_reminders(
    s: PlanSettings, tz: ZoneInfo, last: datetime, acknowledged: date
) -> tuple[list[Request], date | None]:
    """A booster is spoken of only when one is booked: a reminder a week before each (and
    the local day of the last booster, which the closing message waits for)."""
    requests, last_day = [], None
    for booster in sorted(_utc(b) for b in s.booster_sessions):
        if booster <= last:
            continue
        day = max(_day(booster, tz) - timedelta(days=BOOSTER_REMINDER_DAYS), acknowledged)
        requests.append(Request(Category.BOOSTER, day, HIGH, 1, 2, last, booster, about=booster))
        last_day = _day(booster, tz)
    return requests, last_day
