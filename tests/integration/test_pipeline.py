"""The set-based delivery path on PostgreSQL (planner/delivery/pipeline.py), in-process: the
same outcomes as the general path, exactly once, and everything it cannot finish handed over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from planner.delivery import outbox, pipeline
from planner.models import (
    Break,
    ChannelCircuit,
    ConsentRecord,
    Delivery,
    InboxMessage,
    ScheduledPrompt,
)
from tests.delivery.email_backends import DyingBackend, ESPBackend, Killed
from tests.factories import BreakFactory, EmailClientFactory, ScheduledPromptFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PS = ScheduledPrompt.Status
DS = Delivery.Status


def _prompts(therapist, n: int, **client_fields) -> list[ScheduledPrompt]:
    made = []
    for i in range(n):
        client = EmailClientFactory(therapist=therapist, **client_fields)
        brk = BreakFactory(client=client, now=NOW)
        made.append(ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(seconds=n - i)))
    return made


def _claim(monkeypatch, capture, *, now=NOW) -> list[tuple[list[int], str]]:
    batches: list[tuple[list[int], str]] = []
    monkeypatch.setattr(outbox, "_enqueue", lambda ids, token: batches.append((ids, token)))
    with capture(execute=True):
        outbox.sweep(now=now)
    return batches


def _deliver(monkeypatch, capture, *, now=NOW):
    summaries = []
    for ids, token in _claim(monkeypatch, capture, now=now):
        summaries.append(pipeline.deliver_batch(ids, token, now=now))
    return summaries


def _emails(prompts) -> list[str]:
    by_prompt = dict(Delivery.objects.filter(channel="email").values_list("prompt_id", "status"))
    return [by_prompt.get(p.pk, "") for p in prompts]


@pytest.fixture
def small_sub_batches(settings):
    settings.DISPATCH_ATTEMPT_BATCH = 2


def test_it_delivers_inbox_and_email_once_each_and_settles_the_prompts(
    db, therapist, monkeypatch, django_capture_on_commit_callbacks
):
    prompts = _prompts(therapist, 3)
    inbox_only = _prompts(therapist, 1, channels=["inbox"])[0]
    [summary] = _deliver(monkeypatch, django_capture_on_commit_callbacks)
    assert (summary.prompts, summary.inbox, summary.counts) == (4, 4, {"sent": 4})

    for prompt in [*prompts, inbox_only]:
        prompt.refresh_from_db()
        assert (prompt.status, prompt.sent_at, prompt.finished_at) == (PS.SENT, NOW, NOW)
        assert prompt.claim_token is None and prompt.claimed_until is None
        assert InboxMessage.objects.get(prompt=prompt).text == prompt.text
    assert [p.attempts for p in prompts] == [1, 1, 1]
    assert _emails([*prompts, inbox_only]) == ["sent", "sent", "sent", ""]
    assert len(mail.outbox) == 3
    for prompt, email in zip(prompts, mail.outbox, strict=True):
        delivery = prompt.deliveries.get(channel="email")
        expected = f"<delivery-{delivery.pk}.prompt-{prompt.pk}@127.0.0.1>"
        assert email.extra_headers["Message-ID"] == delivery.message_id == expected
        assert email.to == [prompt.client.email]
        assert (delivery.attempts, delivery.sent_at) == (1, NOW)


def test_a_task_run_twice_sends_nothing_twice(
    db, therapist, monkeypatch, django_capture_on_commit_callbacks
):
    prompts = _prompts(therapist, 3)
    [(ids, token)] = _claim(monkeypatch, django_capture_on_commit_callbacks)
    pipeline.deliver_batch(ids, token, now=NOW)
    pipeline.deliver_batch(ids, token, now=NOW)
    assert InboxMessage.objects.count() == 3 and len(mail.outbox) == 3
    assert _emails(prompts) == ["sent"] * 3


def test_what_the_fast_path_does_not_take_goes_the_general_way(
    db, therapist, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "planner.delivery.channels.sms.ConsoleSmsBackend"
    email = _prompts(therapist, 1)[0]
    sms = _prompts(therapist, 1, channels=["inbox", "email", "sms"])[0]
    paused = _prompts(therapist, 1)[0]
    Break.objects.filter(pk=paused.break_obj_id).update(paused_at=NOW)
    [summary] = _deliver(monkeypatch, django_capture_on_commit_callbacks)
    assert summary.counts == {"sent": 2, "skipped": 1}
    assert Delivery.objects.get(prompt=sms, channel="sms").status == DS.SENT
    paused.refresh_from_db()
    assert (paused.status, paused.skip_reason) == (PS.SKIPPED, "paused")
    assert _emails([email, sms, paused]) == ["sent", "sent", ""]
    assert InboxMessage.objects.count() == 2 and len(mail.outbox) == 2


def test_a_crash_leaves_at_most_one_sub_batch_unconfirmed(
    db, therapist, settings, small_sub_batches, monkeypatch, django_capture_on_commit_callbacks
):
    prompts = _prompts(therapist, 5)
    settings.EMAIL_BACKEND = "tests.delivery.email_backends.DyingBackend"
    DyingBackend.seen, DyingBackend.die_at = 0, 3
    with pytest.raises(Killed):
        _deliver(monkeypatch, django_capture_on_commit_callbacks)
    assert InboxMessage.objects.count() == 5 and len(mail.outbox) == 2

    later = NOW + timedelta(seconds=settings.DISPATCH_LEASE_SECONDS + 1)
    _deliver(monkeypatch, django_capture_on_commit_callbacks, now=later)
    assert _emails(prompts) == ["sent", "sent", "unconfirmed", "unconfirmed", "sent"]
    statuses = list(ScheduledPrompt.objects.order_by("send_at").values_list("status", flat=True))
    assert statuses == ["sent", "sent", "unconfirmed", "unconfirmed", "sent"]
    assert len(mail.outbox) == 3 and InboxMessage.objects.count() == 5


def test_a_pause_takes_effect_at_the_next_sub_batch(
    db, therapist, settings, small_sub_batches, monkeypatch, django_capture_on_commit_callbacks
):
    prompts = _prompts(therapist, 5)
    settings.EMAIL_BACKEND = "tests.delivery.email_backends.PausingBackend"
    _deliver(monkeypatch, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert _emails(prompts) == ["sent", "sent", "", "", ""]
    assert InboxMessage.objects.count() == 5  # the inbox had them before the pause
    assert set(ScheduledPrompt.objects.values_list("status", flat=True)) == {PS.SENT}


def test_an_address_that_can_never_work_switches_email_off_and_a_transient_error_retries(
    db, therapist, settings, monkeypatch, django_capture_on_commit_callbacks
):
    [good, no_address] = _prompts(therapist, 2)
    no_address.client.email = ""
    no_address.client.save()
    _deliver(monkeypatch, django_capture_on_commit_callbacks)
    assert _emails([good, no_address]) == ["sent", "failed"]
    no_address.client.refresh_from_db()
    assert "email" not in no_address.client.channels
    consents = ConsentRecord.objects.filter(client=no_address.client, subject="email")
    assert consents.filter(granted=False).exists()

    [later_prompt] = _prompts(therapist, 1)
    settings.EMAIL_BACKEND = "tests.delivery.email_backends.DownBackend"
    _deliver(monkeypatch, django_capture_on_commit_callbacks)
    later_prompt.refresh_from_db()
    delivery = later_prompt.deliveries.get(channel="email")
    assert (later_prompt.status, later_prompt.last_error) == (PS.PENDING, "retrying")
    assert delivery.status == DS.RETRY and later_prompt.due_at == delivery.next_attempt_at
    assert later_prompt.due_at == NOW + timedelta(seconds=settings.DISPATCH_RETRY_BASE_SECONDS)


def test_with_an_esp_that_batch_sends_each_sub_batch_is_one_call_and_each_row_its_own_result(
    db, therapist, settings, small_sub_batches, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.delivery.email_backends.ESPBackend"
    ESPBackend.answers, ESPBackend.error, ESPBackend.calls = {"c1@example.com": "rejected"}, None, 0
    prompts = [_prompts(therapist, 1, email=f"c{i}@example.com")[0] for i in range(4)]
    [summary] = _deliver(monkeypatch, django_capture_on_commit_callbacks)
    assert ESPBackend.calls == 2 and [len(m.to) for m in mail.outbox] == [2, 2]
    assert _emails(prompts) == ["sent", "failed", "sent", "sent"]
    assert summary.counts == {"sent": 4}  # the inbox has it; only email is switched off
    prompts[1].client.refresh_from_db()
    assert "email" not in prompts[1].client.channels
    for prompt in prompts:
        delivery = prompt.deliveries.get(channel="email")
        [call] = [m for m in mail.outbox if prompt.client.email in m.to]
        assert call.merge_headers[prompt.client.email]["Message-ID"] == delivery.message_id


def test_when_the_breaker_pauses_email_the_rest_of_the_batch_waits_without_spending_attempts(
    db, therapist, settings, small_sub_batches, monkeypatch, django_capture_on_commit_callbacks
):
    settings.DISPATCH_BREAKER_FAILURES = 2
    settings.EMAIL_BACKEND = "tests.delivery.email_backends.DownBackend"
    prompts = _prompts(therapist, 5)
    _deliver(monkeypatch, django_capture_on_commit_callbacks)
    until = ChannelCircuit.objects.get(channel="email").paused_until
    assert until is not None
    rows = {d.prompt_id: d for d in Delivery.objects.filter(channel="email")}
    # The first failure spent an attempt; from the second (which paused the channel) on,
    # nothing was sent and every message waits for the pause to end.
    assert [rows[p.pk].attempts for p in prompts] == [1, 0, 0, 0, 0]
    assert [rows[p.pk].next_attempt_at == until for p in prompts] == [False] + [True] * 4
    assert set(ScheduledPrompt.objects.values_list("status", flat=True)) == {PS.PENDING}
    assert InboxMessage.objects.count() == 5 and not mail.outbox


def test_a_database_error_on_the_fast_path_is_djangos_so_the_task_retries(db):
    from django.db import OperationalError, transaction

    with pytest.raises(OperationalError), transaction.atomic():  # (a statement timeout)
        outbox.pg_execute("SET LOCAL statement_timeout = 1", [])
        outbox.pg_execute("SELECT pg_sleep(1)", [])


def _seqscan() -> str:
    return outbox.pg_execute("SHOW enable_seqscan", [])[0][0]


def test_table_scans_are_off_while_the_fast_path_runs_and_back_on_after_it_even_after_a_crash(
    db, therapist, settings, small_sub_batches, monkeypatch, django_capture_on_commit_callbacks
):
    _prompts(therapist, 3)
    during: list[str] = []
    attempt_all = outbox.attempt_all

    def watching(*args, **kwargs):
        during.append(_seqscan())
        yield from attempt_all(*args, **kwargs)

    monkeypatch.setattr(outbox, "attempt_all", watching)
    assert _seqscan() == "on"
    _deliver(monkeypatch, django_capture_on_commit_callbacks)
    assert during == ["off", "off"] and _seqscan() == "on"

    _prompts(therapist, 3)
    settings.EMAIL_BACKEND = "tests.delivery.email_backends.DyingBackend"
    DyingBackend.seen, DyingBackend.die_at = 0, 2
    with pytest.raises(Killed):
        _deliver(monkeypatch, django_capture_on_commit_callbacks)
    assert _seqscan() == "on"
