"""My break, the printable plan and the check-in answer show the same crisis lines: one
lookup (planner.crisis.resources_for_client) serves them all."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from planner.models import PracticeCrisisResource
from tests.factories import BreakFactory, ClientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def pt_client(therapist, practice):
    """A client in Portugal, which the shipped table has no entry for."""
    client = ClientFactory(
        therapist=therapist,
        with_login=True,
        first_name="Rui",
        country="PT",
        timezone="Europe/Lisbon",
    )
    PracticeCrisisResource.objects.create(
        practice=practice,
        country="PT",
        name="Lisbon Listening Line",
        phone="+351210000000",
        hours="Every day, 16:00-24:00",
        source="https://example.org/lisbon-listening-line",
        checked_on=date(2026, 11, 1),
    )
    BreakFactory(client=client, now=NOW)
    return client


@time_machine.travel(NOW, tick=False)
def test_a_practices_own_line_shows_on_my_break_where_the_shipped_table_has_none(client, pt_client):
    client.force_login(pt_client.user)
    for path in ("/me/", "/me/plan/print/"):
        html = client.get(path).content.decode()
        assert "Lisbon Listening Line" in html, path
        assert "tel:+351210000000" in html, path


@time_machine.travel(NOW, tick=False)
def test_the_check_in_answer_shows_the_same_line(client, pt_client):
    client.force_login(pt_client.user)
    html = client.post("/me/check-in/", {"distress": "9", "note": ""}).content.decode()
    assert "Lisbon Listening Line" in html
