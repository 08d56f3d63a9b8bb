"""The main pages at a phone's width: no serious accessibility problem, nothing cut off."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px"


def test_the_clients_pages_fit_a_phone(mobile_journey, client_login):
    journey, page = mobile_journey, mobile_journey.page
    journey.login("robin@example.com")
    for path, name in (("/", "my_break"), ("/me/preferences/", "preferences")):
        journey.go(path)
        journey.check(f"mobile {name}")
        _no_sideways_scroll(page)
        journey.screenshot(f"mobile_client_{name}")


def test_the_plan_builder_fits_a_phone(mobile_journey, therapist, make_client, library):
    robin = make_client("Robin")
    journey, page = mobile_journey, mobile_journey.page
    journey.login("therapist@example.com")
    journey.check("mobile dashboard")
    _no_sideways_scroll(page)
    journey.go(f"/clients/{robin.pk}/breaks/new/")
    journey.check("mobile plan builder")
    _no_sideways_scroll(page)
    journey.screenshot("mobile_plan_builder")
