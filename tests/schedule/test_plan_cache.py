"""Planning a caseload with one PlanCache gives each break the plan it gets on its own.

The cache shares template choices and placements between breaks whose plans have the same
shape; these settings share shapes in some ways and not in others (zones across DST changes,
seeds, the client's words, a map, feedback, a lean, what was sent) and are planned in two
orders, so nothing one plan leaves in the cache may change another. Pure: no database.
"""

from __future__ import annotations

from dataclasses import astuple, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from planner.schedule.engine import PlanCache, plan_schedule
from planner.schedule.library import load_prompt_library
from planner.schedule.supports import support_item
from planner.schedule.types import (
    Amount,
    Category,
    Delivered,
    Kind,
    PlannedPrompt,
    PlanSettings,
)

LIBRARY = load_prompt_library(Path(__file__).resolve().parents[2] / "seeds" / "prompts.json")
# Europe and North America leave summer time on 25 October and 1 November 2026; Sydney
# starts it on 4 October.
START = datetime(2026, 10, 16, 8, 0, tzinfo=UTC)


def _holiday(zone: str, seed: int, **extra: object) -> PlanSettings:
    fields: dict[str, object] = {
        "kind": Kind.HOLIDAY,
        "timezone": zone,
        "starts_at": START,
        "ends_at": START + timedelta(days=28),
        "return_session_at": START + timedelta(days=29),
        "now": START - timedelta(days=20),
        "quiet_hours_start": time(22, 0),
        "quiet_hours_end": time(7, 0),
        "seed": seed,
        **extra,
    }
    return PlanSettings(**fields)  # type: ignore[arg-type]


def _caseload() -> list[PlanSettings]:
    words = {
        "coping_strategies": ("a walk by the river", "the breathing app"),
        "support_contact_names": ("Jamie",),
        "reasons_for_hope": ("my sister's wedding",),
    }
    choir = support_item("Saturday choir", "group", ["company"], ["sat"])
    garden = support_item("the allotment", "place", ["calm"], ["evenings"])
    sent = Delivered(Category.PREPARATION, "preparation-01", START - timedelta(days=14))
    found = []
    for zone in ("Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"):
        for seed in (11, 12):
            found.append(_holiday(zone, seed))  # the same shape, another seed
        found.append(_holiday(zone, 13, **words))
        found.append(_holiday(zone, 14, support_map=(choir, garden), **words))
        found.append(_holiday(zone, 15, lean_since=START + timedelta(days=3)))
        found.append(_holiday(zone, 16, blocked_templates=frozenset({"coping-01", "hope-02"})))
        found.append(_holiday(zone, 17, category_weights=((Category.HOPE, 2),)))
        found.append(_holiday(zone, 18, has_cover=True, amount=Amount.MORE))
        found.append(_holiday(zone, 19, delivered=(sent,), now=START - timedelta(days=10)))
        found.append(_holiday(zone, 20, kind=Kind.GAP, quiet_hours_start=None))
        found.append(
            _holiday(
                zone,
                21,
                kind=Kind.UNPLANNED,
                now=START,
                ends_at=None,
                return_session_at=None,
                has_sessions_plan=True,
            )
        )
        found.append(
            _holiday(
                zone,
                22,
                kind=Kind.ENDING,
                ends_at=START + timedelta(days=90),
                return_session_at=None,
                follow_ups=True,
                learned=("I can ask for help early",),
            )
        )
    found.append(replace(found[0], prompt_times=(time(8, 15), time(20, 30))))
    return found


def _values(plan: list[PlannedPrompt]) -> list[tuple]:
    # ``context`` is left out of a PlannedPrompt's equality: compare it too.
    return [(*astuple(p), sorted(p.context.items())) for p in plan]


def test_one_cache_for_a_caseload_plans_each_break_as_it_is_planned_alone():
    caseload = _caseload()
    alone = [_values(plan_schedule(settings, LIBRARY)) for settings in caseload]
    assert all(len(plan) > 5 for plan in alone)
    for order in (caseload, caseload[::-1]):
        shared = PlanCache(LIBRARY)
        together = {id(s): _values(shared.plan(s)) for s in order}
        assert [together[id(s)] for s in caseload] == alone
    # The shapes differ where they should: the zones move the instants, the words the text.
    london, new_york = alone[0], alone[len(alone) // 4]
    assert {row[3] for row in london}.isdisjoint({row[3] for row in new_york})
    assert alone[0] != alone[1]  # another seed, other templates
