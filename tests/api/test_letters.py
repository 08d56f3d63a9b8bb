"""GET, POST /api/v1/me/letters/ and PATCH, DELETE /api/v1/me/letters/{id}/: the client's own
letters only; bad input is a 400 with field messages; no therapist answer carries the text."""

from __future__ import annotations

import pytest

from planner.models import Letter

pytestmark = pytest.mark.django_db


def test_a_client_writes_reads_changes_and_deletes_a_letter(world):
    api = world.api("client_a")
    created = api.post(
        "/api/v1/me/letters/", {"text": "API-LETTER-1", "arrival": "check_in_high"}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "waiting" and body["arrives_at"] is None
    assert body["break_id"] == world.break_a.pk
    listed = api.get("/api/v1/me/letters/").json()["results"]
    assert {row["text"] for row in listed} == {"API-LETTER-1", "LETTER-OF-A"}
    url = f"/api/v1/me/letters/{body['id']}/"
    changed = api.patch(url, {"shared": True, "arrival": "first_weekend"}, format="json")
    assert changed.status_code == 200 and changed.json()["shared"] is True
    assert changed.json()["arrives_at"] is not None
    assert api.delete(url).status_code == 204
    assert not Letter.objects.filter(pk=body["id"]).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": 12, "arrival": "first_weekend"}, "text"),
        ({"text": "x", "arrival": "someday"}, "arrival"),
        ({"text": "x", "arrival": "date"}, "arrive_on"),
        ({"text": "x", "arrival": "date", "arrive_on": "1999-01-01"}, "arrive_on"),
        ({"text": "x", "arrival": "date", "arrive_on": "not a date"}, "arrive_on"),
        ({"text": "   ", "arrival": "first_weekend"}, "text"),
    ],
)
def test_bad_letters_are_400_with_the_field(world, body, field):
    response = world.api("client_a").post("/api/v1/me/letters/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("actor", ["client_b", "therapist_a", "covering", "anonymous"])
def test_nobody_else_reads_or_changes_a_letter(world, actor):
    api = world.api(actor)
    url = f"/api/v1/me/letters/{world.letter_a.pk}/"
    assert api.patch(url, {"text": "changed"}, format="json").status_code in (401, 403, 404)
    assert api.delete(url).status_code in (401, 403, 404)
    listed = api.get("/api/v1/me/letters/")
    assert "LETTER-OF-A" not in listed.content.decode()
    world.letter_a.refresh_from_db()
    assert world.letter_a.text == "LETTER-OF-A"


def test_no_therapist_answer_carries_a_letter(world):
    api = world.api("therapist_a")
    for url in (
        "/api/v1/breaks/",
        f"/api/v1/breaks/{world.break_a.pk}/",
        f"/api/v1/breaks/{world.break_a.pk}/prompts/",
        f"/api/v1/clients/{world.client_a.pk}/",
        "/api/v1/coverage/",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        assert "LETTER-OF-A" not in response.content.decode()
