"""A client changes their quiet hours: the preview of their coming messages moves at once,
and the saved schedule follows."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def _times(page) -> list[str]:
    return page.locator("#preview circle.mark").evaluate_all(
        "marks => marks.map(m => m.getAttribute('data-local'))"
    )


def test_a_client_changes_quiet_hours_and_the_preview_moves(journey, client_login):
    page = journey.page
    journey.login("robin@example.com")
    page.get_by_role("link", name="Preferences").click()
    journey.check("preferences")
    svg = page.locator("#preview svg.timeline")
    assert svg.get_attribute("data-quiet-start") == "22:00"
    before = _times(page)
    assert any(t.endswith("T19:00") for t in before)

    # Quiet from 18:00 leaves no room for the 19:00 prompts: the preview moves them.
    page.get_by_label("Quiet from").fill("18:00")
    page.wait_for_selector("#preview svg.timeline[data-quiet-start='18:00']")
    moved = _times(page)
    assert moved and not any(t.endswith("T19:00") for t in moved)
    assert page.locator("#preview-status").text_content().startswith("Preview updated")
    journey.check("preferences with preview")

    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your preferences are saved.").is_visible()
    assert page.locator("#preview svg.timeline").get_attribute("data-quiet-start") == "18:00"
    assert not any(t.endswith("T19:00") for t in _times(page))
    client_login.refresh_from_db()
    assert client_login.quiet_hours_start.strftime("%H:%M") == "18:00"
    journey.screenshot("client_preferences")


def test_preferences_keep_bad_input_with_a_message_next_to_the_field(journey, client_login):
    page = journey.page
    journey.login("robin@example.com")
    journey.go("/me/preferences/")
    page.get_by_label("Times of day for prompts").fill("noon")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    field = page.get_by_label("Times of day for prompts")
    assert field.input_value() == "noon"
    assert field.get_attribute("aria-invalid") == "true"
    assert "id_prompt_times_error" in field.get_attribute("aria-describedby")
    assert page.locator("#id_prompt_times_error").is_visible()
    journey.check("preferences with errors")
