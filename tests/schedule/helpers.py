"""The small prompt library and the plan settings the schedule tests build on."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from planner.schedule.types import Category, Kind, PlannedPrompt, PlanSettings, TemplateSpec

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
BREAK_KINDS = frozenset({Kind.HOLIDAY, Kind.GAP, Kind.UNPLANNED})
ENDING_ONLY = frozenset({Kind.ENDING})
ENDING_CATEGORIES = {
    Category.TAPER,
    Category.FOLLOW_UP,
    Category.RELAPSE_PREVENTION,
    Category.BOOSTER,
    Category.ACKNOWLEDGEMENT,
    Category.CLOSING,
}
UNPLANNED_CATEGORIES = {Category.UNPLANNED_NOTICE, Category.RETURN_BOOKED, Category.STILL_AWAY}


def _library() -> list[TemplateSpec]:
    """Three templates per category; coping and connection each have a personal one."""
    library = []
    for category in Category:
        if category in ENDING_CATEGORIES:
            kinds = ENDING_ONLY
        elif category in UNPLANNED_CATEGORIES:
            kinds = frozenset({Kind.UNPLANNED})
        elif category in {Category.HOPE, Category.CONNECTION}:
            kinds = frozenset(Kind)
        else:
            kinds = BREAK_KINDS
        for i in range(3):
            text = f"Hi {{first_name}}, {category.value} number {i}."
            library.append(TemplateSpec(f"{category.value}-{i}", category, text, kinds))
    library.append(
        TemplateSpec("coping-own", Category.COPING, "Maybe try {strategy} today?", BREAK_KINDS)
    )
    library.append(
        TemplateSpec("connection-own", Category.CONNECTION, "Could {contact_name} join you?")
    )
    return library


LIBRARY = _library()


def settings_with(**changes: object) -> PlanSettings:
    base: dict[str, object] = {
        "kind": Kind.HOLIDAY,
        "timezone": "America/New_York",
        "starts_at": datetime(2026, 7, 3, 17, 0, tzinfo=NY),
        "ends_at": datetime(2026, 7, 20, 8, 0, tzinfo=NY),
        "return_session_at": datetime(2026, 7, 20, 10, 0, tzinfo=NY),
        "now": datetime(2026, 6, 1, 12, 0, tzinfo=NY),
        "quiet_hours_start": time(22, 0),
        "quiet_hours_end": time(7, 0),
        "follow_ups": True,  # an ending's client said yes to follow-ups
    }
    base.update(changes)
    return PlanSettings(**base)  # type: ignore[arg-type]


def local_days(plan: list[PlannedPrompt], category: Category) -> list[date]:
    return [p.local_send_at.date() for p in plan if p.category is category]
