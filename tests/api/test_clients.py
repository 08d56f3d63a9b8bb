from __future__ import annotations

V = "/api/v1"


def test_a_therapist_creates_edits_and_deletes_a_client(world):
    api = world.api("therapist_a")
    body = {
        "first_name": "Cleo",
        "timezone": "Europe/Paris",
        "country": "FR",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "prompt_times": ["08:00", "19:00"],
        "channels": ["sms"],
    }
    created = api.post(f"{V}/clients/", body, format="json")
    assert created.status_code == 201, created.content
    client = created.json()
    assert client["quiet_hours_start"] == "22:00"
    assert client["channels"] == ["inbox", "sms"]
    edited = api.patch(f"{V}/clients/{client['id']}/", {"last_name": "Z"}, format="json")
    assert edited.json()["last_name"] == "Z"
    assert api.delete(f"{V}/clients/{client['id']}/").status_code == 204
    assert api.get(f"{V}/clients/{client['id']}/").status_code == 404


def test_deleting_a_client_cancels_their_live_breaks(world):
    from planner.models import Break, ScheduledPrompt

    world.api("therapist_a").delete(f"{V}/clients/{world.client_a.pk}/")
    statuses = set(Break.objects.filter(client=world.client_a).values_list("status", flat=True))
    assert statuses == {"cancelled"}
    assert not world.break_a.prompts.filter(status=ScheduledPrompt.Status.PENDING).exists()
    assert world.api("client_a").get(f"{V}/me/breaks/").status_code == 404
