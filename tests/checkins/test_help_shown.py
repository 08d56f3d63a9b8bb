"""Point 8 of issue 14: help is shown where it is needed. The crisis lines are on the
check-in form and on every answer, first after a high score or a request for support, and
every emergency number of the client's country is shown on My break, the printed plan and
the check-in pages. Built on whatever the shipped table holds, so it holds for every entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from planner.crisis import shipped_resources
from tests.factories import BreakFactory, ClientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)


def countries_with_several_numbers() -> list[str]:
    countries = shipped_resources()["countries"]
    return sorted(code for code, block in countries.items() if block.get("other_emergency"))


def numbers_of(code: str) -> list[str]:
    block = shipped_resources()["countries"][code]
    return [block["emergency"], *(o["number"] for o in block["other_emergency"])]


@pytest.mark.parametrize("code", countries_with_several_numbers())
@time_machine.travel(NOW, tick=False)
def test_every_emergency_number_of_the_country_is_shown(client, therapist, code):
    person = ClientFactory(therapist=therapist, with_login=True, country=code)
    BreakFactory(client=person, now=NOW, coping_strategies=["a walk"])
    client.force_login(person.user)
    pages = {path: client.get(path).content.decode() for path in ("/me/", "/me/plan/print/")}
    pages["form"] = client.get("/me/check-in/").content.decode()
    pages["low answer"] = client.post("/me/check-in/", {"distress": "1"}).content.decode()
    for where, html in pages.items():
        for number in numbers_of(code):
            assert f'href="tel:{number.replace(" ", "")}"' in html, (where, number)


@time_machine.travel(NOW, tick=False)
def test_the_lines_come_first_after_a_high_score_and_last_otherwise(client, therapist):
    person = ClientFactory(therapist=therapist, with_login=True, country="GB")
    BreakFactory(client=person, now=NOW, coping_strategies=["a walk by the river"])
    client.force_login(person.user)
    high = client.post("/me/check-in/", {"distress": "9"}).content.decode()
    assert high.index('id="crisis"') < high.index("a walk by the river")
    asked = client.post(
        "/me/check-in/", {"distress": "0", "need_support_now": "on"}
    ).content.decode()
    assert asked.index('id="crisis"') < asked.index("a walk by the river")
    low = client.post("/me/check-in/", {"distress": "2"}).content.decode()
    assert "a walk by the river" not in low  # no support block below the threshold ...
    assert low.index('id="who-reads"') < low.index('id="crisis"')  # ... and the lines still


def test_the_shipped_table_has_countries_with_several_numbers():
    # The parametrised test above must not pass by having nothing to check.
    assert countries_with_several_numbers()
