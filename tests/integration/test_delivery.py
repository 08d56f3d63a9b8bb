"""A prompt goes from scheduled to the inbox and to a real SMTP server through a real worker."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.models import User
from planner.delivery import outbox as dispatch
from planner.models import Break, Delivery, InboxMessage, ScheduledPrompt
from tests.factories import BreakFactory, EmailClientFactory, ScheduledPromptFactory
from tests.integration.conftest import wait_for

PS = ScheduledPrompt.Status


def _setup(therapist_email="t@example.com"):
    therapist = User.objects.create_user(
        therapist_email, "a-long-test-password-1", role="therapist"
    )
    client_user = User.objects.create_user("c-" + therapist_email, "a-long-test-password-1")
    client = EmailClientFactory(therapist=therapist, user=client_user, email="client@example.com")
    return BreakFactory(client=client, now=timezone.now())


def _finished(prompt: ScheduledPrompt) -> ScheduledPrompt | None:
    prompt.refresh_from_db()
    return prompt if prompt.status in ScheduledPrompt.TERMINAL_STATUSES else None


def _run_sweep_in_worker():
    from core.celery import app

    app.send_task("planner.dispatch_sweep")


def test_it_delivers_to_the_inbox_and_smtp_and_a_cancelled_break_sends_nothing_more(
    start_worker, smtp_sink
):
    worker = start_worker(extra_env=smtp_sink.worker_env())
    brk = _setup()
    prompt = ScheduledPromptFactory(break_obj=brk, send_at=timezone.now() - timedelta(seconds=5))

    _run_sweep_in_worker()
    assert wait_for(lambda: _finished(prompt), timeout=30), f"see {worker.log_path}"
    assert prompt.status == PS.SENT
    assert InboxMessage.objects.get(prompt=prompt).text == prompt.text
    email = Delivery.objects.get(prompt=prompt, channel="email")
    assert email.status == Delivery.Status.SENT
    assert wait_for(lambda: smtp_sink.message_ids(), timeout=10)
    assert smtp_sink.message_ids() == [email.message_id]
    received = smtp_sink.messages[0]
    assert received["Subject"] == "A new message in Between"
    assert received["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:8000/l/unsubscribe/")

    # The break is cancelled: the next prompt is skipped, nothing more is sent.
    Break.objects.filter(pk=brk.pk).update(status=Break.Status.CANCELLED)
    later = ScheduledPromptFactory(break_obj=brk, send_at=timezone.now() - timedelta(seconds=1))
    _run_sweep_in_worker()
    assert wait_for(lambda: _finished(later), timeout=30)
    assert (later.status, later.skip_reason) == (PS.SKIPPED, "cancelled")
    assert InboxMessage.objects.count() == 1
    assert len(smtp_sink.message_ids()) == 1


def test_it_skips_a_late_prompt_and_never_sends_stale_text_after_an_edit(
    start_worker, smtp_sink, monkeypatch
):
    from planner.tasks import deliver_batch

    start_worker(extra_env=smtp_sink.worker_env())
    brk = _setup()
    now = timezone.now()
    # Workers were down for hours: this morning prompt's window has passed.
    late = ScheduledPromptFactory(
        break_obj=brk, send_at=now - timedelta(hours=6), valid_until=now - timedelta(hours=3)
    )
    _run_sweep_in_worker()
    assert wait_for(lambda: _finished(late), timeout=30)
    assert (late.status, late.skip_reason) == (PS.SKIPPED, "expired")

    stale = ScheduledPromptFactory(
        break_obj=brk, send_at=now - timedelta(seconds=5), text="old text"
    )

    # Claim, but hold the delivery tasks back while the therapist edits the break.
    held: list[tuple[list[int], str]] = []
    monkeypatch.setattr(dispatch, "_enqueue", lambda ids, token: held.append((ids, token)))
    assert dispatch.sweep() == 1
    monkeypatch.undo()
    Break.objects.filter(pk=brk.pk).update(plan_version=2)
    fresh = ScheduledPromptFactory(
        break_obj=brk, send_at=now - timedelta(seconds=5), text="new text", plan_version=2
    )
    for ids, token in held:
        deliver_batch.delay(ids, token)
    _run_sweep_in_worker()

    for prompt in (stale, fresh):
        assert wait_for(lambda p=prompt: _finished(p), timeout=30)
    assert (stale.status, stale.skip_reason) == (PS.SKIPPED, "superseded")
    assert fresh.status == PS.SENT
    assert list(InboxMessage.objects.values_list("text", flat=True)) == ["new text"]
    assert wait_for(lambda: smtp_sink.message_ids(), timeout=10)
    assert len(smtp_sink.message_ids()) == 1
