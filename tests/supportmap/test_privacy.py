"""The map in the client's export, gone with an erasure, and never in a log line."""

from __future__ import annotations

import pytest

from planner.models import PromptFeedback, SupportItem
from planner.privacy.services import client_erase, client_export

pytestmark = pytest.mark.django_db

SECRET = {"kind": "person", "name": "Aunt Zelda-Marker", "needs": ["comfort"], "when": ["sun"]}


def test_the_clients_export_holds_the_map_and_the_feedback(mapped):
    api = mapped.api(mapped.client.user)
    api.put("/api/v1/me/support-map/", {"items": [SECRET]}, format="json")
    message = mapped.deliver(mapped.brk.prompts.order_by("send_at").first())
    api.post(f"/api/v1/me/inbox/{message.pk}/feedback/", {"helpful": True}, format="json")
    data = client_export(client=mapped.client, actor=mapped.client.user)
    assert [row["name"] for row in data["support_map"]] == ["Aunt Zelda-Marker"]
    assert data["prompt_feedback"][0]["helpful"] is True
    assert data["prompt_feedback"][0]["message_id"] == message.pk


def test_erasure_removes_the_map(mapped):
    mapped.api(mapped.client.user).put(
        "/api/v1/me/support-map/", {"items": [SECRET]}, format="json"
    )
    client_erase(client=mapped.client, actor=mapped.client.user)
    assert not SupportItem.objects.filter(client=mapped.client).exists()


def test_the_clients_words_and_messages_stay_out_of_the_logs(mapped, log_capture):
    api = mapped.api(mapped.client.user)
    api.get("/api/v1/me/support-map/")
    api.put("/api/v1/me/support-map/", {"items": [SECRET]}, format="json")
    message = mapped.deliver(mapped.brk.prompts.order_by("send_at").first())
    api.post(f"/api/v1/me/inbox/{message.pk}/feedback/", {"helpful": False}, format="json")
    assert PromptFeedback.objects.filter(message=message).exists()
    logged = log_capture.text
    assert "Zelda" not in logged and "Jamie" not in logged
    assert message.text[:30] not in logged
