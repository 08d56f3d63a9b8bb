"""The circuit breaker: a provider that fails many times in a row pauses its channel.

An outage far longer than the retry backoff marks no prompt ``failed``: a few attempts are
spent before the channel pauses, none while it is paused, and the probe after each pause gives
its attempt back when it fails. Staff see the paused channel on /staff/dispatch/ and in
``manage.py dispatch_status``; the first success resets it and the backlog goes out."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from planner.delivery import outbox
from planner.delivery.channels import TransientChannelError
from planner.delivery.circuit import PAUSED
from planner.models import ChannelCircuit, Delivery, ScheduledPrompt
from tests.factories import BreakFactory, EmailClientFactory, ScheduledPromptFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DS = Delivery.Status
PS = ScheduledPrompt.Status
PROMPTS = 40


class DownSms:
    """An SMS provider that is down while ``down`` is set; counts every call."""

    down = True
    calls = 0
    sent: list[str] = []

    def send(self, *, to: str, body: str) -> str:
        type(self).calls += 1
        if type(self).down:
            raise TransientChannelError("twilio-503")
        provider_id = f"SM{type(self).calls}"
        type(self).sent.append(provider_id)
        return provider_id


@pytest.fixture
def provider(settings):
    settings.SMS_BACKEND = f"{__name__}.DownSms"
    settings.DISPATCH_BREAKER_FAILURES = 3
    settings.DISPATCH_BREAKER_PAUSE_SECONDS = 300
    settings.DISPATCH_MAX_ATTEMPTS = 3
    settings.DISPATCH_RETRY_BASE_SECONDS = 60
    DownSms.down, DownSms.calls, DownSms.sent = True, 0, []
    return DownSms


@pytest.fixture
def enqueued(monkeypatch):
    calls: list[tuple[list[int], str]] = []
    monkeypatch.setattr(outbox, "_enqueue", lambda ids, token: calls.append((ids, token)))
    return calls


@pytest.fixture
def backlog(therapist):
    clients = [
        EmailClientFactory(
            therapist=therapist, email=f"c{i}@example.com", channels=["inbox", "sms"]
        )
        for i in range(4)
    ]
    return [
        ScheduledPromptFactory(
            break_obj=BreakFactory(client=clients[n % 4], now=NOW),
            send_at=NOW - timedelta(seconds=n),
        )
        for n in range(PROMPTS)
    ]


def run(enqueued, capture, now) -> None:
    with capture(execute=True):
        outbox.sweep(now=now)
    for ids, token in list(enqueued):
        outbox.deliver_batch(ids, token, now=now)
    enqueued.clear()


def sms_deliveries():
    return Delivery.objects.filter(channel="sms")


def test_an_outage_longer_than_the_backoff_fails_no_prompt(
    provider, backlog, enqueued, django_capture_on_commit_callbacks, client, make_user
):
    capture = django_capture_on_commit_callbacks
    run(enqueued, capture, NOW)
    # Three calls: two failures spend an attempt, the third pauses the channel and is given
    # back; the other 37 messages are not tried.
    assert provider.calls == 3
    attempts = Counter(sms_deliveries().values_list("attempts", flat=True))
    assert attempts == {0: PROMPTS - 2, 1: 2}
    circuit = ChannelCircuit.objects.get(channel="sms")
    assert circuit.paused_until == NOW + timedelta(seconds=300)
    waiting = sms_deliveries().filter(last_error=PAUSED)
    assert waiting.count() == PROMPTS - 2
    assert set(waiting.values_list("next_attempt_at", flat=True)) == {circuit.paused_until}
    assert not ScheduledPrompt.objects.exclude(status=PS.PENDING).exists()

    # Staff see it.
    client.force_login(make_user("staff", is_staff=True))
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        page = client.get("/staff/dispatch/").content.decode()
        out = StringIO()
        call_command("dispatch_status", stdout=out)
    assert 'id="channels"' in page and "Paused until" in page and "twilio-503" in page
    assert "paused channels: sms until 2026-03-02T09:05:00+00:00 (3 failures in a row" in (
        out.getvalue()
    )

    # An hour of outage, a pass every minute: one probe per pause, each given back.
    for minute in range(1, 61):
        run(enqueued, capture, NOW + timedelta(minutes=minute))
    assert provider.calls == 3 + 12  # a probe at the end of each five-minute pause
    assert sms_deliveries().filter(attempts__gte=2).count() == 0
    assert not ScheduledPrompt.objects.filter(status=PS.FAILED).exists()

    # The provider is back: the next probe succeeds, the channel opens, the backlog goes out.
    provider.down = False
    later = NOW + timedelta(minutes=61)
    for minute in range(0, 12):
        run(enqueued, capture, later + timedelta(minutes=minute))
    statuses = Counter(ScheduledPrompt.objects.values_list("status", flat=True))
    assert statuses == {PS.SENT: PROMPTS}
    assert len(provider.sent) == PROMPTS  # each message once
    circuit.refresh_from_db()
    assert (circuit.consecutive_failures, circuit.paused_until) == (0, None)
    out = StringIO()
    with time_machine.travel(later + timedelta(minutes=12), tick=False):
        call_command("dispatch_status", stdout=out)
    assert "paused channels: none" in out.getvalue()


def test_failures_below_the_threshold_with_successes_between_pause_nothing(
    provider, therapist, enqueued, django_capture_on_commit_callbacks
):
    client = EmailClientFactory(therapist=therapist, channels=["inbox", "sms"])
    brk = BreakFactory(client=client, now=NOW)
    for n in range(4):
        provider.down = n % 2 == 0  # fail, succeed, fail, succeed
        ScheduledPromptFactory(break_obj=brk, send_at=NOW + timedelta(minutes=n))
        run(enqueued, django_capture_on_commit_callbacks, NOW + timedelta(minutes=n))
    circuit = ChannelCircuit.objects.get(channel="sms")
    assert circuit.paused_until is None
    assert circuit.consecutive_failures == 0  # reset by the last success


def test_a_paused_channel_does_not_hold_the_inbox_or_another_channel(
    provider, therapist, enqueued, django_capture_on_commit_callbacks, mailoutbox
):
    ChannelCircuit.objects.create(
        channel="sms", consecutive_failures=3, paused_until=NOW + timedelta(minutes=5)
    )
    client = EmailClientFactory(therapist=therapist, channels=["inbox", "email", "sms"])
    prompt = ScheduledPromptFactory(break_obj=BreakFactory(client=client, now=NOW), send_at=NOW)
    run(enqueued, django_capture_on_commit_callbacks, NOW)
    prompt.refresh_from_db()
    assert provider.calls == 0
    assert len(mailoutbox) == 1 and prompt.inbox is not None
    sms = prompt.deliveries.get(channel="sms")
    assert (sms.status, sms.attempts, sms.last_error) == (DS.RETRY, 0, PAUSED)
    assert prompt.status == PS.PENDING and prompt.due_at == NOW + timedelta(minutes=5)
