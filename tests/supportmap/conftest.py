"""Robin (a client with a login) and their therapist's live break, made at the frozen NOW."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.helpers import NOW
from tests.security_helpers import api_token


@dataclass
class Mapped:
    therapist: object
    client: object
    brk: object

    def deliver(self, prompt):
        """The prompt as sent to the inbox (its message, delivered at its time)."""
        from planner.models import InboxMessage, ScheduledPrompt

        ScheduledPrompt.objects.filter(pk=prompt.pk).update(status="sent", sent_at=prompt.send_at)
        return InboxMessage.objects.create(
            client=self.client,
            prompt=prompt,
            break_obj=self.brk,
            category=prompt.category,
            text=prompt.text,
            delivered_at=prompt.send_at,
        )

    def api(self, user) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
        return api


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mapped(frozen, therapist, make_user):
    from planner.breaks import services

    login = make_user("client", email="robin@example.com", first_name="Robin")
    client = services.client_create(
        therapist=therapist, first_name="Robin", email="robin@example.com", country="GB"
    )
    client.user = login
    client.save(update_fields=["user"])
    brk = services.break_create(
        therapist=therapist,
        client=client,
        kind="holiday",
        starts_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=16),
        return_session_at=NOW + timedelta(days=16, hours=2),
        support_contacts=[{"name": "Jamie", "relationship": "friend", "phone": ""}],
        distractions=["the library café"],
        coping_strategies=["a walk by the river"],
    )
    services.break_activate(brk=brk, actor=therapist)
    return Mapped(therapist=therapist, client=client, brk=brk)
