"""Crisis resources for a client: shipped table, practice services, emergency fallback."""

from __future__ import annotations

from datetime import date

import pytest

from planner.crisis import FALLBACK_TEXT, resources_for_client, shipped_resources
from planner.models import PracticeCrisisResource
from tests.factories import ClientFactory, PracticeFactory

pytestmark = pytest.mark.django_db


def local_service(practice, country: str = "GB", **fields) -> PracticeCrisisResource:
    values = {
        "practice": practice,
        "country": country,
        "name": "Riverside Crisis Café",
        "phone": "+441632960123",
        "hours": "18:00-23:00, Friday to Sunday",
        "source": "https://example.org/riverside-crisis-cafe",
        "checked_on": date(2026, 11, 1),
    }
    values.update(fields)
    return PracticeCrisisResource.objects.create(**values)


def test_it_loads_the_shipped_file_once():
    assert shipped_resources() is shipped_resources()


def test_it_shows_the_countrys_services_and_emergency_number(therapist):
    result = resources_for_client(ClientFactory(therapist=therapist, country="GB"))
    assert result["emergency"] == "999"
    assert result["emergency_href"] == "tel:999"
    names = [r["name"] for r in result["resources"]]
    assert names[:2] == ["Samaritans", "Shout"]
    samaritans = result["resources"][0]
    assert samaritans["phone_href"] == "tel:116123"
    assert samaritans["from_practice"] is False


def test_it_falls_back_to_the_local_emergency_number_for_an_unknown_country(therapist):
    result = resources_for_client(ClientFactory(therapist=therapist, country="PT"))
    assert result["emergency"] is None
    assert result["resources"] == []
    assert result["fallback_text"] == FALLBACK_TEXT == "Call your local emergency number."


def test_it_falls_back_for_a_client_with_no_country(therapist):
    result = resources_for_client(ClientFactory(therapist=therapist, country=""))
    assert result["country"] is None
    assert result["fallback_text"] == FALLBACK_TEXT


def test_it_adds_the_practices_checked_local_services(therapist, practice):
    local_service(practice)
    result = resources_for_client(ClientFactory(therapist=therapist, country="GB"))
    added = result["resources"][-1]
    assert added["name"] == "Riverside Crisis Café"
    assert added["from_practice"] is True
    assert added["phone_href"] == "tel:+441632960123"


def test_it_leaves_out_invalid_or_duplicate_practice_services(therapist, practice):
    local_service(practice, name="Broken line", phone="call us")
    local_service(practice, name="Samaritans again", phone="116 123")
    local_service(practice, country="IE", name="Elsewhere")
    names = [
        r["name"]
        for r in resources_for_client(ClientFactory(therapist=therapist, country="GB"))["resources"]
    ]
    assert names == ["Samaritans", "Shout"]


def test_it_shows_practice_services_where_the_shipped_table_has_no_entry(therapist, practice):
    local_service(practice, country="PT", name="Linha local", phone="+351210000000")
    result = resources_for_client(ClientFactory(therapist=therapist, country="PT"))
    assert [r["name"] for r in result["resources"]] == ["Linha local"]
    assert result["emergency"] is None
    assert result["fallback_text"] == FALLBACK_TEXT


def test_it_does_not_show_another_practices_services(therapist, practice):
    other = PracticeFactory(name="Other")
    local_service(other)
    names = [
        r["name"]
        for r in resources_for_client(ClientFactory(therapist=therapist, country="GB"))["resources"]
    ]
    assert "Riverside Crisis Café" not in names
