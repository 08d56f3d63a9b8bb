"""Quiet hours are both times or neither: one rule for the API, the pages and the services."""

from __future__ import annotations

V = "/api/v1"
MESSAGE = "Give both the start and the end of the quiet hours, or neither."


def test_a_therapist_cannot_give_a_client_only_the_start_of_quiet_hours(world):
    world.client_a.refresh_from_db()
    before = (world.client_a.quiet_hours_start, world.client_a.quiet_hours_end)
    answer = world.api("therapist_a").patch(
        f"{V}/clients/{world.client_a.pk}/", {"quiet_hours_start": "22:00"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json() == {"quiet_hours_end": [MESSAGE]}
    world.client_a.refresh_from_db()
    assert (world.client_a.quiet_hours_start, world.client_a.quiet_hours_end) == before


def test_a_client_cannot_either(world):
    answer = world.api("client_a").patch(
        f"{V}/me/preferences/", {"quiet_hours_end": "07:00"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json() == {"quiet_hours_end": [MESSAGE]}


def test_nor_can_a_break(world):
    answer = world.api("therapist_a").patch(
        f"{V}/breaks/{world.draft_a.pk}/",
        {"quiet_hours_start": "22:00", "quiet_hours_end": None},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"quiet_hours_end": [MESSAGE]}


def test_the_plan_builder_says_so_next_to_the_field(world, client):
    client.force_login(world.users["therapist_a"])
    page = client.get(f"/breaks/{world.draft_a.pk}/edit/")
    form = page.context["form"]
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        starts_at=form.initial["starts_at"].strftime("%Y-%m-%dT%H:%M"),
        ends_at=form.initial["ends_at"].strftime("%Y-%m-%dT%H:%M"),
        return_session_at="",
        quiet_hours_start="22:00",
        quiet_hours_end="",
        covering_user="",
    )
    answer = client.post(f"/breaks/{world.draft_a.pk}/edit/", data)
    assert answer.status_code == 200
    assert answer.context["form"].errors["quiet_hours_end"] == [MESSAGE]
