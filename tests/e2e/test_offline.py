"""My break offline: saved on the client's device, marked as the saved copy, gone on logout.

Chromium with its real service worker (served at /sw.js) against the live server; offline is
Playwright's ``context.set_offline``, which cuts the service worker's network too.
"""

from __future__ import annotations

import pytest

from tests.factories import InboxMessageFactory

pytestmark = pytest.mark.e2e


def _saved(page) -> None:
    """Wait until the service worker says this device keeps a copy of My break."""
    page.wait_for_function(
        "document.documentElement.getAttribute('data-saved-copy') === 'saved'", timeout=15_000
    )


def test_my_break_opens_offline_and_is_gone_after_logout(journey, client_login):
    InboxMessageFactory(client=client_login, category="hope", text="Step outside for a minute.")
    page = journey.page
    context = page.context
    journey.login("robin@example.com")
    assert page.url.endswith("/me/") or page.url.endswith("/")
    journey.go("/me/")
    journey.check("my break, online")
    assert not page.get_by_text("Saved copy from").is_visible()  # live: no such claim
    _saved(page)

    context.set_offline(True)
    page.reload()
    page.wait_for_load_state()
    # The plan, the crisis line and the emergency number are there, without a connection.
    assert page.get_by_role("heading", name="1. Warning signs").is_visible()
    assert page.get_by_text("Not sleeping").is_visible()
    assert page.get_by_text("Samaritans").is_visible()
    assert page.locator('a[href="tel:999"]').first.is_visible()
    assert page.get_by_text("12 days until your next session").is_visible()
    # ... marked as the saved copy with its date and time, and its forms say they cannot work.
    banner = page.get_by_text("Saved copy from")
    assert banner.is_visible()
    assert page.get_by_text("Step outside for a minute.").is_visible()  # the last messages
    assert page.get_by_text("You are offline: this cannot be sent").first.is_visible()
    assert page.get_by_role("button", name="Thanks, I've read it").is_disabled()
    journey.check("my break, saved copy")
    journey.screenshot("offline_my_break_saved_copy")

    # Another page, offline: the offline page, which says it needs a connection.
    journey.go("/me/preferences/")
    assert page.get_by_role("heading", name="You are offline").is_visible()
    assert page.get_by_text("This page needs a connection").is_visible()
    journey.check("offline page")

    context.set_offline(False)
    journey.go("/me/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert "/login/" in page.url

    context.set_offline(True)
    journey.go("/me/")
    page.wait_for_load_state()
    assert not page.get_by_text("Not sleeping").is_visible()
    assert not page.get_by_text("Warning signs").is_visible()
    assert page.get_by_role("heading", name="You are offline").is_visible()
    remaining = page.evaluate(
        "async () => { const c = await caches.open('between-saved-v1');"
        " return (await c.keys()).length; }"
    )
    assert remaining == 0
    context.set_offline(False)


def test_a_therapists_pages_are_never_kept(journey, client_login, therapist):
    page = journey.page
    journey.login("therapist@example.com")
    journey.go("/")
    journey.go(f"/clients/{client_login.pk}/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    journey.go(f"/clients/{client_login.pk}/")
    kept = page.evaluate(
        "async () => { const out = []; for (const name of await caches.keys()) {"
        " const c = await caches.open(name);"
        " for (const r of await c.keys()) out.push(new URL(r.url).pathname); } return out; }"
    )
    assert all(path.startswith("/static/") or path == "/offline/" for path in kept), kept
    page.context.set_offline(True)
    journey.go(f"/clients/{client_login.pk}/")
    assert page.get_by_role("heading", name="You are offline").is_visible()
    assert not page.get_by_text("Robin").is_visible()
    page.context.set_offline(False)
