"""If the therapist cannot come back (issue 19, point 3), in Chromium: Morgan names Alex and
writes what to say; Alex sees nothing; practice staff declare an unplanned absence; Alex
then reads the call list, records a call, and (once staff say Morgan will not return) hands
a client over to Olive."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD
from tests.factories import StaffFactory, TherapistFactory

pytestmark = pytest.mark.e2e

SCRIPT = "Hello, this is Alex from the practice. Morgan is unwell and cannot see you for now."


def _log_out(journey) -> None:
    journey.page.get_by_role("button", name="Log out").click()
    journey.page.wait_for_load_state()


def test_the_colleague_calls_the_clients_once_staff_declare_the_absence(
    journey, therapist, practice, make_client
):
    from planner.models import Break, Client, ContinuityCall, InboxMessage

    alex = TherapistFactory(
        email="alex@example.com", password=PASSWORD, first_name="Alex", last_name="Reed",
        practice=practice,
    )  # fmt: skip
    olive = TherapistFactory(
        email="olive@example.com", password=PASSWORD, first_name="Olive", last_name="Park",
        practice=practice,
    )  # fmt: skip
    StaffFactory(email="lee@example.com", password=PASSWORD, first_name="Lee", practice=practice)
    robin = make_client("Robin")
    sam = make_client("Sam", "Stone", phone="+447700900456")
    page = journey.page

    # Morgan writes the plan.
    journey.login("therapist@example.com")
    page.get_by_role("link", name="Continuity", exact=True).click()
    journey.check("continuity home")
    page.get_by_role("link", name="Your continuity plan").click()
    journey.check("continuity plan")
    page.get_by_label("The colleague who will contact your clients").select_option(
        label="Alex Reed"
    )
    page.get_by_label("What to say to each client").fill(SCRIPT)
    page.get_by_label("Sam Stone").check()
    page.get_by_role("button", name="Save the plan").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your continuity plan is saved.").is_visible()
    _log_out(journey)

    # Before a declaration Alex sees nothing, and the list's address is a 404.
    journey.login("alex@example.com")
    journey.go("/continuity/")
    assert page.get_by_text("None now.").is_visible()
    assert SCRIPT not in page.content()
    answer = page.goto(f"{journey.base_url}/continuity/{therapist.pk}/")
    assert answer is not None and answer.status == 404
    journey.go("/")
    _log_out(journey)

    # Lee, practice staff, declares the absence.
    journey.login("lee@example.com")
    page.get_by_role("link", name="Practice", exact=True).click()
    page.get_by_role("link", name="Morgan Hale").click()
    page.get_by_role("link", name="Declare or end an unplanned absence").click()
    journey.check("declare an absence")
    page.get_by_role("button", name="Declare the absence").click()
    page.wait_for_load_state()
    assert page.get_by_text("The absence is declared: 2 clients have a draft plan").is_visible()
    assert page.get_by_text("Alex Reed, the colleague named").is_visible()
    journey.check("absence declared")
    assert Break.objects.filter(therapist=therapist, kind="unplanned").count() == 2
    # Lee reviews the drafts: Sam, whom Morgan marked, is ticked "call first"; Lee sends.
    assert page.get_by_label("Call Sam first").is_checked()
    assert not page.get_by_label("Call Robin first").is_checked()
    assert SCRIPT not in page.content()
    page.get_by_role("button", name="Send the plans").click()
    page.wait_for_load_state()
    assert page.get_by_text("1 plan is activated").is_visible()
    assert page.get_by_text("1 client waits for a phone call").is_visible()
    journey.check("plans sent")
    sent = {b.client_id: b.status for b in Break.objects.filter(therapist=therapist)}
    assert sent == {robin.pk: "active", sam.pk: "draft"}
    _log_out(journey)

    # Alex reads the list and records a call to Sam.
    journey.login("alex@example.com")
    page.get_by_role("link", name="Continuity", exact=True).click()
    page.get_by_role("link", name="Morgan Hale").click()
    journey.check("call list")
    assert page.get_by_text(SCRIPT).is_visible()
    sam_row = page.locator("table.call-list tbody tr").first
    assert "Sam Stone" in sam_row.inner_text() and "Phone call" in sam_row.inner_text()
    assert page.get_by_role("link", name="+447700900456").is_visible()
    journey.screenshot("colleague_call_list")
    page.get_by_role("link", name="Sam Stone").click()
    journey.check("one client's calls")
    page.get_by_label("No answer").check()
    page.get_by_label("Note").fill("Will try again this afternoon.")
    page.get_by_role("button", name="Record the call").click()
    page.wait_for_load_state()
    assert page.get_by_text("The call is recorded.").is_visible()
    assert page.get_by_text("Will try again this afternoon.").is_visible()
    journey.check("call recorded")
    call = ContinuityCall.objects.get()
    assert (call.client_id, call.made_by_id, call.outcome) == (sam.pk, alex.pk, "no_answer")
    _log_out(journey)

    # Lee records that Morgan will not return; Alex hands Robin over to Olive.
    journey.login("lee@example.com")
    journey.go(f"/practice/therapists/{therapist.pk}/absence/")
    page.get_by_role("button", name="They will not return").click()
    page.wait_for_load_state()
    assert page.get_by_text("Recorded: the therapist will not return.").first.is_visible()
    _log_out(journey)
    journey.login("alex@example.com")
    journey.go(f"/continuity/{therapist.pk}/clients/{robin.pk}/")
    journey.check("hand over")
    page.get_by_label("Hand this client over to").select_option(label="Olive Park")
    page.get_by_role("button", name="Hand over this client").click()
    page.wait_for_load_state()
    assert page.get_by_text("Robin now has Olive Park as their therapist").is_visible()
    assert page.locator("table.call-list tbody tr").count() == 1  # Sam is left
    journey.check("after the hand-over")
    assert Client.objects.get(pk=robin.pk).therapist_id == olive.pk
    assert InboxMessage.objects.filter(client=robin, category="handover").exists()
