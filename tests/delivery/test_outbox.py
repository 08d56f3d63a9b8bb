"""The outbox, in-process on SQLite: sweep and deliver_batch called directly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail

from planner.delivery import outbox as dispatch
from planner.models import Break, ConsentRecord, Delivery, InboxMessage, ScheduledPrompt
from tests.factories import BreakFactory, EmailClientFactory, ScheduledPromptFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PS = ScheduledPrompt.Status
DS = Delivery.Status


@pytest.fixture
def enqueued(monkeypatch):
    """Capture what the sweep enqueues instead of talking to a broker."""
    calls: list[tuple[list[int], str]] = []
    monkeypatch.setattr(dispatch, "_enqueue", lambda ids, token: calls.append((ids, token)))
    return calls


@pytest.fixture
def brk(therapist):
    return BreakFactory(client=EmailClientFactory(therapist=therapist), now=NOW)


def sweep_and_deliver(django_capture_on_commit_callbacks, enqueued, *, now=NOW, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        claimed = dispatch.sweep(now=now, **kwargs)
    for ids, token in list(enqueued):
        dispatch.deliver_batch(ids, token, now=now)
    enqueued.clear()
    return claimed


def test_it_delivers_a_due_prompt_to_the_inbox_and_by_email(
    brk, enqueued, django_capture_on_commit_callbacks
):
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(minutes=1))
    ScheduledPromptFactory(break_obj=brk, send_at=NOW + timedelta(hours=1))  # not due yet

    assert sweep_and_deliver(django_capture_on_commit_callbacks, enqueued) == 1

    prompt.refresh_from_db()
    assert prompt.status == PS.SENT and prompt.sent_at == NOW
    assert InboxMessage.objects.get(prompt=prompt).text == prompt.text
    assert {d.channel: d.status for d in prompt.deliveries.all()} == {
        "inbox": "sent",
        "email": "sent",
    }
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    delivery = prompt.deliveries.get(channel="email")
    assert (
        email.extra_headers["Message-ID"]
        == f"<delivery-{delivery.pk}.prompt-{prompt.pk}@127.0.0.1>"
    )
    assert email.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8000/l/unsubscribe/"
    )
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Neutral by default: no text, no name.
    assert "breathing" not in email.body and "Robin" not in email.subject + email.body
    assert "You have a new message in Between." in email.body
    assert "/l/inbox/" in email.body


def test_it_claims_in_batches_with_one_token_per_batch(
    brk, enqueued, django_capture_on_commit_callbacks
):
    for i in range(5):
        ScheduledPromptFactory(break_obj=brk, send_at=NOW - timedelta(minutes=i))
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.sweep(now=NOW, batch_size=2) == 5
    assert [len(ids) for ids, _ in enqueued] == [2, 2, 1]
    assert len({token for _, token in enqueued}) == 3
    lease = NOW + timedelta(seconds=300)
    assert set(ScheduledPrompt.objects.values_list("status", "claimed_until", "due_at")) == {
        (PS.CLAIMED, lease, lease)
    }
    # Nothing is claimed twice while the lease runs.
    assert dispatch.sweep(now=NOW + timedelta(seconds=10)) == 0


def test_it_sends_nothing_twice_when_a_batch_task_runs_twice(
    brk, enqueued, django_capture_on_commit_callbacks
):
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=NOW)
    ids, token = enqueued[0]
    dispatch.deliver_batch(ids, token, now=NOW)
    dispatch.deliver_batch(ids, token, now=NOW)
    assert InboxMessage.objects.filter(prompt=prompt).count() == 1
    assert len(mail.outbox) == 1


def test_it_ignores_a_batch_with_a_stale_token(brk, enqueued, django_capture_on_commit_callbacks):
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=NOW)
    summary = dispatch.deliver_batch([prompt.pk], str(uuid.uuid4()), now=NOW)
    assert summary.prompts == 0
    assert not InboxMessage.objects.exists()


def test_it_reclaims_a_claim_whose_lease_ran_out(brk, enqueued, django_capture_on_commit_callbacks):
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=NOW)  # the task is lost
    enqueued.clear()
    later = NOW + timedelta(seconds=301)
    assert sweep_and_deliver(django_capture_on_commit_callbacks, enqueued, now=later) == 1
    prompt.refresh_from_db()
    assert prompt.status == PS.SENT


def test_it_marks_unconfirmed_and_never_resends_after_a_crash_mid_call(
    brk, enqueued, django_capture_on_commit_callbacks
):
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=NOW)
    ids, token = enqueued.pop()
    # Phase 1 ran and the worker died after marking the email attempting.
    sends = dispatch._prepare(ids, uuid.UUID(token), now=NOW, summary=dispatch.BatchSummary())
    assert dispatch._mark_attempting(sends[0], uuid.UUID(token), now=NOW)

    later = NOW + timedelta(seconds=301)
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued, now=later)
    prompt.refresh_from_db()
    assert prompt.status == PS.UNCONFIRMED
    assert prompt.deliveries.get(channel="email").status == DS.UNCONFIRMED
    assert prompt.deliveries.get(channel="inbox").status == DS.SENT
    assert len(mail.outbox) == 0


def test_it_sends_a_queued_email_left_by_a_crash_before_the_call(
    brk, enqueued, django_capture_on_commit_callbacks
):
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=NOW)
    ids, token = enqueued.pop()
    dispatch._prepare(ids, uuid.UUID(token), now=NOW, summary=dispatch.BatchSummary())
    later = NOW + timedelta(seconds=301)
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued, now=later)
    prompt.refresh_from_db()
    assert prompt.status == PS.SENT
    assert InboxMessage.objects.filter(prompt=prompt).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": Break.Status.CANCELLED}, "cancelled"),
        ({"paused_at": NOW}, "paused"),
        ({"plan_version": 2}, "superseded"),
    ],
)
def test_it_skips_prompts_of_a_break_that_changed(
    brk, enqueued, django_capture_on_commit_callbacks, change, reason
):
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    Break.objects.filter(pk=brk.pk).update(**change)
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued)
    prompt.refresh_from_db()
    assert (prompt.status, prompt.skip_reason) == (PS.SKIPPED, reason)
    assert not InboxMessage.objects.exists() and not mail.outbox


def test_it_skips_a_late_prompt_as_expired_rather_than_sending_it_at_night(
    therapist, enqueued, django_capture_on_commit_callbacks
):
    client = EmailClientFactory(
        therapist=therapist, quiet_hours_start=time(22), quiet_hours_end=time(7)
    )
    brk = BreakFactory(client=client, now=NOW, quiet_hours_start=time(22), quiet_hours_end=time(7))
    prompt = ScheduledPromptFactory(
        break_obj=brk, send_at=NOW, valid_until=NOW + timedelta(hours=3)
    )
    two_am = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # workers were down for 17 hours
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued, now=two_am)
    prompt.refresh_from_db()
    assert (prompt.status, prompt.skip_reason) == (PS.SKIPPED, "expired")
    assert not mail.outbox


def test_it_skips_prompts_in_quiet_hours(therapist, enqueued, django_capture_on_commit_callbacks):
    client = EmailClientFactory(therapist=therapist, timezone="Europe/London")
    brk = BreakFactory(
        client=client, now=NOW, quiet_hours_start=time(8, 30), quiet_hours_end=time(9, 30)
    )
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued)
    prompt.refresh_from_db()
    assert (prompt.status, prompt.skip_reason) == (PS.SKIPPED, "quiet_hours")


def test_it_sends_nothing_stale_when_the_break_is_edited_after_the_claim(
    brk, enqueued, django_capture_on_commit_callbacks
):
    old = ScheduledPromptFactory(break_obj=brk, send_at=NOW, text="old text")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=NOW)
    # The edit: the plan version goes up and new rows carry the new text.
    Break.objects.filter(pk=brk.pk).update(plan_version=2)
    old.status = PS.PENDING  # (the claim stays; the edit itself does not touch old rows)
    new = ScheduledPromptFactory(break_obj=brk, send_at=NOW, text="new text", plan_version=2)
    for ids, token in enqueued:
        dispatch.deliver_batch(ids, token, now=NOW)
    enqueued.clear()
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, old.skip_reason) == (PS.SKIPPED, "superseded")
    assert new.status == PS.SENT
    assert list(InboxMessage.objects.values_list("text", flat=True)) == ["new text"]


def test_it_does_not_send_when_the_break_changes_between_claim_check_and_call(
    brk, enqueued, django_capture_on_commit_callbacks
):
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=NOW)
    ids, token = enqueued.pop()
    sends = dispatch._prepare(ids, uuid.UUID(token), now=NOW, summary=dispatch.BatchSummary())
    Break.objects.filter(pk=brk.pk).update(plan_version=2)  # edited while phase 2 starts
    results = dispatch._send_all(sends, uuid.UUID(token), now=NOW)
    dispatch._finish(results, uuid.UUID(token), now=NOW, summary=dispatch.BatchSummary())
    assert not mail.outbox
    assert prompt.deliveries.get(channel="email").status == DS.SKIPPED


class FlakySms:
    calls = 0
    fail_with: type[Exception] | None = None

    def send(self, *, to: str, body: str) -> str:
        FlakySms.calls += 1
        if FlakySms.fail_with:
            raise FlakySms.fail_with("21211")
        return "SM123"


@pytest.fixture
def flaky_sms(settings):
    settings.SMS_BACKEND = "tests.delivery.test_outbox.FlakySms"
    FlakySms.calls = 0
    FlakySms.fail_with = None
    return FlakySms


def test_it_retries_a_transient_error_with_backoff_kept_in_the_row(
    therapist, enqueued, django_capture_on_commit_callbacks, flaky_sms, settings
):
    from planner.delivery.channels import TransientChannelError

    settings.DISPATCH_MAX_ATTEMPTS = 3
    client = EmailClientFactory(therapist=therapist, channels=["inbox", "sms"])
    prompt = ScheduledPromptFactory(break_obj=BreakFactory(client=client, now=NOW), send_at=NOW)
    flaky_sms.fail_with = TransientChannelError

    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued)
    prompt.refresh_from_db()
    sms = prompt.deliveries.get(channel="sms")
    assert prompt.status == PS.PENDING and prompt.due_at == NOW + timedelta(seconds=60)
    assert sms.status == DS.RETRY and sms.next_attempt_at == NOW + timedelta(seconds=60)
    assert InboxMessage.objects.filter(prompt=prompt).count() == 1

    # Not due yet: nothing happens.
    assert dispatch.sweep(now=NOW + timedelta(seconds=30)) == 0
    # Second attempt fails again: backoff doubles.
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued, now=NOW + timedelta(seconds=60))
    sms.refresh_from_db()
    assert sms.attempts == 2 and sms.next_attempt_at == NOW + timedelta(seconds=60 + 120)
    # Third attempt: out of attempts -> failed; the inbox copy is not sent again.
    sweep_and_deliver(
        django_capture_on_commit_callbacks, enqueued, now=NOW + timedelta(seconds=180)
    )
    prompt.refresh_from_db()
    sms.refresh_from_db()
    assert (prompt.status, sms.status, sms.attempts) == (PS.FAILED, DS.FAILED, 3)
    assert flaky_sms.calls == 3
    assert InboxMessage.objects.filter(prompt=prompt).count() == 1


def test_it_succeeds_on_retry_and_only_retries_the_failed_channel(
    therapist, enqueued, django_capture_on_commit_callbacks, flaky_sms
):
    from planner.delivery.channels import TransientChannelError

    client = EmailClientFactory(therapist=therapist, channels=["inbox", "email", "sms"])
    prompt = ScheduledPromptFactory(break_obj=BreakFactory(client=client, now=NOW), send_at=NOW)
    flaky_sms.fail_with = TransientChannelError
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued)
    flaky_sms.fail_with = None
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued, now=NOW + timedelta(minutes=1))
    prompt.refresh_from_db()
    assert prompt.status == PS.SENT
    assert len(mail.outbox) == 1 and flaky_sms.calls == 2


def test_a_permanent_error_fails_at_once_switches_the_channel_off_and_tells_the_therapist(
    therapist, enqueued, django_capture_on_commit_callbacks, flaky_sms
):
    from planner.delivery.channels import PermanentChannelError

    client = EmailClientFactory(therapist=therapist, channels=["inbox", "sms"])
    brk = BreakFactory(client=client, now=NOW)
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    flaky_sms.fail_with = PermanentChannelError
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        for ids, token in enqueued:
            dispatch.deliver_batch(ids, token, now=NOW)

    prompt.refresh_from_db()
    client.refresh_from_db()
    assert prompt.status == PS.SENT  # the inbox has it; the sms channel is off
    assert prompt.deliveries.get(channel="sms").status == DS.FAILED
    assert flaky_sms.calls == 1
    assert client.channels == ["inbox"]
    consent = ConsentRecord.objects.get(client=client)
    assert (consent.subject, consent.granted, consent.source) == (
        "sms",
        False,
        "provider-permanent-error",
    )
    assert len(mail.outbox) == 1
    note = mail.outbox[0]
    assert note.to == [therapist.email]
    assert f"/breaks/{brk.pk}/" in note.body and "Robin" not in note.body


def test_it_records_a_withdrawn_channel_on_a_pending_retry(
    therapist, enqueued, django_capture_on_commit_callbacks, flaky_sms
):
    from planner.delivery.channels import TransientChannelError

    client = EmailClientFactory(therapist=therapist, channels=["inbox", "sms"])
    prompt = ScheduledPromptFactory(break_obj=BreakFactory(client=client, now=NOW), send_at=NOW)
    flaky_sms.fail_with = TransientChannelError
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued)
    client.channels = ["inbox"]
    client.save(update_fields=["channels"])
    sweep_and_deliver(django_capture_on_commit_callbacks, enqueued, now=NOW + timedelta(minutes=1))
    prompt.refresh_from_db()
    sms = prompt.deliveries.get(channel="sms")
    assert prompt.status == PS.SENT
    assert (sms.status, sms.last_error) == (DS.SKIPPED, "channel_withdrawn")
    assert flaky_sms.calls == 1


def test_it_keeps_one_delivery_per_prompt_and_channel(brk):
    from django.db import IntegrityError, transaction

    prompt = ScheduledPromptFactory(break_obj=brk, send_at=NOW)
    Delivery.objects.create(prompt=prompt, channel="email")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(prompt=prompt, channel="email")
