"""Templates in the schedule: which are eligible, how they rotate, the client's own words
first, and placeholders checked and filled (planner.schedule.text)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from planner.schedule.engine import plan_schedule
from planner.schedule.text import render, template_placeholders, validate_template
from planner.schedule.types import Amount, Category, Kind, PlanSettings, TemplateSpec
from tests.schedule.helpers import LIBRARY, NY, settings_with


def test_a_category_without_templates_is_skipped():
    library = [t for t in LIBRARY if t.category not in {Category.HOPE, Category.COUNTDOWN}]
    plan = plan_schedule(settings_with(), library)
    assert plan and not {Category.HOPE, Category.COUNTDOWN} & {p.category for p in plan}
    assert plan_schedule(settings_with(), []) == []


def test_personal_templates_need_the_clients_own_strategies_and_contacts():
    used = {p.template_id for p in plan_schedule(settings_with(), LIBRARY)}
    assert not {"coping-own", "connection-own"} & used
    s = settings_with(
        coping_strategies=("a walk", "music"),
        support_contact_names=("Sam",),
        amount=Amount.MORE,
        starts_at=datetime(2026, 5, 1, 17, 0, tzinfo=NY),
        now=datetime(2026, 4, 1, tzinfo=NY),
    )
    plan = plan_schedule(s, LIBRARY)
    own = [p.context for p in plan if p.template_id == "coping-own"]
    assert own[:2] == [{"strategy": "a walk"}, {"strategy": "music"}]
    assert {"contact_name": "Sam"} in [p.context for p in plan if p.template_id == "connection-own"]
    assert all(p.context == {} for p in plan if not p.template_id.endswith("-own"))


def test_the_seed_changes_the_rotation_but_not_the_times():
    a = plan_schedule(settings_with(seed=1), LIBRARY)
    b = plan_schedule(settings_with(seed=2), LIBRARY)
    assert [p.send_at for p in a] == [p.send_at for p in b]
    assert [p.template_id for p in a] != [p.template_id for p in b]


def test_template_placeholders_and_validation():
    assert template_placeholders("Hi {first_name}, try {strategy}. {{literal}}") == {
        "first_name",
        "strategy",
    }
    good = TemplateSpec("coping-01", Category.COPING, "Hi {first_name}")
    assert validate_template(good) == []
    typo = TemplateSpec("coping-07", Category.COPING, "Hi {nmae}, and {}")
    assert validate_template(typo) == [
        "template coping-07: unknown placeholder {nmae}",
        "template coping-07: unknown placeholder {}",
    ]
    broken = TemplateSpec("hope-02", Category.HOPE, "Hi {first_name")
    (error,) = validate_template(broken)
    assert error.startswith("template hope-02: malformed braces")
    fancy = TemplateSpec("hope-03", Category.HOPE, "{first_name!r:>10}")
    assert "hope-03" in validate_template(fancy)[0]


def test_a_broken_template_in_the_library_is_never_used():
    library = [*LIBRARY, TemplateSpec("hope-bad", Category.HOPE, "Hello {nmae}")]
    assert "hope-bad" not in {p.template_id for p in plan_schedule(settings_with(), library)}


def test_render_fills_placeholders_and_never_invents_a_fact():
    text = "Hi {first_name}, {therapist_name} is back on {return_date}. Try {strategy}."
    context = {"first_name": "Ana", "therapist_name": "Dr Lee", "return_date": "Monday 20 July"}
    assert render(text, {**context, "strategy": "a walk"}) == (
        "Hi Ana, Dr Lee is back on Monday 20 July. Try a walk."
    )
    # Only the name and the therapist have a stand-in; a fact is never made up (the engine
    # does not pick a template whose facts are missing).
    assert render("Hi {first_name}, {therapist_name} is away.", {}) == (
        "Hi, your therapist is away."
    )
    assert "the covering clinician" not in render("{covering_name} covers.", {})
    assert render("Hi {first_name}", {"first_name": "  "}) == "Hi"
    assert render("Hi {nmae} {first_name", {}) == "Hi {nmae} {first_name"  # never raises


def test_it_brings_the_clients_own_words_early_whatever_the_seed():
    """With coping strategies and people written down, the first coping and connection
    prompts of a break are the personal ones ("you wrote that ... helps")."""
    from pathlib import Path

    from planner.schedule.engine import plan_schedule
    from planner.schedule.library import load_prompt_library
    from planner.schedule.types import Category

    library = load_prompt_library(Path(__file__).resolve().parents[2] / "seeds" / "prompts.json")
    start = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    for seed in range(40):
        plan = plan_schedule(
            PlanSettings(
                kind=Kind.HOLIDAY,
                timezone="Europe/London",
                starts_at=start,
                ends_at=start + timedelta(days=27),
                return_session_at=start + timedelta(days=28),
                now=start - timedelta(days=20),
                coping_strategies=("a walk by the river",),
                support_contact_names=("Jamie",),
                seed=seed,
            ),
            library,
        )
        first = {
            c: next(p for p in plan if p.category == c)
            for c in (Category.COPING, Category.CONNECTION)
        }
        assert first[Category.COPING].context == {"strategy": "a walk by the river"}, seed
        assert first[Category.CONNECTION].context == {"contact_name": "Jamie"}, seed
