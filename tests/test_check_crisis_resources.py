"""`manage.py check_crisis_resources`: passes on the shipped file, one line per problem."""

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

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "seeds" / "crisis_resources.json"


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
