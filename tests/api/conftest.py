"""The six actors of the API tests and their objects.

Therapist A has client A (with a login) and break A (scheduled, covered by the covering
clinician, who may see check-ins); therapist B has client B and break B. Every private
text carries a marker (``NOTE-OF-A``...) so a test can prove it does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils.timezone import now
from rest_framework.test import APIClient

from tests.factories import CheckInFactory, DeliveryFactory, InboxMessageFactory
from tests.security_helpers import api_token

ACTORS = ("anonymous", "client_a", "client_b", "therapist_a", "therapist_b", "covering")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Throttle counters live in the cache: a fresh in-memory one for every test."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    users: dict
    client_a: object
    client_b: object
    break_a: object
    draft_a: object
    break_b: object
    inbox_a: object
    inbox_b: object
    check_in_a: object
    letter_a: object = None
    tokens: dict = field(default_factory=dict)
    push_a: object = None  # a device of client A's (push subscription)

    def api(self, actor: str) -> APIClient:
        api = APIClient()
        user = self.users.get(actor)
        if user is not None:
            if actor not in self.tokens:
                self.tokens[actor] = api_token(user)
            api.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[actor]}")
        return api


def _plan(**extra):
    start = now() + timedelta(days=3)
    return {
        "kind": "holiday",
        "starts_at": start,
        "ends_at": start + timedelta(days=14),
        "return_session_at": start + timedelta(days=14, hours=10),
        **extra,
    }


@pytest.fixture
def world(make_user, therapist):
    from planner.breaks import services

    therapist_b = make_user("therapist", first_name="Bea", last_name="Other")
    covering = make_user("therapist", first_name="Cory", last_name="Cover")
    user_a = make_user("client", email="client.a@example.com")
    user_b = make_user("client", email="client.b@example.com")

    client_a = services.client_create(
        therapist=therapist,
        first_name="Ada",
        last_name="Alphason",
        email="ada@example.com",
        country="GB",
    )
    client_a.user = user_a
    client_a.save(update_fields=["user"])
    client_b = services.client_create(
        therapist=therapist_b,
        first_name="Ben",
        last_name="Betason",
        email="ben@example.com",
        country="GB",
    )
    client_b.user = user_b
    client_b.save(update_fields=["user"])

    break_a = services.break_create(
        therapist=therapist,
        client=client_a,
        **_plan(
            therapist_note="NOTE-OF-A",
            warning_signs=["WARN-OF-A"],
            coping_strategies=["a walk by the river"],
            support_contacts=[{"name": "Sis", "relationship": "sister", "phone": "123"}],
            covering_clinician={"name": "Cory Cover", "phone": "+441", "email": "c@example.com"},
            covering_user=covering,
            share_check_ins_with_covering=True,
        ),
    )
    services.break_activate(brk=break_a, actor=therapist)
    draft_a = services.break_create(
        therapist=therapist, client=client_a, **_plan(kind="gap", therapist_note="NOTE-OF-A")
    )
    break_b = services.break_create(
        therapist=therapist_b,
        client=client_b,
        **_plan(therapist_note="NOTE-OF-B", warning_signs=["WARN-OF-B"]),
    )
    services.break_activate(brk=break_b, actor=therapist_b)

    prompt = break_a.prompts.order_by("send_at").first()
    DeliveryFactory(
        prompt=prompt, channel="email", status="failed", attempts=2, last_error="smtp timeout"
    )
    inbox_a = InboxMessageFactory(
        client=client_a, break_obj=break_a, category="coping", text="INBOX-OF-A"
    )
    inbox_b = InboxMessageFactory(
        client=client_b, break_obj=break_b, category="coping", text="INBOX-OF-B"
    )
    check_in_a = CheckInFactory(
        client=client_a, break_obj=break_a, distress=8, note="CHECKIN-OF-A", need_support_now=True
    )
    CheckInFactory(client=client_b, break_obj=break_b, distress=3, note="CHECKIN-OF-B")
    from planner.models import PushSubscription

    push_a = PushSubscription.objects.create(
        client=client_a, endpoint="https://fcm.googleapis.com/fcm/send/A", p256dh="k", auth="a"
    )
    from planner.letters import services as letters

    letter_a = letters.letter_create(
        client=client_a, actor=user_a, text="LETTER-OF-A", arrival="first_weekend"
    )
    return World(
        push_a=push_a,
        users={
            "anonymous": None,
            "client_a": user_a,
            "client_b": user_b,
            "therapist_a": therapist,
            "therapist_b": therapist_b,
            "covering": covering,
        },
        client_a=client_a,
        client_b=client_b,
        break_a=break_a,
        draft_a=draft_a,
        break_b=break_b,
        inbox_a=inbox_a,
        inbox_b=inbox_b,
        check_in_a=check_in_a,
        letter_a=letter_a,
    )


@pytest.fixture
def plan():
    """A valid break body (JSON-ready) for POST /breaks/."""

    def make(**extra):
        body = _plan(**extra)
        return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in body.items()}

    return make
