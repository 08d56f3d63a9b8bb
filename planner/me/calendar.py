"""The client's breaks as iCalendar: breaks, return sessions and booster sessions.

One VEVENT per non-draft, non-cancelled break (all-day when it starts and ends at local
midnight, else timed with the client's TZID), one per return session, one per booked
booster session of an ending (``Break.booster_sessions``: only sessions that are booked, at
their booked time), and a VTIMEZONE for the client's zone. UIDs are stable
(``break-12@between``), so a calendar that subscribes to the feed updates its events instead
of duplicating them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from planner.me.selectors import calendar_items_for_client
from planner.models import Break, Client

RETURN_SESSION_LENGTH = timedelta(minutes=50)
SUMMARIES: dict[str, str] = {
    Break.Kind.HOLIDAY: "Therapy break (holiday)",
    Break.Kind.GAP: "Longer gap between sessions",
    Break.Kind.UNPLANNED: "Therapy break (unplanned)",
    Break.Kind.ENDING: "Ending of therapy",
}


def _is_midnight(value: datetime, tz: ZoneInfo) -> bool:
    return value.astimezone(tz).time() == time(0, 0)


def _break_event(brk: Break, tz: ZoneInfo) -> Event:
    event = Event()
    event.add("uid", f"break-{brk.pk}@between")
    event.add("dtstamp", brk.updated_at)
    start, end = brk.starts_at, brk.ends_at
    summary = SUMMARIES.get(brk.kind, "Therapy break")
    if end is None and brk.kind == Break.Kind.UNPLANNED:
        # Open-ended: nobody knows the end yet, so the event marks only the day it began.
        summary = "Therapy break (unplanned) begins; no return date yet"
    event.add("summary", summary)
    if end is None:  # an open ending, or an open-ended absence: the day it starts
        event.add("dtstart", start.astimezone(tz).date())
        event.add("dtend", start.astimezone(tz).date() + timedelta(days=1))
    elif _is_midnight(start, tz) and _is_midnight(end, tz):
        event.add("dtstart", start.astimezone(tz).date())
        event.add("dtend", end.astimezone(tz).date())
    else:
        event.add("dtstart", start.astimezone(tz))
        event.add("dtend", end.astimezone(tz))
    event.add("transp", "TRANSPARENT")
    return event


def _return_event(brk: Break, tz: ZoneInfo) -> Event:
    assert brk.return_session_at is not None
    event = Event()
    event.add("uid", f"return-{brk.pk}@between")
    event.add("dtstamp", brk.updated_at)
    event.add("summary", "First session back")
    event.add("dtstart", brk.return_session_at.astimezone(tz))
    event.add("dtend", (brk.return_session_at + RETURN_SESSION_LENGTH).astimezone(tz))
    return event


def _booster_event(brk: Break, at: datetime, tz: ZoneInfo) -> Event:
    event = Event()
    event.add("uid", f"booster-{brk.pk}-{at.astimezone(tz):%Y%m%dT%H%M}@between")
    event.add("dtstamp", brk.updated_at)
    event.add("summary", "Booster session")
    event.add("dtstart", at.astimezone(tz))
    event.add("dtend", (at + RETURN_SESSION_LENGTH).astimezone(tz))
    return event


def calendar_for_client(client: Client) -> bytes:
    tz = ZoneInfo(client.timezone)
    breaks = calendar_items_for_client(client)
    cal = Calendar()
    cal.add("prodid", "-//Between//Between breaks//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Between")
    cal.add("x-wr-timezone", client.timezone)
    cal.add_component(Timezone.from_tzid(client.timezone))
    for brk in breaks:
        cal.add_component(_break_event(brk, tz))
        if brk.return_session_at is not None:
            cal.add_component(_return_event(brk, tz))
        if brk.kind == Break.Kind.ENDING:
            for at in brk.booster_datetimes:
                cal.add_component(_booster_event(brk, at, tz))
    return cal.to_ical()
