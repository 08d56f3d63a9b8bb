"""The schedule as a picture: one column per local day, one mark per prompt, as inline SVG.

Rendered on the server from ``selectors.ScheduleRow`` rows and the break's settings, so the
plan builder's preview, the break's page and the client's preferences show the same
drawing. No ORM and no clock: everything arrives as arguments, which keeps it testable.

Colours are presentation attributes, not ``style``: the Content-Security-Policy forbids
inline styles. The drawing is one ``role="img"`` with a title and a description; the same
schedule is also given as a table under a ``<details>``, for screen readers and for anyone
who prefers text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from planner.schedule.types import Category

# Colour per category: dark enough for 3:1 against white (non-text contrast), and told
# apart by the legend, each mark's tooltip and the table, never by colour alone.
CATEGORY_COLOURS: dict[str, str] = {
    Category.PREPARATION.value: "#6b4c9a",
    Category.FIRST_CONTACT.value: "#245f73",
    Category.COPING.value: "#1d6b3a",
    Category.GROUNDING.value: "#7a5c00",
    Category.CONNECTION.value: "#b0413e",
    Category.HOPE.value: "#b35900",
    Category.CHECK_IN.value: "#0b5cad",
    Category.COUNTDOWN.value: "#55606a",
    Category.RETURN.value: "#1f2a33",
    Category.REVIEW.value: "#8a4b00",
    Category.TAPER.value: "#5b3f8c",
    Category.FOLLOW_UP.value: "#0f6e6e",
    Category.RELAPSE_PREVENTION.value: "#8c2f5d",
    Category.BOOSTER.value: "#3d5a1e",
    Category.UNPLANNED_NOTICE.value: "#4a5863",
}
DEFAULT_COLOUR = "#4a5863"

# Geometry, in SVG user units (= CSS pixels at 100%).
LEFT, TOP, BOTTOM, RIGHT = 44, 48, 16, 12
HOUR = 9  # vertical units per hour: the day is 216 units tall
MIN_COLUMN, MAX_COLUMN, TARGET_WIDTH = 16, 64, 880
MAX_DAYS = 400  # an ending's follow-ups run about six months; a year is plenty


def category_label(category: str) -> str:
    labels = {
        "preparation": _("Preparation"),
        "first_contact": _("First message"),
        "coping": _("Coping"),
        "grounding": _("Grounding"),
        "connection": _("Connection"),
        "hope": _("Hope"),
        "check_in": _("Check-in"),
        "countdown": _("Countdown"),
        "return": _("Return"),
        "review": _("Review"),
        "taper": _("Taper"),
        "follow_up": _("Follow-up"),
        "relapse_prevention": _("Relapse prevention"),
        "booster": _("Booster session"),
        "unplanned_notice": _("Notice"),
    }
    return labels.get(category, category.replace("_", " ").capitalize())


def status_label(status: str) -> str:
    labels = {
        "preview": _("planned (preview)"),
        "pending": _("planned"),
        "claimed": _("sending"),
        "sent": _("sent"),
        "skipped": _("skipped"),
        "failed": _("failed"),
        "unconfirmed": _("unconfirmed"),
    }
    return labels.get(status, status)


@dataclass(frozen=True)
class TimelineSettings:
    """The parts of a break the drawing needs."""

    timezone: str
    starts_at: datetime
    ends_at: datetime | None = None
    return_session_at: datetime | None = None
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    kind: str = "holiday"

    @classmethod
    def from_break(cls, brk) -> TimelineSettings:
        return cls(
            timezone=brk.timezone,
            starts_at=brk.starts_at,
            ends_at=brk.ends_at,
            return_session_at=brk.return_session_at,
            quiet_hours_start=brk.quiet_hours_start,
            quiet_hours_end=brk.quiet_hours_end,
            kind=brk.kind,
        )


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    colour: str
    title: str
    category: str
    status: str
    local: datetime


def _days(rows: Sequence, settings: TimelineSettings, tz: ZoneInfo) -> list[date]:
    points = [settings.starts_at.astimezone(tz).date()]
    points += [row.send_at.astimezone(tz).date() for row in rows]
    for extra in (settings.ends_at, settings.return_session_at):
        if extra is not None:
            points.append(extra.astimezone(tz).date())
    first = min(points)
    last = min(max(points), first + timedelta(days=MAX_DAYS - 1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _y(moment: time) -> float:
    return TOP + (moment.hour + moment.minute / 60) * HOUR


def _quiet_bands(start: time | None, end: time | None) -> list[tuple[float, float]]:
    """(top, bottom) of the quiet hours within one day column; two bands when they wrap."""
    if start is None or end is None or start == end:
        return []
    bottom = TOP + 24 * HOUR
    if start < end:
        return [(_y(start), _y(end))]
    return [(TOP, _y(end)), (_y(start), bottom)]


def _when(local: datetime) -> str:
    return date_format(local, "D j M, H:i")


def timeline_svg(
    rows: Sequence, settings: TimelineSettings, *, id_prefix: str = "timeline"
) -> SafeString:
    """The SVG drawing of a schedule. ``rows`` are ``selectors.ScheduleRow``-like objects."""
    tz = ZoneInfo(settings.timezone)
    days = _days(rows, settings, tz)
    column = max(MIN_COLUMN, min(MAX_COLUMN, TARGET_WIDTH // max(1, len(days))))
    width = LEFT + column * len(days) + RIGHT
    height = TOP + 24 * HOUR + BOTTOM
    index = {day: i for i, day in enumerate(days)}

    def x_of(day: date) -> float:
        return LEFT + index[day] * column

    parts: list[str] = []
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    quiet = _quiet_bands(start, end)
    quiet_text = (
        _("Quiet hours %(start)s to %(end)s are shaded.")
        % {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
        if quiet and start is not None and end is not None
        else _("No quiet hours.")
    )
    description = " ".join(
        [
            ngettext(
                "%(count)d prompt over %(days)d days, one column per day, time of day downwards.",
                "%(count)d prompts over %(days)d days, one column per day, time of day downwards.",
                len(rows),
            )
            % {"count": len(rows), "days": len(days)},
            quiet_text,
            _("The same schedule is listed in the table below."),
        ]
    )
    data_quiet = ""
    if quiet:
        data_quiet = (
            f' data-quiet-start="{settings.quiet_hours_start:%H:%M}"'
            f' data-quiet-end="{settings.quiet_hours_end:%H:%M}"'
        )
    parts.append(
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" data-days="{len(days)}" '
        f'data-marks="{len(rows)}"{data_quiet}>'
        f'<title id="{title_id}">{escape(_("Schedule of prompts, day by day"))}</title>'
        f'<desc id="{desc_id}">{escape(description)}</desc>'
    )
    # Background: the break itself is a light band; days outside it stay white.
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{column * len(days)}" height="{24 * HOUR}" '
        'fill="#ffffff" stroke="#aab3ba"/>'
    )
    start_day = settings.starts_at.astimezone(tz).date()
    end_day = settings.ends_at.astimezone(tz).date() if settings.ends_at else days[-1]
    if start_day in index:
        span = (min(end_day, days[-1]) - start_day).days + 1
        parts.append(
            f'<rect class="break-span" x="{x_of(start_day)}" y="{TOP}" '
            f'width="{column * span}" height="{24 * HOUR}" fill="#eef4f6"/>'
        )
    for top, bottom in quiet:
        parts.append(
            f'<rect class="quiet" x="{LEFT}" y="{top:.1f}" width="{column * len(days)}" '
            f'height="{bottom - top:.1f}" fill="#dcd8ec" fill-opacity="0.75"/>'
        )
    parts.extend(_grid(days, column, x_of))
    parts.extend(_return_marker(settings, tz, index, x_of, column))
    for mark in _marks(rows, tz, index, x_of, column):
        parts.append(_mark_svg(mark))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def _grid(days: list[date], column: int, x_of) -> list[str]:
    parts = []
    label_every = 1 if column >= 18 else 7
    for hour in (0, 6, 12, 18, 24):
        y = TOP + hour * HOUR
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + column * len(days)}" y2="{y}" '
            'stroke="#c9d0d5" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="11" '
            f'fill="#4a5863">{hour:02d}:00</text>'
        )
    for i, day in enumerate(days):
        x = x_of(day)
        if i:
            parts.append(
                f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{TOP + 24 * HOUR}" '
                'stroke="#d5d9dc" stroke-width="0.5"/>'
            )
        centre = x + column / 2
        if i == 0 or day.day == 1:  # the month, where it starts and at the left edge
            parts.append(
                f'<text x="{x + 2:.1f}" y="{TOP - 32}" font-size="11" font-weight="600" '
                f'fill="#1f2a33">{escape(date_format(day, "M"))}</text>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{centre:.1f}" y="{TOP - 18}" text-anchor="middle" '
                f'font-size="10" fill="#4a5863">{escape(date_format(day, "D")[:2])}</text>'
                f'<text x="{centre:.1f}" y="{TOP - 5}" text-anchor="middle" '
                f'font-size="11" fill="#1f2a33">{day.day}</text>'
            )
    return parts


def _return_marker(settings: TimelineSettings, tz: ZoneInfo, index, x_of, column) -> list[str]:
    if settings.return_session_at is None:
        return []
    local = settings.return_session_at.astimezone(tz)
    if local.date() not in index:
        return []
    x = x_of(local.date()) + column / 2
    y = _y(local.time())
    label = escape(_("Return session: %(when)s") % {"when": _when(local)})
    return [
        f'<g class="return-session"><title>{label}</title>'
        f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + 24 * HOUR}" '
        'stroke="#1f2a33" stroke-width="2" stroke-dasharray="4 3"/>'
        f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" '
        f'transform="rotate(45 {x:.1f} {y:.1f})" fill="#1f2a33"/></g>'
    ]


def _marks(rows: Sequence, tz: ZoneInfo, index, x_of, column) -> list[Mark]:
    marks = []
    for row in rows:
        local = row.send_at.astimezone(tz)
        if local.date() not in index:
            continue
        label = _("%(when)s: %(category)s, %(status)s") % {
            "when": _when(local),
            "category": category_label(row.category),
            "status": status_label(row.status),
        }
        marks.append(
            Mark(
                x=x_of(local.date()) + column / 2,
                y=_y(local.time()),
                colour=CATEGORY_COLOURS.get(row.category, DEFAULT_COLOUR),
                title=label,
                category=row.category,
                status=row.status,
                local=local,
            )
        )
    return marks


def _mark_svg(mark: Mark) -> str:
    """A filled dot for sent or planned prompts; a hollow one for skipped; a ring for failed."""
    hollow = mark.status in ("skipped", "failed", "unconfirmed")
    fill = "#ffffff" if hollow else mark.colour
    stroke = "#a3122a" if mark.status in ("failed", "unconfirmed") else mark.colour
    return (
        f'<circle class="mark" cx="{mark.x:.1f}" cy="{mark.y:.1f}" r="5" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="2" data-category="{escape(mark.category)}" '
        f'data-status="{escape(mark.status)}" data-local="{mark.local:%Y-%m-%dT%H:%M}">'
        f"<title>{escape(mark.title)}</title></circle>"
    )


def legend(rows: Sequence) -> list[tuple[str, str]]:
    """(label, colour) of the categories present, in the order of the Category enum."""
    present = {row.category for row in rows}
    return [
        (category_label(c.value), CATEGORY_COLOURS[c.value])
        for c in Category
        if c.value in present and c.value in CATEGORY_COLOURS
    ]


@dataclass(frozen=True)
class TableRow:
    when: str
    category: str
    status: str
    text: str


def table_rows(rows: Sequence, settings: TimelineSettings) -> list[TableRow]:
    tz = ZoneInfo(settings.timezone)
    return [
        TableRow(
            when=_when(row.send_at.astimezone(tz)),
            category=category_label(row.category),
            status=status_label(row.status),
            text=row.text,
        )
        for row in rows
    ]


def timeline_context(
    rows: Sequence,
    settings: TimelineSettings,
    *,
    id_prefix: str = "timeline",
    show_text: bool = True,
) -> dict:
    """Everything ``planner/partials/timeline.html`` needs."""
    tz = ZoneInfo(settings.timezone)
    return_local = settings.return_session_at.astimezone(tz) if settings.return_session_at else None
    return {
        "svg": timeline_svg(rows, settings, id_prefix=id_prefix),
        "legend": legend(rows),
        "table": table_rows(rows, settings),
        "show_text": show_text,
        "id_prefix": id_prefix,
        "count": len(rows),
        "return_local": return_local,
        "timezone": settings.timezone,
        "has_quiet": bool(_quiet_bands(settings.quiet_hours_start, settings.quiet_hours_end)),
    }
