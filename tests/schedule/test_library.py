"""The shipped prompt library (seeds/prompts.json) and its checks (planner.schedule.library)."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from planner.schedule.library import LibraryError, load_prompt_library
from planner.schedule.text import PLACEHOLDERS
from planner.schedule.types import Category, Kind

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "seeds" / "prompts.json"

# Minimum number of templates per category (from the content brief).
MIN_PER_CATEGORY = {
    Category.COPING: 14,
    Category.GROUNDING: 12,
    Category.HOPE: 12,
    Category.CONNECTION: 12,
    Category.CHECK_IN: 6,
    Category.PREPARATION: 8,
    Category.FIRST_CONTACT: 4,
    Category.COUNTDOWN: 6,
    Category.RETURN: 3,
    Category.REVIEW: 3,
    Category.TAPER: 5,
    Category.FOLLOW_UP: 8,
    Category.RELAPSE_PREVENTION: 5,
    Category.BOOSTER: 4,
    Category.UNPLANNED_NOTICE: 3,
    Category.RETURN_BOOKED: 3,
    Category.STILL_AWAY: 3,
    Category.ACKNOWLEDGEMENT: 3,
    Category.CLOSING: 3,
}
# Minimum per (category, kind) for every kind a category is used with: enough to rotate.
MIN_PER_KIND = {
    Category.COPING: 10,
    Category.GROUNDING: 10,
    Category.HOPE: 10,
    Category.CONNECTION: 10,
    Category.CHECK_IN: 5,  # an ending invites one check-in, after the last session
    Category.PREPARATION: 3,
    Category.FIRST_CONTACT: 1,
    Category.COUNTDOWN: 6,
    Category.RETURN: 3,
    Category.REVIEW: 3,
    Category.TAPER: 5,
    Category.FOLLOW_UP: 8,
    Category.RELAPSE_PREVENTION: 5,
    Category.BOOSTER: 4,
    Category.UNPLANNED_NOTICE: 3,
    Category.RETURN_BOOKED: 3,
    Category.STILL_AWAY: 3,
    Category.ACKNOWLEDGEMENT: 3,
    Category.CLOSING: 3,
}
# Kinds each category must serve at all.
REQUIRED_KINDS = {
    Category.COPING: set(Kind),
    Category.GROUNDING: {Kind.HOLIDAY, Kind.GAP, Kind.UNPLANNED},  # no ending cadence asks
    Category.HOPE: set(Kind),
    Category.CONNECTION: set(Kind),
    Category.CHECK_IN: set(Kind),
    Category.PREPARATION: {Kind.HOLIDAY, Kind.GAP, Kind.ENDING},
    Category.FIRST_CONTACT: {Kind.HOLIDAY, Kind.GAP, Kind.UNPLANNED},
    Category.COUNTDOWN: {Kind.HOLIDAY, Kind.GAP},
    Category.RETURN: {Kind.HOLIDAY, Kind.GAP},
    Category.REVIEW: {Kind.HOLIDAY, Kind.GAP},
    Category.TAPER: {Kind.ENDING},
    Category.FOLLOW_UP: {Kind.ENDING},
    Category.RELAPSE_PREVENTION: {Kind.ENDING},
    Category.BOOSTER: {Kind.ENDING},
    Category.UNPLANNED_NOTICE: {Kind.UNPLANNED},
    Category.RETURN_BOOKED: {Kind.UNPLANNED},
    Category.STILL_AWAY: {Kind.UNPLANNED},
    Category.ACKNOWLEDGEMENT: {Kind.ENDING},
    Category.CLOSING: {Kind.ENDING},
}


@pytest.fixture(scope="module")
def library():
    return load_prompt_library(PROMPTS)


@pytest.fixture(scope="module")
def raw_prompts():
    return json.loads(PROMPTS.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data, name: str = "prompts.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# ------------------------------------------------------------------ shipped prompt library


def test_shipped_library_loads_without_problems(library):
    assert len(library) >= 100
    assert len({t.id for t in library}) == len(library)


def test_every_category_has_enough_templates(library):
    counts = Counter(t.category for t in library)
    assert set(counts) == set(Category), "every category must be covered"
    for category, minimum in MIN_PER_CATEGORY.items():
        assert counts[category] >= minimum, f"{category.value}: {counts[category]} < {minimum}"


def test_every_category_has_enough_templates_for_each_kind_it_applies_to(library):
    for category in Category:
        templates = [t for t in library if t.category is category]
        used_kinds = set().union(*(t.kinds for t in templates))
        assert REQUIRED_KINDS[category] <= used_kinds, category.value
        for kind in used_kinds:
            n = sum(kind in t.kinds for t in templates)
            assert n >= MIN_PER_KIND[category], f"{category.value}/{kind.value}: only {n}"


def test_personal_templates(library):
    strategy = [t for t in library if "{strategy}" in t.text]
    contact = [t for t in library if "{contact_name}" in t.text]
    assert sum(t.category is Category.COPING for t in strategy) >= 4
    assert sum(t.category is Category.CONNECTION for t in contact) >= 4
    # Every category keeps enough non-personal templates for clients without a list.
    for category in (Category.COPING, Category.CONNECTION):
        general = [
            t
            for t in library
            if t.category is category
            and "{strategy}" not in t.text
            and "{contact_name}" not in t.text
        ]
        assert len(general) >= 8, category.value


def test_countdown_uses_return_date_and_some_name_the_therapist(library):
    countdown = [t for t in library if t.category is Category.COUNTDOWN]
    assert all("{return_date}" in t.text for t in countdown)
    assert sum("{therapist_name}" in t.text for t in countdown) >= 2


def test_unplanned_notice_is_neutral(library):
    medical = re.compile(
        r"\b(ill|illness|sick|hospital|surgery|medical|health|unwell)\b", re.IGNORECASE
    )
    for t in library:
        if t.category is Category.UNPLANNED_NOTICE:
            assert t.kinds == frozenset({Kind.UNPLANNED})
            assert "{therapist_name}" in t.text and "{sessions_plan}" in t.text
            # A cover is named only when there is one; the others say that nobody covers.
            assert ("{covering_name}" in t.text) != ("no_cover" in t.requires), t.id
            assert re.search(r"not because of anything you did|nothing you did", t.text), t.id
            assert not medical.search(t.text), t.id


def test_kind_rules(library):
    ending_only = {
        Category.TAPER,
        Category.FOLLOW_UP,
        Category.RELAPSE_PREVENTION,
        Category.BOOSTER,
    }
    for t in library:
        if t.category in ending_only:
            assert t.kinds == frozenset({Kind.ENDING}), t.id
        if t.category in (Category.COUNTDOWN, Category.RETURN):
            assert Kind.ENDING not in t.kinds, t.id


def test_tone(library):
    banned = re.compile(
        r"\b(must|should|have to|need to|streak|score|points|don't forget|failure|failed"
        r"|emergency|24/7|we'll be watching|monitor(ed|ing)?)\b",
        re.IGNORECASE,
    )
    # Reassuring negations ("there's no need to reply") are fine; orders are not.
    reassurance = re.compile(r"\b(no need to|doesn't have to|don't have to)\b", re.IGNORECASE)
    for t in library:
        assert "!" not in t.text, f"{t.id}: no exclamation marks"
        checked = reassurance.sub("", t.text)
        assert not banned.search(checked), f"{t.id}: {banned.search(checked).group(0)!r}"
        assert len(t.text) <= 280
        sentences = [s for s in re.split(r"(?<=[.?])\s+", t.text) if s]
        assert len(sentences) <= 3, t.id


def test_placeholders_are_all_known(library):
    for t in library:
        for name in re.findall(r"\{([^{}]*)\}", t.text):
            assert name in PLACEHOLDERS, t.id


def test_ids_match_category(raw_prompts):
    for entry in raw_prompts:
        prefix = entry["category"].replace("_", "-")
        assert re.fullmatch(rf"{prefix}-\d\d", entry["id"]), entry["id"]


# ------------------------------------------------------------------ broken prompt libraries


def test_broken_library_reports_every_problem(tmp_path, raw_prompts):
    data = copy.deepcopy(raw_prompts)
    data[0]["text"] = "You wrote that {nmae} helps."  # unknown placeholder
    data[1]["id"] = data[2]["id"]  # duplicate id
    data[3]["category"] = "cheerleading"  # unknown category
    with pytest.raises(LibraryError) as excinfo:
        load_prompt_library(_write(tmp_path, data))
    lines = str(excinfo.value).splitlines()
    assert lines == excinfo.value.problems
    assert f"{data[0]['id']}: unknown placeholder {{nmae}}" in lines
    assert any(line.startswith(f"{data[2]['id']}: duplicate id") for line in lines)
    assert any(
        line.startswith(f"{data[3]['id']}:") and "unknown category 'cheerleading'" in line
        for line in lines
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello {first_name", "malformed braces"),
        ("Hello first_name}", "malformed braces"),
        ("Hello {}", "empty placeholder"),
        ("Hello {0}", "unknown placeholder {0}"),
        ("Hello {first_name!r}", "format spec or conversion"),
        ("Hello {first_name:>10}", "format spec or conversion"),
        ("Hello {first_name.upper}", "unknown placeholder {first_name.upper}"),
        ("x" * 281, "281 characters"),
        ("", "non-empty string"),
    ],
)
def test_bad_texts(tmp_path, text, expected):
    data = [{"id": "coping-01", "category": "coping", "kinds": ["gap"], "text": text}]
    with pytest.raises(LibraryError) as excinfo:
        load_prompt_library(_write(tmp_path, data))
    assert any(
        line.startswith("coping-01:") and expected in line for line in excinfo.value.problems
    )


def test_missing_keys_unknown_kind_and_kind_rules(tmp_path):
    data = [
        {"category": "coping", "kinds": ["gap"], "text": "Hi."},
        {"id": "hope-01", "category": "hope", "kinds": ["holiday", "sabbatical"], "text": "Hi."},
        {"id": "taper-01", "category": "taper", "kinds": ["gap"], "text": "Hi."},
        {"id": "countdown-01", "category": "countdown", "kinds": ["ending"], "text": "Hi."},
        {"id": "grounding-01", "category": "grounding", "kinds": [], "text": "Hi.", "extra": 1},
        {"id": "coping-1", "category": "hope", "kinds": ["gap"], "text": "Hi."},
        "not an object",
    ]
    with pytest.raises(LibraryError) as excinfo:
        load_prompt_library(_write(tmp_path, data))
    problems = excinfo.value.problems
    assert "entry 0: missing key 'id'" in problems
    assert "hope-01: unknown kind 'sabbatical'" in problems
    assert any(p.startswith("taper-01:") and "only for kind 'ending'" in p for p in problems)
    assert any(p.startswith("countdown-01:") and "does not apply" in p for p in problems)
    assert "grounding-01: 'kinds' must be a non-empty list" in problems
    assert "grounding-01: unknown key 'extra'" in problems
    assert any(p.startswith("coping-1:") and "not of the form" in p for p in problems)
    assert any(p.startswith("coping-1:") and "should start with 'hope-'" in p for p in problems)
    assert any(p.startswith("entry 6:") for p in problems)


def test_not_a_list_and_bad_json(tmp_path):
    with pytest.raises(LibraryError, match="expected a JSON list"):
        load_prompt_library(_write(tmp_path, {"id": "x"}))
    bad = tmp_path / "bad.json"
    bad.write_text("[{", encoding="utf-8")
    with pytest.raises(LibraryError, match="invalid JSON"):
        load_prompt_library(bad)
