"""A full journey through the demo practice, with every log line captured: no name, email,
phone number or message text of the demo client may appear in the logs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils.timezone import now
from rest_framework.authtoken.models import Token

from core.models import User
from planner.breaks import services
from planner.delivery import outbox as dispatch
from planner.me import services as me_services
from planner.models import Break, Client, InboxMessage
from tests.security_helpers import assert_no_pii_in

DEMO_PASSWORD = "between-demo"
CHECK_IN_NOTE = "Walked to the bridge again tonight and sat there for an hour."


@pytest.fixture
def demo(settings, db):
    settings.DEBUG = True
    call_command("loaddemo")
    settings.DEBUG = False
    settings.SMS_BACKEND = "planner.delivery.channels.sms.ConsoleSmsBackend"


def _login(client, email: str) -> None:
    response = client.post("/login/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:300]


def test_a_full_journey_logs_no_personal_data_or_message_text(
    demo, client, log_capture, django_capture_on_commit_callbacks
):
    robin = Client.objects.get(email="client@example.com")
    therapist = User.objects.get(email="therapist@example.com")
    brk = Break.objects.get(client=robin)
    # Robin agrees to email and SMS and to escalation during this break.
    me_services.preferences_update(
        client=robin, actor=robin.user, channels=["inbox", "email", "sms"]
    )
    services.break_update(
        brk=brk,
        actor=therapist,
        escalation_enabled=True,
        escalation_consent_at=now(),
        share_check_ins_with_covering=True,
    )

    # The therapist looks at the dashboard, the client and the break.
    _login(client, "therapist@example.com")
    for url in (
        "/",
        f"/clients/{robin.pk}/",
        f"/breaks/{brk.pk}/",
        f"/breaks/{brk.pk}/deliveries/",
    ):
        assert client.get(url).status_code == 200, url
    client.logout()

    # The next prompt comes due and is delivered to the inbox, by email and by SMS.
    due = brk.prompts.filter(status="pending").order_by("due_at").first().due_at
    with django_capture_on_commit_callbacks(execute=True):
        claimed = dispatch.sweep(now=due + timedelta(minutes=1))
    assert claimed >= 1
    message = InboxMessage.objects.filter(client=robin).first()
    assert message is not None

    # Robin reads and acknowledges it, checks in in distress, and downloads their data.
    _login(client, "client@example.com")
    assert client.get("/").status_code == 200
    assert client.get("/me/inbox/").status_code == 200
    assert client.post(f"/me/inbox/{message.pk}/acknowledge/").status_code in (200, 302)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/me/check-in/",
            {"distress": "9", "note": CHECK_IN_NOTE, "need_support_now": "on"},
        )
    assert response.status_code == 200
    assert b"not an emergency service" in response.content
    assert client.get("/me/preferences/").status_code == 200
    assert client.get("/me/data/export.json").status_code == 200
    client.logout()

    # And through the API.
    token = Token.objects.create(user=robin.user)
    api = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/api/v1/me/inbox/", **api).status_code == 200
    assert client.get("/api/v1/me/breaks/", **api).status_code == 200

    logs = log_capture.text
    assert "dispatch" in logs and "audit" in logs, "the journey should have been logged"
    assert_no_pii_in(logs, "Robin", "client@example.com", "+447700900123", "Jamie", "+447700900111")
    for text in (message.text, CHECK_IN_NOTE, brk.therapist_note, "a walk by the river"):
        assert text[:40] not in logs, "message or plan text reached the logs"
