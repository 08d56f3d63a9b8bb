"""Web Push as a channel, against a local fake push service that decrypts what it gets.

The outbox runs in-process (sweep, then deliver_batch) as in test_outbox.py; the fake service
(tests/push_service.py) answers 201, 410 or 503 as told, and reads each notification with the
device's own private key, as the browser would.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail

from planner.delivery import outbox as dispatch
from planner.delivery.channels.push import push_payload
from planner.models import ConsentRecord, Delivery, PushSubscription, ScheduledPrompt
from planner.phone import services as phone
from planner.phone.vapid import new_pair
from tests.factories import BreakFactory, ClientFactory, ScheduledPromptFactory
from tests.push_service import FakePushService

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DS = Delivery.Status
PS = ScheduledPrompt.Status


@pytest.fixture
def push_service(settings):
    private, public = new_pair()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = private, public
    settings.VAPID_SUBJECT = "mailto:ops@between.test"
    settings.PUSH_ALLOW_HTTP = True
    settings.PUSH_SERVICE_HOSTS = ["127.0.0.1"]
    settings.DISPATCH_RETRY_BASE_SECONDS = 60
    with FakePushService() as service:
        yield service


@pytest.fixture
def enqueued(monkeypatch):
    calls: list[tuple[list[int], str]] = []
    monkeypatch.setattr(dispatch, "_enqueue", lambda ids, token: calls.append((ids, token)))
    return calls


@pytest.fixture
def deliver(enqueued, django_capture_on_commit_callbacks):
    def run(now=NOW):
        with django_capture_on_commit_callbacks(execute=True):
            dispatch.sweep(now=now)
        with django_capture_on_commit_callbacks(execute=True):
            for ids, token in list(enqueued):
                dispatch.deliver_batch(ids, token, now=now)
        enqueued.clear()

    return run


def subscribed(push_service, therapist, *names, **client_fields):
    """A client with a live break, and a device (subscription) for each name."""
    client = ClientFactory(therapist=therapist, timezone="UTC", **client_fields)
    brk = BreakFactory(client=client, now=NOW)
    for name in names:
        device = push_service.device(name)
        phone.push_subscribe(
            client=client,
            actor=None,
            endpoint=device.endpoint,
            p256dh=device.p256dh,
            auth=device.auth,
        )
    client.refresh_from_db()
    return client, brk


def test_a_prompt_is_pushed_once_encrypted_to_the_device_and_neutral(
    push_service, therapist, deliver
):
    client, brk = subscribed(push_service, therapist, "phone")
    assert "push" in client.channels
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(minutes=1))

    deliver()
    deliver(NOW + timedelta(minutes=5))  # a later sweep sends nothing again

    [shown] = push_service.shown["phone"]
    assert shown["title"] == "Between"
    assert shown["body"] == "You have a new message in Between."  # not the prompt's text
    assert prompt.text not in str(shown) and client.first_name not in str(shown)
    assert "/l/inbox/" in shown["url"]  # the click opens the message in Between
    [(_, _, headers)] = push_service.requests
    assert headers["authorization"].startswith("vapid t=")  # VAPID-signed
    assert headers["content-encoding"] == "aes128gcm"
    delivery = prompt.deliveries.get(channel="push")
    assert (delivery.status, delivery.attempts) == (DS.SENT, 1)
    prompt.refresh_from_db()
    assert prompt.status == PS.SENT


def test_the_full_text_only_when_the_client_opted_in(push_service, therapist, deliver):
    _client, brk = subscribed(push_service, therapist, "phone", full_text_opt_in=True)
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    deliver()
    assert push_service.shown["phone"][0]["body"] == prompt.text


def test_every_device_gets_it_in_one_delivery(push_service, therapist, deliver):
    _client, brk = subscribed(push_service, therapist, "phone", "laptop")
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    deliver()
    assert len(push_service.shown["phone"]) == len(push_service.shown["laptop"]) == 1
    assert prompt.deliveries.filter(channel="push").count() == 1


def test_a_410_removes_that_device_and_the_others_still_get_it(push_service, therapist, deliver):
    client, brk = subscribed(push_service, therapist, "old-phone", "phone")
    push_service.answer("old-phone", 410)
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)

    deliver()

    assert list(client.push_subscriptions.values_list("endpoint", flat=True)) == [
        push_service.devices["phone"].endpoint
    ]
    assert len(push_service.shown["phone"]) == 1
    assert prompt.deliveries.get(channel="push").status == DS.SENT
    client.refresh_from_db()
    assert "push" in client.channels


def test_a_410_on_the_last_device_switches_push_off_with_a_record(push_service, therapist, deliver):
    client, brk = subscribed(push_service, therapist, "phone")
    push_service.answer("phone", 410)
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)

    deliver()

    assert not PushSubscription.objects.filter(client=client).exists()
    delivery = prompt.deliveries.get(channel="push")
    assert (delivery.status, delivery.last_error) == (DS.FAILED, "permanent:push-410")
    client.refresh_from_db()
    assert "push" not in client.channels
    latest = ConsentRecord.objects.filter(client=client, subject="push").first()
    assert (latest.granted, latest.source) == (False, "provider-permanent-error")
    prompt.refresh_from_db()
    assert prompt.status == PS.SENT  # the inbox has it; push was refused for good
    assert "push notification" in mail.outbox[-1].body  # the therapist is told, as for email

    later = ScheduledPromptFactory(break_obj=brk, send_at=NOW + timedelta(hours=1))
    deliver(NOW + timedelta(hours=1))
    assert not later.deliveries.filter(channel="push").exists()  # nothing pushed any more
    assert len(push_service.requests) == 1


def test_a_503_is_retried_with_backoff_and_then_sent_once(push_service, therapist, deliver):
    client, brk = subscribed(push_service, therapist, "phone")
    push_service.answer("phone", 503)
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)

    deliver()
    delivery = prompt.deliveries.get(channel="push")
    assert (delivery.status, delivery.last_error) == (DS.RETRY, "transient:push-503")
    assert delivery.next_attempt_at == NOW + timedelta(seconds=60)
    assert push_service.shown["phone"] == []

    deliver(NOW + timedelta(seconds=30))  # not yet due
    assert len(push_service.requests) == 1

    deliver(NOW + timedelta(seconds=61))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DS.SENT, 2)
    assert len(push_service.shown["phone"]) == 1
    assert client.push_subscriptions.count() == 1  # a 503 never removes a device
    prompt.refresh_from_db()
    assert prompt.status == PS.SENT


def test_a_429_is_transient_too(push_service, therapist, deliver):
    _client, brk = subscribed(push_service, therapist, "phone")
    push_service.answer("phone", 429)
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    deliver()
    assert prompt.deliveries.get(channel="push").status == DS.RETRY


def test_nothing_is_pushed_in_quiet_hours(push_service, therapist, deliver):
    _client, brk = subscribed(
        push_service, therapist, "phone", quiet_hours_start=time(8, 30), quiet_hours_end=time(9, 30)
    )
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    deliver()
    assert push_service.requests == []
    prompt.refresh_from_db()
    assert (prompt.status, prompt.skip_reason) == (PS.SKIPPED, "quiet_hours")


def test_nothing_is_pushed_while_paused(push_service, therapist, deliver):
    _client, brk = subscribed(
        push_service, therapist, "phone", paused_until=NOW + timedelta(days=1)
    )
    ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    deliver()
    assert push_service.requests == []


def test_the_attempt_is_recorded_before_the_push_service_is_called(
    push_service, therapist, deliver, monkeypatch
):
    _client, brk = subscribed(push_service, therapist, "phone")
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    seen = []
    from planner.delivery.channels import push as push_module

    original = push_module.webpush

    def watching(**kwargs):
        seen.append(Delivery.objects.get(prompt=prompt, channel="push").status)
        return original(**kwargs)

    monkeypatch.setattr(push_module, "webpush", watching)
    deliver()
    assert seen == [DS.ATTEMPTING]


def test_no_reply_from_the_push_service_is_unconfirmed_never_resent(
    push_service, therapist, deliver, monkeypatch
):
    import requests

    from planner.delivery.channels import push as push_module

    _client, brk = subscribed(push_service, therapist, "phone")
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)

    def timed_out(**kwargs):
        raise requests.exceptions.ReadTimeout("no reply")

    monkeypatch.setattr(push_module, "webpush", timed_out)
    deliver()
    deliver(NOW + timedelta(hours=1))
    assert prompt.deliveries.get(channel="push").status == DS.UNCONFIRMED


def test_without_vapid_keys_push_waits_and_sends_nothing(
    push_service, therapist, deliver, settings
):
    _client, brk = subscribed(push_service, therapist, "phone")
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = settings.VAPID_KEY_FILE = ""
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    deliver()
    delivery = prompt.deliveries.get(channel="push")
    assert (delivery.status, delivery.last_error) == (DS.RETRY, "transient:push-not-configured")
    assert push_service.requests == []


def test_the_payload_is_the_neutral_line_and_the_link(therapist):
    from planner.delivery.channels import OutboundMessage

    client = ClientFactory(therapist=therapist)
    message = OutboundMessage(
        client=client,
        prompt_id=3,
        delivery_id=4,
        category="coping",
        full_text="Try the breathing.",
        neutral_text="You have a new message in Between.",
        link="http://127.0.0.1:8000/l/inbox/abc/",
        message_id="<x>",
    )
    assert push_payload(message) == {
        "title": "Between",
        "body": "You have a new message in Between.",
        "url": "http://127.0.0.1:8000/l/inbox/abc/",
        "tag": "between-prompt-3",
    }


def test_the_therapists_delivery_log_shows_push_like_the_others(
    push_service, therapist, deliver, client
):
    _client, brk = subscribed(push_service, therapist, "phone")
    ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    deliver()
    client.force_login(therapist)
    page = client.get(f"/breaks/{brk.pk}/deliveries/").content.decode()
    assert "<td>Push notification</td><td>Sent</td>" in page
