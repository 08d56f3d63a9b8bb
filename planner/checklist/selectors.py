"""Reads of the pre-break checklist: its items for a kind of break, their state, and the
gentle reminders on the therapist's dashboard.

An item is ticked when the break's ``checklist`` holds it (with the time it was ticked).
Two items are facts the plan already holds: notice given is the plan's ``notice_given_at``
(its date), and a return session is booked when the plan has one (a tick says so when it
was booked elsewhere). An unplanned absence has no checklist: nothing came before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils.timezone import now as current_time
from django.utils.translation import gettext_lazy as _

from core.models import User
from planner.breaks.selectors import breaks_for_therapist
from planner.models import Break

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The dashboard reminds of unticked items this many days before the break (an ending: its
# last session), until it comes.
REMINDER_DAYS = 21

NOTICE = "notice_given"
RETURN = "return_booked"
BEFORE_A_BREAK = (Break.Kind.HOLIDAY, Break.Kind.GAP)
WITH_A_CHECKLIST = (*BEFORE_A_BREAK, Break.Kind.ENDING)


@dataclass(frozen=True)
class ItemSpec:
    key: str
    label: StrOrPromise
    kinds: tuple[str, ...]


ITEMS = (
    ItemSpec(NOTICE, _("Notice given"), WITH_A_CHECKLIST),
    ItemSpec(
        "talked_through", _("The break and the feelings about it talked through"), WITH_A_CHECKLIST
    ),
    ItemSpec(
        "safety_plan_reviewed", _("The safety plan reviewed together in session"), WITH_A_CHECKLIST
    ),
    ItemSpec("cover_arranged", _("Cover arranged and explained"), BEFORE_A_BREAK),
    ItemSpec("escalation_discussed", _("Escalation consent discussed"), BEFORE_A_BREAK),
    ItemSpec(
        "crisis_lines_checked",
        _("Country and crisis lines checked with the client"),
        WITH_A_CHECKLIST,
    ),
    ItemSpec(RETURN, _("Return session booked"), BEFORE_A_BREAK),
)
ITEM_KEYS = tuple(item.key for item in ITEMS)
TICKED_KEYS = tuple(key for key in ITEM_KEYS if key != NOTICE)  # stored in Break.checklist


@dataclass(frozen=True)
class Item:
    key: str
    label: StrOrPromise
    done: bool
    notice_day: date | None = None  # notice given: the day, in the break's zone
    return_at: datetime | None = None  # return booked: the session the plan holds


def items_for_kind(kind: str) -> tuple[ItemSpec, ...]:
    return tuple(item for item in ITEMS if kind in item.kinds)


def notice_day(brk: Break) -> date | None:
    if brk.notice_given_at is None:
        return None
    return brk.notice_given_at.astimezone(ZoneInfo(brk.timezone)).date()


def checklist_items(brk: Break) -> list[Item]:
    """The break's checklist, in order, each item ticked or not."""
    ticked = brk.checklist or {}
    items = []
    for spec in items_for_kind(brk.kind):
        if spec.key == NOTICE:
            items.append(
                Item(spec.key, spec.label, brk.notice_given_at is not None, notice_day(brk))
            )
        elif spec.key == RETURN:
            booked = brk.return_session_at is not None
            items.append(
                Item(
                    spec.key,
                    spec.label,
                    booked or RETURN in ticked,
                    return_at=brk.return_session_at,
                )
            )
        else:
            items.append(Item(spec.key, spec.label, spec.key in ticked))
    return items


def checklist_state(brk: Break) -> dict[str, Any]:
    """The checklist as the API shows it: the notice day (or null), every other item a
    boolean; only the items of the break's kind."""
    return {
        item.key: (item.notice_day.isoformat() if item.notice_day else None)
        if item.key == NOTICE
        else item.done
        for item in checklist_items(brk)
    }


def approaching_at(brk: Break) -> datetime:
    """What the checklist prepares for: the start of a break, the last session of an ending."""
    return brk.last_session_at or brk.starts_at


@dataclass(frozen=True)
class Reminder:
    brk: Break
    days_until: int
    open_items: list[Item]


def reminders_for_therapist(
    therapist: User, *, at: datetime | None = None, within_days: int = REMINDER_DAYS
) -> list[Reminder]:
    """Breaks (and endings) coming within ``within_days`` whose checklist has unticked items,
    soonest first. Reminders only: nothing waits on them."""
    at = at or current_time()
    horizon = at + timedelta(days=within_days)
    candidates = (
        breaks_for_therapist(therapist)
        .filter(
            status__in=[Break.Status.DRAFT, *Break.LIVE_STATUSES],
            kind__in=WITH_A_CHECKLIST,
            starts_at__lte=horizon,
        )
        .select_related("client")
        .order_by("starts_at", "id")[:200]
    )
    reminders = []
    for brk in candidates:
        when = approaching_at(brk)
        if not at < when <= horizon:
            continue
        open_items = [item for item in checklist_items(brk) if not item.done]
        if open_items:
            reminders.append(Reminder(brk, (when - at).days, open_items))
    return sorted(reminders, key=lambda r: (approaching_at(r.brk), r.brk.pk))
