"""A client logs in, sees the countdown and the plan, and acknowledges a message."""

from __future__ import annotations

import pytest

from tests.factories import InboxMessageFactory

pytestmark = pytest.mark.e2e


def test_a_client_sees_the_countdown_and_plan_and_acknowledges_a_message(journey, client_login):
    message = InboxMessageFactory(
        client=client_login,
        category="hope",
        text="If it helps, step outside for a few minutes today.",
    )
    page = journey.page
    journey.login("robin@example.com")
    journey.check("my break")
    assert page.get_by_text("12 days until your next session").is_visible()
    assert page.get_by_text("If it helps, step outside").is_visible()
    assert page.get_by_role("heading", name="1. Warning signs").is_visible()
    assert page.locator('a[href="tel:+447700900111"]').is_visible()
    assert page.locator('a[href="sms:+447700900111"]').is_visible()
    assert page.locator("main").get_by_text("not an emergency service").first.is_visible()
    assert page.get_by_text("Samaritans").is_visible()
    journey.screenshot("client_my_break")

    page.get_by_role("button", name="Thanks, I've read it").click()
    page.wait_for_load_state()
    assert page.get_by_text("Marked as read.").is_visible()
    message.refresh_from_db()
    assert message.acknowledged_at is not None

    page.get_by_role("link", name="Messages", exact=True).click()
    journey.check("inbox")
    journey.go("/me/plan/print/")
    journey.check("printable plan")
    journey.screenshot("client_printable_plan")


def test_the_printable_plan_fits_one_a4_page(journey, client_login):
    """Printed from Chromium with the print stylesheet, a typical plan is one A4 page."""
    import re

    journey.login("robin@example.com")
    journey.go("/me/plan/print/")
    page = journey.page
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=False)
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "printable_plan.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the printable plan took {pages} A4 pages"
