"""The support map as the engine reads it: when an item is there, and which prompts it suits.

Pure like the rest of the engine. An item's ``when`` is stored as tokens: weekdays
("mon" .. "sun"), "weekends", "evenings", and ISO dates ("2026-12-24"). A prompt that says
From your map: "Thursday choir" — it is Thursday is only planned for a local day and time the
item is there; an item with no ``when`` is never quoted with a day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from planner.schedule.types import Category, SupportItem

WEEKDAY_TOKENS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WHEN_TOKENS = (*WEEKDAY_TOKENS, "weekends", "evenings")
# English day names on purpose (the prompt library is English): not the process locale.
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EVENING_FROM = time(17, 0)

KINDS = ("person", "group", "place", "activity", "look_forward")
NEEDS = ("company", "practical", "comfort", "fun", "purpose", "calm")

# Which prompts an item can stand in: the needs it meets. The client's own words for a need
# count as connection (their people and activities), and something to look forward to is hope.
NEED_CATEGORIES = {
    "company": Category.CONNECTION,
    "practical": Category.CONNECTION,
    "fun": Category.CONNECTION,
    "comfort": Category.COPING,
    "calm": Category.GROUNDING,
    "purpose": Category.HOPE,
}
MAP_CATEGORIES = (Category.CONNECTION, Category.COPING, Category.GROUNDING, Category.HOPE)


def support_item(name: str, kind: str, needs: Iterable[str], when: Iterable[str]) -> SupportItem:
    """An item from its stored fields; unknown ``when`` tokens are ignored."""
    weekdays: set[int] = set()
    dates: set[date] = set()
    evenings = False
    for raw in when:
        word = str(raw)
        if word in WEEKDAY_TOKENS:
            weekdays.add(WEEKDAY_TOKENS.index(word))
        elif word == "weekends":
            weekdays |= {5, 6}
        elif word == "evenings":
            evenings = True
        else:
            try:
                dates.add(date.fromisoformat(word))
            except ValueError:
                continue
    return SupportItem(
        name=name,
        kind=kind,
        needs=frozenset(str(n) for n in needs),
        weekdays=frozenset(weekdays),
        evenings=evenings,
        dates=frozenset(dates),
    )


def has_when(item: SupportItem) -> bool:
    return bool(item.weekdays or item.dates or item.evenings)


def is_there(item: SupportItem, local: datetime) -> bool:
    """Whether the client said the item is there at this local wall-clock moment."""
    if not has_when(item):
        return False
    on_day = (not item.weekdays and not item.dates) or (
        local.weekday() in item.weekdays or local.date() in item.dates
    )
    if item.evenings:
        return on_day and local.time() >= EVENING_FROM
    return on_day


def day_phrase(item: SupportItem, local: datetime) -> str:
    """What is true of this moment, for "— it is {support_day}": the local day's name, and
    "evening" for an evening item (the prompt is then sent in the evening)."""
    name = DAY_NAMES[local.weekday()]
    return f"{name} evening" if item.evenings else name


def categories_of(item: SupportItem) -> frozenset[Category]:
    """The prompt categories an item suits, by the needs it meets."""
    found = {NEED_CATEGORIES.get(need, Category.CONNECTION) for need in item.needs}
    if item.kind == "look_forward":
        found.add(Category.HOPE)
    return frozenset(found or {Category.CONNECTION})
