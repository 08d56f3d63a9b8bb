"""The therapist's notice of an erasure is sent by a Celery task after the commit, never by
SMTP inside the client's request; a failure to send is retried and logs no address."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime

import pytest
from django.core import mail

from planner import enqueue
from planner.models import Client
from planner.privacy import services as privacy
from planner.tasks import notify_client_erased

pytestmark = pytest.mark.django_db

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class RefusingBackend:
    """An SMTP server that is down: any send fails (as after the 20 s timeout)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed: therapist@x.org")


@pytest.fixture
def robin(therapist, make_user):
    login = make_user("client", email="robin@example.com", first_name="Robin")
    return Client.objects.create(therapist=therapist, user=login, first_name="Robin")


@pytest.fixture
def queued(monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(enqueue, "send", lambda name, *args: calls.append((name, *args)))
    return calls


def test_the_erasure_queues_the_notice_and_sends_nothing_itself(
    client, robin, therapist, queued, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"  # would fail the request if used
    client.force_login(robin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/me/data/delete/", {"confirm": "DELETE", "password": "a-long-test-password-1"}
        )
    assert response.status_code == 200
    assert len(queued) == 1
    name, therapist_id, client_id, at = queued[0]
    assert (name, therapist_id, client_id) == (enqueue.NOTIFY_CLIENT_ERASED, therapist.pk, robin.pk)
    assert datetime.fromisoformat(at).tzinfo is not None
    assert mail.outbox == []


def test_nothing_is_queued_before_the_commit(robin, therapist, queued):
    from django.db import transaction

    with transaction.atomic():
        privacy.client_erase(client=robin, actor=therapist)
        assert queued == []


def test_the_task_sends_the_notice_without_the_clients_name(robin, therapist):
    notify_client_erased(therapist.pk, robin.pk, AT.isoformat())
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [therapist.email]
    assert f"A client (id {robin.pk}) asked for their data to be deleted" in notice.body
    assert "1 June 2026" in notice.body
    assert "Robin" not in notice.body + notice.subject


def test_a_failure_to_send_is_retried_and_logs_no_address(robin, therapist, settings, log_capture):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with pytest.raises(privacy.NoticeNotSent) as caught:
        privacy.erasure_notice_send(therapist_id=therapist.pk, client_id=robin.pk, at=AT)
    assert str(caught.value) == "SMTPServerDisconnected"
    assert privacy.NoticeNotSent in notify_client_erased.autoretry_for
    assert "therapist@x.org" not in log_capture.text
    assert therapist.email not in log_capture.text
    assert "privacy.therapist_notice_failed" in log_capture.text
