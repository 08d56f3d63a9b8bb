"""The engine and the support map: a map prompt only when the item is there, in the client's
words; "Not for me" and the weights; the lean after a high check-in. Pure: no database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from planner.schedule.engine import plan_schedule, weighted_rotation
from planner.schedule.library import load_prompt_library
from planner.schedule.supports import WEEKDAY_TOKENS, is_there, support_item
from planner.schedule.text import quoted_words
from planner.schedule.types import Amount, Category, Kind, PlanSettings

LIBRARY = load_prompt_library(Path(__file__).resolve().parents[2] / "seeds" / "prompts.json")
MAP_IDS = {t.id for t in LIBRARY if "{support}" in t.text}


def _settings(start: datetime, zone: str = "Europe/London", days: int = 28, **extra):
    return PlanSettings(
        kind=Kind.HOLIDAY,
        timezone=zone,
        starts_at=start,
        ends_at=start + timedelta(days=days),
        return_session_at=start + timedelta(days=days, hours=2),
        now=start - timedelta(days=20),
        **extra,
    )


def _map_prompts(plan):
    return [p for p in plan if p.template_id in MAP_IDS]


def test_a_map_prompt_is_only_planned_when_its_item_is_there_across_a_dst_change():
    # Europe/Berlin leaves summer time on Sunday 25 October 2026: the week spans it.
    start = datetime(2026, 10, 19, 8, 0, tzinfo=UTC)
    items = (
        support_item("Thursday choir", "group", ["company"], ["thu"]),
        support_item("Sunday swim", "activity", ["calm"], ["sun"]),
        support_item("Evening call with Mum", "person", ["comfort"], ["evenings"]),
    )
    tz = ZoneInfo("Europe/Berlin")
    found = 0
    for seed in range(12):
        plan = plan_schedule(
            _settings(start, "Europe/Berlin", support_map=items, seed=seed), LIBRARY
        )
        for prompt in _map_prompts(plan):
            found += 1
            local = prompt.send_at.astimezone(tz)
            item = next(i for i in items if quoted_words(i.name) == prompt.context["support"])
            assert is_there(item, local)
            assert prompt.context["support_day"].split()[0] == local.strftime("%A")
            if item.evenings:
                assert local.hour >= 17 and prompt.context["support_day"].endswith("evening")
    assert found


def test_an_item_without_a_when_is_never_quoted_with_a_day():
    start = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # over the spring change in London
    items = (support_item("Jamie", "person", ["company"], []),)
    for seed in range(8):
        plan = plan_schedule(_settings(start, support_map=items, seed=seed), LIBRARY)
        assert not _map_prompts(plan)


def test_a_blocked_template_is_never_planned():
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    plan = plan_schedule(_settings(start), LIBRARY)
    used = {p.template_id for p in plan if p.category in (Category.COPING, Category.HOPE)}
    again = plan_schedule(_settings(start, blocked_templates=frozenset(used)), LIBRARY)
    assert used and not used & {p.template_id for p in again}


def test_weights_change_how_often_a_category_comes_up():
    order = [Category.CONNECTION, Category.COPING, Category.HOPE, Category.GROUNDING]
    assert weighted_rotation(order, {}) == order + order
    counts = Counter(weighted_rotation(order, {Category.COPING: 2, Category.HOPE: -3}))
    assert counts[Category.COPING] == 4 and counts[Category.HOPE] == 1
    assert counts[Category.CONNECTION] == counts[Category.GROUNDING] == 2


def test_the_lean_runs_from_the_check_in_to_the_next_check_in_invitation():
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    plain = plan_schedule(_settings(start, amount=Amount.MORE), LIBRARY)
    since = start + timedelta(days=2)
    plan = plan_schedule(_settings(start, amount=Amount.MORE, lean_since=since), LIBRARY)
    invitations = [p.send_at for p in plan if p.category is Category.CHECK_IN and p.send_at > since]
    until = min(invitations)
    leaning = [p for p in plan if p.lean]
    assert leaning and len(plan) == len(plain)
    for p in leaning:
        assert since <= p.send_at < until and p.category in (Category.COPING, Category.GROUNDING)
    assert not [p for p in plan if p.send_at >= until and p.lean]


def test_the_clients_words_are_made_safe_inside_quotes():
    assert quoted_words('  The "big"\n{choir}  ') == "The 'big' {choir}"
    assert len(quoted_words("x" * 200)) == 80
    assert WEEKDAY_TOKENS[3] == "thu"
