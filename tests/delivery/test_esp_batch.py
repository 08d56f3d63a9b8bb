"""ESP batch sending: where the email backend is a django-anymail ESP that reports a status per
recipient, the neutral emails of a sub-batch go as one call (merge_data for each recipient's
links, merge_headers for their headers). Each recipient gets the email the one-at-a-time path
would have sent, and each Delivery row its own outcome."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from anymail.exceptions import AnymailAPIError
from django.core import mail

from planner.delivery import outbox as dispatch
from planner.delivery.channels import get_channel
from planner.delivery.channels.email import batch_esp, build_email
from planner.delivery.circuit import Breakers
from planner.models import Delivery, ScheduledPrompt
from tests.delivery.email_backends import ESPBackend
from tests.delivery.test_email_identical import outbound_message
from tests.factories import BreakFactory, EmailClientFactory, ScheduledPromptFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PS = ScheduledPrompt.Status
DS = Delivery.Status
ESP = "tests.delivery.email_backends.ESPBackend"


@pytest.fixture(autouse=True)
def _esp(settings):
    settings.EMAIL_BACKEND = ESP
    settings.EMAIL_BATCH_SEND = True
    ESPBackend.answers, ESPBackend.error, ESPBackend.calls = {}, None, 0


def _merged(text: str, data: dict[str, str]) -> str:
    """What the ESP does with the batch's bodies for one recipient (the test backend's merge
    fields are {{name}})."""
    return re.sub(r"\{\{(\w+)\}\}", lambda match: data[match.group(1)], text)


def test_each_recipient_of_a_batch_gets_the_email_sent_one_at_a_time(therapist):
    clients = [EmailClientFactory(therapist=therapist, email=f"c{i}@example.com") for i in range(3)]
    with time_machine.travel(NOW, tick=False):
        messages = [outbound_message(c, n) for n, c in enumerate(clients)]
        # Characters the HTML template escapes, in case a SITE_URL ever has them.
        messages[2] = outbound_message(clients[2], 2, link="https://x.example/l/inbox/a&b'c\"d<e>/")
        channel = get_channel("email")
        outcomes = channel.send_batch(messages)
        channel.close()
    assert all(isinstance(outcome, str) for outcome in outcomes)
    [batch] = mail.outbox  # one ESP call
    assert batch.anymail_test_params["is_batch_send"]  # each recipient sees only themselves
    assert batch.to == [c.email for c in clients]
    assert batch.extra_headers == {}
    for message in messages:
        alone = build_email(message)
        data = batch.merge_data[message.client.email]
        assert batch.subject == alone.subject and batch.from_email == alone.from_email
        assert _merged(batch.body, data) == alone.body
        [(html, kind)] = batch.alternatives
        assert [(_merged(html, data), kind)] == alone.alternatives
        assert batch.merge_headers[message.client.email] == alone.extra_headers
    assert "a&amp;b&#x27;c&quot;d&lt;e&gt;" in _merged(html, batch.merge_data[clients[2].email])


def test_the_setting_and_the_backend_decide_whether_email_is_batched(settings):
    assert batch_esp() is not None
    settings.EMAIL_BATCH_SEND = False
    assert batch_esp() is None
    settings.EMAIL_BATCH_SEND = True
    for backend in ("smtp", "console", "dummy", "locmem", "missing"):
        settings.EMAIL_BACKEND = f"django.core.mail.backends.{backend}.EmailBackend"
        assert batch_esp() is None, backend


# --- through the outbox -----------------------------------------------------------------------


@pytest.fixture
def prompts(therapist):
    made = []
    for i in range(3):
        client = EmailClientFactory(therapist=therapist, email=f"c{i}@example.com")
        brk = BreakFactory(client=client, now=NOW)
        made.append(ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(seconds=5 - i)))
    return made


def _deliver(django_capture_on_commit_callbacks, monkeypatch, *, now=NOW) -> int:
    batches: list[tuple[list[int], str]] = []
    monkeypatch.setattr(dispatch, "_enqueue", lambda ids, token: batches.append((ids, token)))
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=now)
    for ids, token in batches:
        dispatch.deliver_batch(ids, token, now=now)
    return len(batches)


def _emails(prompts) -> list[tuple[str, str]]:
    rows = {d.prompt_id: (d.status, d.last_error) for d in Delivery.objects.filter(channel="email")}
    return [rows[p.pk] for p in prompts]


def test_a_sub_batch_of_neutral_emails_is_one_call_each_delivery_sent_with_its_id(
    prompts, django_capture_on_commit_callbacks, monkeypatch
):
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert ESPBackend.calls == 1
    [batch] = mail.outbox
    assert sorted(batch.to) == sorted(p.client.email for p in prompts)
    assert _emails(prompts) == [(DS.SENT, "")] * 3
    ids = {d.message_id for d in Delivery.objects.filter(channel="email")}
    assert ids == {h["Message-ID"] for h in batch.merge_headers.values()}
    assert {p.status for p in ScheduledPrompt.objects.all()} == {PS.SENT}


def test_opted_in_clients_are_sent_one_at_a_time_beside_the_batch(
    prompts, therapist, django_capture_on_commit_callbacks, monkeypatch
):
    opted_in = EmailClientFactory(
        therapist=therapist, email="in@example.com", full_text_opt_in=True
    )
    brk = BreakFactory(client=opted_in, now=NOW)
    ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(seconds=1))
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert ESPBackend.calls == 2
    batch, alone = sorted(mail.outbox, key=lambda m: len(m.to), reverse=True)
    assert len(batch.to) == 3 and opted_in.email not in batch.to
    assert alone.to == [opted_in.email] and not alone.anymail_test_params["is_batch_send"]
    assert "breathing exercise" in alone.body and "breathing exercise" not in batch.body
    assert set(Delivery.objects.filter(channel="email").values_list("status", flat=True)) == {
        DS.SENT
    }


def test_a_recipient_the_esp_rejects_fails_alone_and_loses_email(
    prompts, django_capture_on_commit_callbacks, monkeypatch
):
    refused = prompts[1].client
    ESPBackend.answers = {refused.email: "rejected"}
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert _emails(prompts) == [
        (DS.SENT, ""),
        (DS.FAILED, "permanent:recipient-rejected"),
        (DS.SENT, ""),
    ]
    refused.refresh_from_db()
    assert "email" not in refused.channels  # switched off, as for a refused address alone
    assert all("email" in p.client.channels for p in (prompts[0], prompts[2]))


def test_a_recipient_the_esp_failed_is_retried_alone_later(
    prompts, settings, django_capture_on_commit_callbacks, monkeypatch
):
    ESPBackend.answers = {prompts[0].client.email: "failed"}
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert _emails(prompts)[0] == (DS.RETRY, "transient:recipient-failed")
    ESPBackend.answers = {}
    later = NOW + timedelta(seconds=settings.DISPATCH_RETRY_BASE_SECONDS + 1)
    _deliver(django_capture_on_commit_callbacks, monkeypatch, now=later)
    assert _emails(prompts) == [(DS.SENT, "")] * 3
    assert ESPBackend.calls == 2 and mail.outbox[1].to == [prompts[0].client.email]


@pytest.mark.parametrize("answer", ["unknown", None])
def test_an_unknown_or_missing_status_is_unconfirmed_for_that_recipient(
    prompts, answer, django_capture_on_commit_callbacks, monkeypatch
):
    ESPBackend.answers = {prompts[2].client.email: answer}  # None: not named in the answer
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    statuses = [status for status, _error in _emails(prompts)]
    assert statuses == [DS.SENT, DS.SENT, DS.UNCONFIRMED]
    assert ScheduledPrompt.objects.get(pk=prompts[2].pk).status == PS.UNCONFIRMED


def test_an_error_from_the_whole_call_leaves_the_batch_unconfirmed_and_sends_none_again(
    prompts, settings, django_capture_on_commit_callbacks, monkeypatch
):
    ESPBackend.error = AnymailAPIError("the ESP went away")
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert {status for status, _error in _emails(prompts)} == {DS.UNCONFIRMED}
    assert {p.status for p in ScheduledPrompt.objects.all()} == {PS.UNCONFIRMED}
    ESPBackend.error = None
    later = NOW + timedelta(seconds=settings.DISPATCH_LEASE_SECONDS + 1)
    assert _deliver(django_capture_on_commit_callbacks, monkeypatch, now=later) == 0
    assert ESPBackend.calls == 1  # never resent
    assert {status for status, _error in _emails(prompts)} == {DS.UNCONFIRMED}


def test_a_batch_anymail_refuses_to_build_goes_one_at_a_time(
    prompts, django_capture_on_commit_callbacks, monkeypatch
):
    # An address anymail cannot parse fails the batch before anything was posted.
    bad = prompts[1].client
    bad.email = "not an address@"
    bad.save()
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    statuses = [status for status, _error in _emails(prompts)]
    assert statuses[0] == statuses[2] == DS.SENT and statuses[1] != DS.SENT
    assert sorted(len(m.to) for m in mail.outbox) == [1, 1]  # the two good ones, alone


def test_the_circuit_breaker_counts_each_recipient_that_failed(
    prompts, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.DISPATCH_BREAKER_FAILURES = 2
    ESPBackend.answers = {p.client.email: "failed" for p in prompts}
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert Breakers.load(now=NOW).paused_until("email") is not None
    # The first failure spent its attempt; the ones that found email paused gave it back.
    rows = Delivery.objects.filter(channel="email").order_by("prompt__send_at")
    assert [d.attempts for d in rows] == [1, 0, 0]


def test_smtp_like_backends_send_one_at_a_time(
    prompts, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert ESPBackend.calls == 0
    assert sorted(m.to for m in mail.outbox) == sorted([p.client.email] for p in prompts)
    assert _emails(prompts) == [(DS.SENT, "")] * 3


# --- a real ESP's payload: Mailjet ------------------------------------------------------------


class _Answer:
    """Mailjet's answer to the batch: the first message sent, the others in error."""

    def __init__(self) -> None:
        self.posted: list[dict] = []

    def __call__(self, method, url, **kwargs):
        payload = json.loads(kwargs["data"])
        self.posted.append(payload)
        results = [{"Status": "error", "Errors": [{"ErrorCode": "mj-0013"}]}] * len(
            payload["Messages"]
        )
        first = payload["Messages"][0]["To"][0]["Email"]
        results[0] = {"Status": "success", "To": [{"Email": first, "MessageID": 7001}]}
        response = requests.Response()
        response.status_code, response.url = 200, url
        response._content = json.dumps({"Messages": results}).encode()
        response.encoding = "utf-8"
        return response


def test_through_mailjet_each_recipient_gets_their_links_headers_and_status(
    prompts, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.EMAIL_BACKEND = "anymail.backends.mailjet.EmailBackend"
    settings.ANYMAIL = {"MAILJET_API_KEY": "key", "MAILJET_SECRET_KEY": "secret"}
    answer = _Answer()
    monkeypatch.setattr(requests.Session, "request", lambda _session, *a, **kw: answer(*a, **kw))
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    [payload] = answer.posted
    assert payload["Globals"]["TemplateLanguage"] is True
    by_address = {m["To"][0]["Email"]: m for m in payload["Messages"]}
    for delivery in Delivery.objects.filter(channel="email").select_related("prompt__client"):
        sent = by_address[delivery.prompt.client.email]
        assert sent["Headers"]["Message-ID"] == delivery.message_id
        assert sent["Variables"]["link"] in sent["Variables"]["link_html"]  # (no & to escape)
    assert "{{var:link}}" in payload["Globals"]["TextPart"]
    assert '"{{var:link_html}}"' in payload["Globals"]["HTMLPart"]
    assert len({m["Variables"]["link"] for m in payload["Messages"]}) == 3
    first, *others = _emails(prompts)
    assert first == (DS.SENT, "")
    assert others == [(DS.RETRY, "transient:recipient-failed")] * 2
    assert Delivery.objects.get(prompt=prompts[0], channel="email").provider_id == "7001"


def test_an_unexpected_error_in_the_channel_leaves_the_batch_unconfirmed(
    prompts, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(self, messages):
        raise RuntimeError("a bug")

    monkeypatch.setattr("planner.delivery.channels.email.EmailChannel.send_batch", broken)
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert _emails(prompts) == [(DS.UNCONFIRMED, "unconfirmed:batch:RuntimeError")] * 3


def test_when_a_batch_call_pauses_email_the_next_sub_batch_waits_without_spending_attempts(
    prompts, settings, django_capture_on_commit_callbacks, monkeypatch
):
    # The first sub-batch pauses email; the second is not sent, and spends nothing.
    settings.DISPATCH_ATTEMPT_BATCH, settings.DISPATCH_BREAKER_FAILURES = 2, 1
    ESPBackend.answers = {p.client.email: "failed" for p in prompts}
    _deliver(django_capture_on_commit_callbacks, monkeypatch)
    assert ESPBackend.calls == 1
    last = Delivery.objects.get(prompt=prompts[2], channel="email")
    assert (last.status, last.last_error, last.attempts) == (DS.RETRY, "channel-paused", 0)
