"""The crisis resources table (seeds/crisis_resources.json): its checks and lookups
(planner.crisis) and `manage.py check_crisis_resources`, which passes on the shipped file and
prints one line per problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from planner.crisis import (
    FALLBACK_TEXT,
    check_crisis_resources,
    crisis_resources_for,
    load_crisis_resources,
)
from planner.schedule.library import LibraryError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "seeds" / "crisis_resources.json"


@pytest.fixture(scope="module")
def crisis():
    return load_crisis_resources(SHIPPED)


def _write(tmp_path: Path, data, name: str = "prompts.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# ------------------------------------------------------------------ crisis resources


def test_shipped_crisis_resources_are_clean(crisis):
    assert check_crisis_resources(crisis) == []
    for code in ("US", "CA", "GB", "IE", "AU", "NZ", "DE", "FR", "NL"):
        assert code in crisis["countries"], code
    # Each service is listed only with the page it was checked on and the day (issue 14).
    checked = {
        code: sorted(r["name"] for r in block["resources"])
        for code, block in crisis["countries"].items()
        if block["resources"]
    }
    assert set(checked) == {"US", "GB", "IE", "AU", "NZ", "FR", "ZA", "SE", "CH", "BE"}
    assert crisis["default"]["emergency"] is None
    for code, block in crisis["countries"].items():
        for entry in block["resources"]:
            assert entry["checked_on"] == "2026-12-01", (code, entry["name"])  # issue 14
            assert entry["source"].startswith("https://"), (code, entry["name"])


def test_known_emergency_numbers(crisis):
    expected = {"US": "911", "CA": "911", "GB": "999", "AU": "000", "NZ": "111", "IN": "112"}
    for code, number in expected.items():
        assert crisis["countries"][code]["emergency"] == number


def _sample():
    return {
        "countries": {
            "GB": {
                "emergency": "999",
                "resources": [
                    {
                        "name": "Samaritans",
                        "phone": "116 123",
                        "sms": None,
                        "text_line": None,
                        "hours": "24 hours, every day",
                        "source": "https://www.samaritans.org/",
                        "checked_on": "2026-11-26",
                    }
                ],
            }
        },
        "default": {"emergency": None},
    }


def test_crisis_check_catches_bad_number_duplicate_and_missing_source():
    data = _sample()
    good = data["countries"]["GB"]["resources"][0]
    bad_number = dict(good, name="Bad line", phone="0800-CALL-NOW")
    duplicate = dict(good, name="Samaritans again")  # same number
    same_name = dict(good, phone="+441234567890")  # same name
    no_source = dict(good, name="No source", phone="0800 111 222")
    del no_source["source"]
    data["countries"]["GB"]["resources"] += [bad_number, duplicate, same_name, no_source]
    problems = check_crisis_resources(data)
    text = "\n".join(problems)
    assert "GB resources[1] (Bad line): phone '0800-CALL-NOW' is neither E.164" in text
    assert "GB resources[2] (Samaritans again): duplicate number 116123" in text
    assert "GB resources[3] (Samaritans): duplicate name 'Samaritans'" in text
    assert "GB resources[4] (No source): missing required field 'source'" in text


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["countries"].update({"gb": d["countries"]["GB"]}), "'gb': invalid country"),
        (lambda d: d["countries"].update({"XX": d["countries"]["GB"]}), "XX: unknown ISO"),
        (lambda d: d["countries"]["GB"].pop("emergency"), "GB: missing 'emergency'"),
        (lambda d: d["countries"]["GB"].update(emergency="9-9-9"), "emergency number '9-9-9'"),
        (lambda d: d["countries"]["GB"].update(emergency=None), "GB: 'emergency' is empty"),
        (
            lambda d: d["countries"]["GB"]["resources"][0].update(source="http://x.org"),
            "not an https",
        ),
        (
            lambda d: d["countries"]["GB"]["resources"][0].update(checked_on="26/11/2026"),
            "ISO date",
        ),
        (
            lambda d: d["countries"]["GB"]["resources"][0].update(checked_on="2026-02-30"),
            "ISO date",
        ),
        (lambda d: d["countries"]["GB"]["resources"][0].update(phone=None), "at least one of"),
        (lambda d: d["countries"]["GB"]["resources"][0].update(phone="12"), "neither E.164"),
        (lambda d: d["countries"]["GB"]["resources"][0].update(phone="+0441234567"), "neither"),
        (lambda d: d["countries"]["GB"]["resources"][0].update(sms="SHOUT"), "sms 'SHOUT'"),
        (lambda d: d["countries"]["GB"]["resources"][0].pop("hours"), "'hours'"),
        (lambda d: d["countries"]["GB"]["resources"][0].pop("name"), "'name'"),
        (lambda d: d.pop("default"), "missing 'default'"),
    ],
)
def test_crisis_check_cases(mutate, expected):
    data = _sample()
    mutate(data)
    problems = check_crisis_resources(data)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("number", ["+441234567890", "116 123", "988", "13 11 14", "000", "85258"])
def test_valid_numbers_pass(number):
    data = _sample()
    data["countries"]["GB"]["resources"][0]["phone"] = number
    assert check_crisis_resources(data) == []


def test_load_crisis_resources_raises_with_all_problems(tmp_path):
    data = _sample()
    data["countries"]["GB"]["emergency"] = "abc"
    data["countries"]["GB"]["resources"][0]["source"] = "ftp://example.org"
    path = _write(tmp_path, data, "crisis.json")
    with pytest.raises(LibraryError) as excinfo:
        load_crisis_resources(path)
    assert len(excinfo.value.problems) == 2


# ------------------------------------------------------------------ crisis_resources_for


@pytest.mark.parametrize("country", [None, "", "XX", "Narnia", "zz"])
def test_unknown_or_missing_country_falls_back(crisis, country):
    result = crisis_resources_for(crisis, country)
    assert result["emergency"] is None
    assert result["resources"] == []
    assert result["fallback_text"] == FALLBACK_TEXT == "Call your local emergency number."


def test_unknown_country_ignores_extra(crisis):
    extra = [dict(_sample()["countries"]["GB"]["resources"][0], name="Practice line")]
    assert crisis_resources_for(crisis, "XX", extra)["resources"] == []


def test_known_country(crisis):
    result = crisis_resources_for(crisis, " gb ")
    assert result["country"] == "GB"
    assert result["emergency"] == "999"
    assert [r["name"] for r in result["resources"]] == ["Samaritans", "Shout"]
    assert "999" in result["fallback_text"]


def test_country_without_services_gives_only_emergency(crisis):
    # Denmark's Livslinien could not be checked on its own page: only the emergency number.
    result = crisis_resources_for(crisis, "DK")
    assert result == {
        "country": "DK",
        "emergency": "112",
        "resources": [],
        "fallback_text": "If you are in danger right now, call 112.",
    }


def test_extra_resources_are_appended_validated_and_deduplicated(crisis):
    base = crisis_resources_for(crisis, "GB")
    practice = {
        "name": "Practice duty line",
        "phone": "+442079460000",
        "hours": "Weekdays 9:00-17:00",
        "source": "https://practice.example/contact",
        "checked_on": "2026-11-20",
    }
    invalid = dict(practice, name="Broken", phone="call us")
    repeat = dict(practice, name="Samaritans copy", phone="116 123")
    result = crisis_resources_for(crisis, "GB", [practice, invalid, repeat])
    assert [r["name"] for r in result["resources"]] == [
        *(r["name"] for r in base["resources"]),
        "Practice duty line",
    ]


def test_result_does_not_alias_the_table(crisis):
    result = crisis_resources_for(crisis, "GB")
    result["resources"][0]["phone"] = "000"
    assert crisis["countries"]["GB"]["resources"][0]["phone"] == "116 123"


# ------------------------------------------------------------------ check_crisis_resources


def broken_copy(tmp_path: Path) -> Path:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    gb = data["countries"]["GB"]["resources"]
    gb.append(dict(gb[0]))  # duplicate name and number
    del data["countries"]["US"]["resources"][0]["source"]  # required field missing
    data["countries"]["IE"]["resources"][0]["phone"] = "116-123 ext"  # bad number format
    data["countries"]["XX"] = {"emergency": "112"}  # not an ISO code
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


EXPECTED_LINES = [
    "US resources[0] (988 Suicide & Crisis Lifeline): missing required field 'source'",
    "GB resources[2] (Samaritans): duplicate name 'Samaritans' (same as resources[0])",
    "GB resources[2] (Samaritans): duplicate number 116123 (same as resources[0])",
    "IE resources[0] (Samaritans Ireland): phone '116-123 ext' is neither E.164 "
    "(+441234567890) nor a local number as dialled (digits and spaces)",
    "XX: unknown ISO 3166-1 country code",
]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SECRET_KEY": "test-only", "DEBUG": "", "ALLOW_CONSOLE_EMAIL": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", "check_crisis_resources", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_passes_on_the_shipped_file():
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    services = sum(len(b.get("resources", [])) for b in data["countries"].values())
    out = StringIO()
    call_command("check_crisis_resources", stdout=out)
    assert out.getvalue().strip() == (
        f"crisis resources OK: {len(data['countries'])} countries, {services} services"
    )


def test_it_reports_one_line_per_problem_and_exits_1(tmp_path):
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_crisis_resources", path=str(broken_copy(tmp_path)), stderr=err)
    assert exit_info.value.code == 1
    assert sorted(err.getvalue().strip().splitlines()) == sorted(EXPECTED_LINES)


def test_it_reports_an_unreadable_file(tmp_path):
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("check_crisis_resources", path=str(tmp_path / "missing.json"), stderr=err)
    assert len(err.getvalue().strip().splitlines()) == 1
    assert "cannot read" in err.getvalue()


def test_it_exits_0_and_1_from_the_command_line(tmp_path):
    ok = run()
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("crisis resources OK: ")
    bad = run("--path", str(broken_copy(tmp_path)))
    assert bad.returncode == 1
    assert sorted(bad.stderr.strip().splitlines()) == sorted(EXPECTED_LINES)
    assert bad.stdout == ""


@pytest.mark.django_db
def test_it_checks_the_practices_own_services_with_practices(practice):
    from planner.models import PracticeCrisisResource

    fields = {
        "practice": practice,
        "country": "GB",
        "hours": "evenings",
        "source": "https://example.org/line",
        "checked_on": date(2026, 11, 1),
    }
    good = PracticeCrisisResource.objects.create(name="Good line", phone="+441632960123", **fields)
    out = StringIO()
    call_command("check_crisis_resources", practices=True, stdout=out)
    assert out.getvalue().strip().endswith(", 1 practice services")

    bad = PracticeCrisisResource.objects.create(name="Bad line", phone="ring us", **fields)
    dup = PracticeCrisisResource.objects.create(name="good LINE", phone="+441632960999", **fields)
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("check_crisis_resources", practices=True, stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert lines == [
        f"practice {practice.pk} GB resource {bad.pk} (Bad line): phone 'ring us' is neither "
        "E.164 (+441234567890) nor a local number as dialled (digits and spaces)",
        f"practice {practice.pk} GB resource {dup.pk}: duplicate name 'good LINE' "
        f"(same as resource {good.pk})",
    ]
