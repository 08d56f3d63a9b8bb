"""The support map journey: the client adds two supports, sees them on the map (axe clean), a
prompt quoting one of them is planned on its day, and "Not for me" on a message takes its
template out of the rest of the schedule."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from planner.models import InboxMessage, ScheduledPrompt, SupportItem

pytestmark = pytest.mark.e2e

EVERY_DAY = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"]


def _fill(block, name: str, kind: str, needs: list[str], days: list[str]) -> None:
    block.get_by_label("Who or what").fill(name)
    block.get_by_label("Kind").select_option(label=kind)
    for need in needs:
        block.get_by_label(need, exact=True).check()
    for day in days:
        block.get_by_label(day, exact=True).check()


def test_the_client_builds_a_support_map_and_the_prompts_follow_it(journey, client_login):
    page = journey.page
    journey.login("robin@example.com")
    journey.check("my break")
    page.get_by_role("link", name="Start my support map").click()
    journey.check("support map, started from the plan")
    assert page.locator("table.support-table").get_by_text("Jamie").is_visible()

    blocks = page.locator("fieldset.support-item")
    blank = blocks.filter(has_text="Add a support")
    _fill(blank.nth(0), "Walk with Bella the dog", "Activity", ["Calm"], EVERY_DAY)
    _fill(blank.nth(1), "Saturday market", "Place", ["Fun"], ["Saturdays"])
    page.get_by_role("button", name="Save the map").click()
    page.wait_for_load_state()
    assert page.get_by_text("The support map is saved.").is_visible()
    journey.check("support map with two supports")
    picture = page.locator("svg.support-map")
    assert picture.locator("text").filter(has_text="Walk with Bella the d").count() == 1
    assert picture.locator("text").filter(has_text="Saturday market").count() == 1
    table = page.locator("table.support-table")
    assert table.get_by_role("row", name="Saturday market").get_by_text("Saturdays").is_visible()
    journey.screenshot("support_map")

    journey.go("/me/")
    journey.check("my break with the map")
    assert page.locator("table.support-table").get_by_text("Saturday market").is_visible()

    # The schedule follows the map: a prompt quotes the walk, on a day it is there (every day),
    # and any prompt quoting the market is on a Saturday.
    zone = ZoneInfo(client_login.timezone)
    pending = ScheduledPrompt.objects.filter(client=client_login, status="pending")
    walks = list(pending.filter(text__contains='From your map: "Walk with Bella the dog"'))
    assert walks
    for prompt in pending.filter(text__contains='From your map: "Saturday market"'):
        assert prompt.send_at.astimezone(zone).weekday() == 5
        assert "it is Saturday" in prompt.text
    assert SupportItem.objects.filter(client=client_login).count() == 3

    # "Not for me" on a message: its template leaves the rest of the schedule.
    brk = client_login.breaks.get()
    rows = list(pending.filter(break_obj=brk).order_by("send_at"))
    sent, later = rows[0], rows[-1]
    ScheduledPrompt.objects.filter(pk=sent.pk).update(status="sent", template=later.template)
    InboxMessage.objects.create(
        client=client_login, prompt=sent, break_obj=brk, category=sent.category, text=sent.text
    )
    key = later.template.key
    assert pending.filter(template__key=key).exists()
    journey.go("/me/inbox/")
    journey.check("inbox with feedback buttons")
    page.get_by_role("button", name="Not for me").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("This message will not be sent to you again.").is_visible()
    journey.check("inbox after Not for me")
    assert not ScheduledPrompt.objects.filter(
        client=client_login, status="pending", template__key=key
    ).exists()
