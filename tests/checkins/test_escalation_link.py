"""The escalation link needs its named recipient (issue 13, point 4).

A link sent to a covering colleague's account works only while they are logged in as
themselves; a link sent to an address with no account (the practice's fallback contact, a
covering clinician named only in the plan) needs a one-time code sent to that same address.
The check-in stays readable to them after the link is used, and to nobody else.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from planner.checkins import services as checkins
from planner.models import AuditEvent, Break, Client, Escalation

pytestmark = pytest.mark.django_db

START = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)
NOTE = "Sat on the bridge for an hour."


@pytest.fixture(autouse=True)
def _eager():
    from core.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def sms(monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr(
        "planner.delivery.notify.send_sms",
        lambda to, body: sent.append({"to": to, "body": body}) or "SM1",
    )
    return sent


@pytest.fixture
def covering(make_user):
    return make_user("therapist", first_name="Priya", last_name="Shah")


@pytest.fixture
def robin(therapist, make_user, practice):
    practice.fallback_contact_email = "duty@example.org"
    practice.fallback_contact_phone = "+447700900999"
    practice.save()
    return Client.objects.create(
        therapist=therapist,
        user=make_user("client", first_name="Robin"),
        first_name="Robin",
        phone="+447700900333",
    )


def escalate(robin, therapist, covering, capture, **fields) -> str:
    """A check-in that escalates; the link from the message to the covering clinician."""
    Break.objects.create(
        client=robin,
        therapist=therapist,
        kind=Break.Kind.HOLIDAY,
        status=Break.Status.ACTIVE,
        starts_at=START - timedelta(days=1),
        ends_at=START + timedelta(days=14),
        timezone="Europe/London",
        covering_clinician={"name": "Priya Shah", "email": "priya@example.org"},
        covering_user=covering,
        escalation_enabled=True,
        escalation_consent_at=START - timedelta(days=3),
        **fields,
    )
    with time_machine.travel(START, tick=False), capture(execute=True):
        checkins.checkin_record(client=robin, actor=robin.user, distress=9, note=NOTE)
    link = re.search(r"http://127\.0\.0\.1:8000(/l/escalation/\S+/)", mail.outbox[-1].body)[1]
    mail.outbox.clear()
    return link


def code_from(body: str) -> str:
    return re.search(r"code is (\d{6})", body).group(1)


def test_someone_else_logged_in_is_refused_and_learns_nothing(
    client, robin, therapist, covering, make_user, django_capture_on_commit_callbacks
):
    path = escalate(robin, therapist, covering, django_capture_on_commit_callbacks)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        client.force_login(make_user("therapist"))
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 403
            assert NOTE not in response.content.decode()
    assert Escalation.objects.get().status == Escalation.Status.NOTIFIED


def test_the_fallback_contact_confirms_a_code_sent_to_the_practices_address(
    client, robin, therapist, covering, sms, django_capture_on_commit_callbacks
):
    escalate(robin, therapist, covering, django_capture_on_commit_callbacks)
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        assert checkins.escalation_fallback_sweep() == 1
    path = re.search(r"http://127\.0\.0\.1:8000(/l/escalation/\S+/)", mail.outbox[-1].body)[1]
    mail.outbox.clear()
    sms.clear()
    with time_machine.travel(START + timedelta(minutes=40), tick=False):
        first = client.get(path)
        assert first.status_code == 200 and NOTE not in first.content.decode()
        assert "Send me a code" in first.content.decode()
        assert client.post(path, {"action": "confirm", "code": "123456"}).status_code == 400
        sent = client.post(path, {"action": "send"})
        assert sent.status_code == 200 and NOTE not in sent.content.decode()
        assert [m.to for m in mail.outbox] == [["duty@example.org"]]
        assert [m["to"] for m in sms] == ["+447700900999"]
        code = code_from(mail.outbox[0].body)
        assert NOTE not in mail.outbox[0].body and "Robin" not in mail.outbox[0].body
        wrong = client.post(
            path, {"action": "confirm", "code": "000000" if code != "0" * 6 else "1"}
        )
        assert wrong.status_code == 400 and NOTE not in wrong.content.decode()
        assert Escalation.objects.get().status == Escalation.Status.FALLBACK_NOTIFIED
        # The code works in the browser that asked for it, not in another one.
        from django.test import Client as Browser

        other = Browser()
        assert other.post(path, {"action": "confirm", "code": code}).status_code == 400
        done = client.post(path, {"action": "confirm", "code": code})
        escalation = Escalation.objects.get()
        assert done.status_code == 302 and done["Location"] == f"/escalations/{escalation.pk}/"
        assert escalation.status == Escalation.Status.ACKNOWLEDGED
        assert escalation.acknowledged_by is None
        page = client.get(done["Location"])
        assert page.status_code == 200 and NOTE in page.content.decode()
        # Still readable in this browser; never in another, nor with the used link.
        assert client.get(path).status_code == 302
        assert other.get(done["Location"]).status_code == 404
        assert other.get(path).status_code == 410
    with time_machine.travel(START + timedelta(hours=26), tick=False):
        assert client.get(f"/escalations/{escalation.pk}/").status_code == 404  # a day
    detail = AuditEvent.objects.get(action="escalation.acknowledged").detail
    assert detail["via"] == "code" and detail["recipient"] == "fallback"


def test_a_covering_clinician_without_an_account_confirms_a_code_too(
    client, robin, therapist, covering, sms, django_capture_on_commit_callbacks
):
    path = escalate(robin, therapist, covering, django_capture_on_commit_callbacks)
    Break.objects.update(covering_user=None)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        # The link was bound to Priya's account: without it nothing opens.
        assert client.get(path).status_code == 302
    Escalation.objects.all().delete()
    mail.outbox.clear()
    with (
        time_machine.travel(START + timedelta(hours=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        checkins.checkin_record(client=robin, actor=robin.user, distress=9, note=NOTE)
    path = re.search(r"http://127\.0\.0\.1:8000(/l/escalation/\S+/)", mail.outbox[-1].body)[1]
    assert mail.outbox[-1].to == ["priya@example.org"]
    mail.outbox.clear()
    with time_machine.travel(START + timedelta(hours=5, minutes=5), tick=False):
        assert "Send me a code" in client.get(path).content.decode()
        client.post(path, {"action": "send"})
        assert [m.to for m in mail.outbox] == [["priya@example.org"]]  # where the link went
        for _ in range(checkins.CODE_TRIES):
            client.post(path, {"action": "confirm", "code": "999999x"})
        code = code_from(mail.outbox[0].body)
        tired = client.post(path, {"action": "confirm", "code": code})
        assert tired.status_code == 400 and "Too many wrong codes" in tired.content.decode()
        for _ in range(checkins.CODES_PER_HOUR - 1):
            client.post(path, {"action": "send"})
        refused = client.post(path, {"action": "send"})
        assert refused.status_code == 400 and "Too many codes" in refused.content.decode()
        assert len(mail.outbox) == checkins.CODES_PER_HOUR
    assert Escalation.objects.get().status == Escalation.Status.NOTIFIED
