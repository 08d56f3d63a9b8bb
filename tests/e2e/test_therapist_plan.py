"""A therapist plans a break for a client, sees the live preview, activates it and sees the
timeline with each prompt's status."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import local_input

pytestmark = pytest.mark.e2e


def test_a_therapist_creates_and_activates_a_plan(journey, therapist, make_client, library):
    robin = make_client("Robin")
    page = journey.page
    journey.login("therapist@example.com")
    journey.check("dashboard")
    page.get_by_role("link", name="Plan a break for Robin").click()
    journey.check("plan builder")

    page.get_by_label("Starts").fill(local_input(10, 17))
    page.get_by_label("Ends", exact=True).fill(local_input(24, 9))
    page.get_by_label("Return session").fill(local_input(25, 10))
    page.get_by_label("Covering clinician's name").fill("Priya Shah")
    page.get_by_label("1. Warning signs").fill("Not sleeping\nCancelling plans")
    page.get_by_label("2. Things I can do on my own").fill("A walk by the river")
    page.locator("#id_contact_1_name").fill("Jamie")
    page.locator("#id_contact_1_phone").fill("+447700900111")
    page.get_by_label("A note from you").fill("I'll see you on the date we agreed.")
    # The live preview (static JS re-posting the form) draws the schedule as it is typed.
    page.locator("#preview svg.timeline circle.mark").first.wait_for()
    assert page.locator("#preview circle.mark").count() > 5
    journey.check("plan builder with preview")

    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url("**/breaks/*/")
    journey.check("draft break")
    page.get_by_role("button", name="Activate the plan").click()
    page.wait_for_load_state()
    assert page.get_by_text("The plan is active.").is_visible()
    assert page.locator(".badge.status-scheduled").is_visible()
    marks = page.locator("svg.timeline circle.mark[data-status=pending]")
    assert marks.count() > 5
    assert page.locator("svg.timeline .return-session").count() == 1
    assert page.locator("svg.timeline rect.quiet").count() == 2  # 22:00-08:00 wraps midnight
    journey.check("active break")
    assert robin.breaks.get().status == "scheduled"
    journey.screenshot("therapist_plan")

    page.get_by_role("link", name="Delivery log").click()
    journey.check("delivery log")
