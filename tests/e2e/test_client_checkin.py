"""A client checks in with high distress and sees the crisis resources."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.e2e,
]


def test_a_client_checks_in_with_high_distress_and_sees_crisis_resources(journey, client_login):
    page = journey.page
    journey.login("robin@example.com")
    page.get_by_role("link", name="Check in").first.click()
    journey.check("check-in form")
    distress = page.locator("[name=distress]")
    if distress.first.get_attribute("type") == "radio":
        page.locator("[name=distress][value='9']").check()
    else:
        distress.fill("9")
    page.locator("[name=note]").fill("A hard evening.")
    page.locator("[name=need_support_now]").check()
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    main = page.locator("main")
    assert main.get_by_text("not an emergency service").first.is_visible()
    assert main.get_by_text("Samaritans").first.is_visible()
    journey.check("check-in result")
    journey.screenshot("client_checkin")
