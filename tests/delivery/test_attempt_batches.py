"""Email and SMS go to the provider in sub-batches of DISPATCH_ATTEMPT_BATCH messages: a crash
leaves at most one sub-batch unconfirmed (never resent), a pause takes effect at the next one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from planner.delivery import outbox as dispatch
from planner.models import Delivery, InboxMessage, ScheduledPrompt
from tests.delivery.email_backends import DyingBackend, Killed
from tests.factories import BreakFactory, EmailClientFactory, ScheduledPromptFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PS = ScheduledPrompt.Status
DS = Delivery.Status


@pytest.fixture
def prompts(therapist, settings):
    settings.DISPATCH_ATTEMPT_BATCH = 2
    made = []
    for i in range(5):
        brk = BreakFactory(client=EmailClientFactory(therapist=therapist), now=NOW)
        made.append(ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(seconds=5 - i)))
    return made


def _claim(django_capture_on_commit_callbacks, monkeypatch, *, now=NOW):
    batches: list[tuple[list[int], str]] = []
    monkeypatch.setattr(dispatch, "_enqueue", lambda ids, token: batches.append((ids, token)))
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=now)
    return batches


def _email_statuses(prompts) -> list[str]:
    by_prompt = dict(Delivery.objects.filter(channel="email").values_list("prompt_id", "status"))
    return [by_prompt.get(p.pk, "") for p in prompts]


def test_a_crash_leaves_at_most_one_sub_batch_unconfirmed_and_resends_none_of_it(
    prompts, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.delivery.email_backends.DyingBackend"
    DyingBackend.seen, DyingBackend.die_at = 0, 3  # dies during the second sub-batch
    [(ids, token)] = _claim(django_capture_on_commit_callbacks, monkeypatch)
    with pytest.raises(Killed):
        dispatch.deliver_batch(ids, token, now=NOW)
    assert len(mail.outbox) == 2  # the first sub-batch went out

    later = NOW + timedelta(seconds=settings.DISPATCH_LEASE_SECONDS + 1)
    for ids, token in _claim(django_capture_on_commit_callbacks, monkeypatch, now=later):
        dispatch.deliver_batch(ids, token, now=later)

    # The dying sub-batch (2 messages, one maybe handed over) is unconfirmed, never resent;
    # the third sub-batch had not been marked and goes out now.
    assert _email_statuses(prompts) == ["sent", "sent", "unconfirmed", "unconfirmed", "sent"]
    assert len(mail.outbox) == 3
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 3
    statuses = [p.status for p in ScheduledPrompt.objects.order_by("send_at")]
    assert statuses == [PS.SENT, PS.SENT, PS.UNCONFIRMED, PS.UNCONFIRMED, PS.SENT]
    assert InboxMessage.objects.count() == 5


def test_a_pause_takes_effect_at_the_next_sub_batch(
    prompts, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.delivery.email_backends.PausingBackend"
    [(ids, token)] = _claim(django_capture_on_commit_callbacks, monkeypatch)
    dispatch.deliver_batch(ids, token, now=NOW)
    # The sub-batch already handed to the provider finishes; nothing after it is sent.
    assert len(mail.outbox) == 2
    assert _email_statuses(prompts) == ["sent", "sent", "skipped", "skipped", "skipped"]


def test_each_message_of_a_sub_batch_keeps_its_own_outcome(
    prompts, monkeypatch, django_capture_on_commit_callbacks
):
    # The second client's address can never work: only that message fails, for good.
    prompts[1].client.email = ""
    prompts[1].client.save()
    [(ids, token)] = _claim(django_capture_on_commit_callbacks, monkeypatch)
    dispatch.deliver_batch(ids, token, now=NOW)
    assert _email_statuses(prompts) == ["sent", "failed", "sent", "sent", "sent"]
    assert len(mail.outbox) == 4
