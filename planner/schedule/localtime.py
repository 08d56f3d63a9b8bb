"""Local wall-clock time: DST gaps and folds, and quiet hours that may wrap midnight.

All instants are UTC. Aware datetimes sharing one ZoneInfo compare and subtract by wall clock
(ignoring fold), which is wrong across DST changes, so every comparison here is made in UTC.
Pure: no Django, no clock ("now" is always passed in).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.schedule.types import PlanSettings


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


def is_quiet(instant: datetime, settings: PlanSettings, tz: ZoneInfo) -> bool:
    local = instant.astimezone(tz).time()
    return in_quiet_hours(local, settings.quiet_hours_start, settings.quiet_hours_end)


def end_of_quiet_hours(instant: datetime, settings: PlanSettings, tz: ZoneInfo) -> datetime:
    """The UTC instant the quiet hours containing ``instant`` end (``instant`` if none)."""
    if not is_quiet(instant, settings, tz):
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
        if is_quiet(t, settings, tz):
            return t
        t += timedelta(minutes=1)
    return end
