"""A message the provider may have accepted is never sent again.

A real SMTP server (aiosmtpd, on a local port) stores the message and drops the connection
before its 250: the delivery is ``unconfirmed`` at once, the prompt too (with no stale
``last_error``), and no later sweep sends it again; the same Message-ID reaches the server
exactly once. A drop before the message was handed over is still a transient error (retried).
"""

from __future__ import annotations

import smtplib
import socket
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests

from planner.delivery import outbox
from planner.delivery.channels import TransientChannelError, UnconfirmedChannelError
from planner.delivery.channels.email import classify_email_error
from planner.models import Delivery, ScheduledPrompt
from tests.factories import BreakFactory, EmailClientFactory, ScheduledPromptFactory
from tests.integration.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DS = Delivery.Status
PS = ScheduledPrompt.Status


def test_no_reply_after_the_message_was_handed_over_is_unconfirmed():
    for exc in (smtplib.SMTPServerDisconnected("gone"), TimeoutError(), ConnectionResetError()):
        assert isinstance(classify_email_error(exc, handed_over=True), UnconfirmedChannelError)
    # An answer is an answer: the server refused it, so it may be tried again.
    refused = smtplib.SMTPDataError(451, b"try later")
    assert isinstance(classify_email_error(refused, handed_over=True), TransientChannelError)
    # Before the message was handed over, nothing can have arrived.
    gone = smtplib.SMTPServerDisconnected("gone")
    assert isinstance(classify_email_error(gone, handed_over=False), TransientChannelError)
    # An HTTP provider (django-anymail) that timed out reading its reply.
    assert isinstance(
        classify_email_error(requests.exceptions.ReadTimeout()), UnconfirmedChannelError
    )


@pytest.fixture
def dropping_sink(settings):
    sink = SmtpSink(drop_after_data=1).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 5
    yield sink
    sink.stop()


@pytest.fixture
def enqueued(monkeypatch):
    calls: list[tuple[list[int], str]] = []
    monkeypatch.setattr(outbox, "_enqueue", lambda ids, token: calls.append((ids, token)))
    return calls


def deliver_due(enqueued, capture, now) -> None:
    with capture(execute=True):
        outbox.sweep(now=now)
    for ids, token in list(enqueued):
        outbox.deliver_batch(ids, token, now=now)
    enqueued.clear()


def test_a_message_stored_before_a_dropped_reply_is_unconfirmed_and_never_resent(
    therapist, dropping_sink, enqueued, django_capture_on_commit_callbacks
):
    brk = BreakFactory(client=EmailClientFactory(therapist=therapist), now=NOW)
    first = ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(minutes=2))
    second = ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(minutes=1))
    ScheduledPrompt.objects.filter(pk=first.pk).update(last_error="retrying")

    deliver_due(enqueued, django_capture_on_commit_callbacks, NOW)
    for later in (1, 10, 60):  # sweeps long after: nothing is due, nothing sent again
        deliver_due(enqueued, django_capture_on_commit_callbacks, NOW + timedelta(minutes=later))

    first.refresh_from_db()
    second.refresh_from_db()
    dropped = first.deliveries.get(channel="email")
    assert (dropped.status, dropped.attempts) == (DS.UNCONFIRMED, 1)
    assert dropped.last_error == "unconfirmed:no-reply-after-data:SMTPServerDisconnected"
    assert (first.status, first.last_error) == (PS.UNCONFIRMED, "")
    assert second.status == PS.SENT  # the next message, on a new connection
    ids = Counter(dropping_sink.message_ids())
    assert ids == {dropped.message_id: 1, second.deliveries.get(channel="email").message_id: 1}


def test_a_connection_dropped_before_the_message_is_retried(
    therapist, settings, enqueued, django_capture_on_commit_callbacks
):
    with socket.socket() as s:  # a port where no server listens: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    prompt = ScheduledPromptFactory(
        break_obj=BreakFactory(client=EmailClientFactory(therapist=therapist), now=NOW), send_at=NOW
    )
    deliver_due(enqueued, django_capture_on_commit_callbacks, NOW)
    email = prompt.deliveries.get(channel="email")
    assert email.status == DS.RETRY and email.last_error.startswith("transient:")
