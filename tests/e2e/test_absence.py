"""A therapist plans a caseload absence for three clients: drafts, one adjusted, all activated."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import local_input

pytestmark = pytest.mark.e2e


def test_a_therapist_plans_a_caseload_absence(journey, therapist, make_client, library):
    from planner.models import Break

    clients = [make_client(name) for name in ("Robin", "Sam", "Alex")]
    make_client("Jo")  # not part of this absence
    page = journey.page
    journey.login("therapist@example.com")
    page.get_by_role("link", name="Plan an absence", exact=True).click()
    journey.check("absence form")

    page.get_by_role("button", name="Make the drafts").click()
    assert page.locator("#id_clients_error").is_visible()  # no client chosen
    journey.check("absence form with errors")

    page.get_by_label("Starts").fill(local_input(21, 17))
    page.get_by_label("Ends", exact=True).fill(local_input(35, 9))
    page.get_by_label("Covering clinician's name").fill("Priya Shah")
    for client in clients:
        page.get_by_label(client.full_name).check()
    page.get_by_role("button", name="Make the drafts").click()
    page.wait_for_url("**/absences/review/?ids=*")
    journey.check("absence review")
    assert page.locator("table.review tbody tr").count() == 3

    page.get_by_role("link", name="Adjust Sam's plan").click()
    journey.check("adjust one draft")
    page.get_by_label("A note from you").fill("Sam, I'll be back on the 5th.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/absences/review/?ids=*")

    page.get_by_role("button", name="Activate all 3 plans").click()
    page.wait_for_load_state()
    assert page.get_by_text("All the plans are active.").is_visible()
    assert page.locator(".badge.status-scheduled").count() == 3
    journey.check("absence activated")
    journey.screenshot("caseload_absence")
    breaks = Break.objects.filter(client__in=clients)
    assert sorted(b.status for b in breaks) == ["scheduled"] * 3
    assert breaks.get(client__first_name="Sam").therapist_note.startswith("Sam,")
