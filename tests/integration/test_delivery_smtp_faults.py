"""Two SMTP faults with real Celery workers, PostgreSQL and Redis.

1. The server stores a message and drops the connection before its 250 reply: that delivery
   is ``unconfirmed`` and never sent again; no Message-ID reaches the server twice.
2. The server is down for longer than the retry backoff: the email channel is paused (shown
   on /staff/dispatch/ and by ``dispatch_status``), no prompt is ``failed``, and when the
   server is back every prompt is sent, each email once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from core.models import User
from planner.delivery import outbox
from planner.models import Break, ChannelCircuit, Client, Delivery, ScheduledPrompt
from tests.integration.smtp_sink import SmtpSink, free_port, smtp_env

DEADLINE_SECONDS = 90


def _due_prompts(count: int, clients: int) -> None:
    now = timezone.now()
    therapist = User.objects.create_user("t@example.com", "a-long-test-password-1")
    people = Client.objects.bulk_create(
        Client(
            therapist=therapist,
            first_name=f"C{i}",
            email=f"c{i}@example.com",
            timezone="UTC",
            channels=["inbox", "email"],
        )
        for i in range(clients)
    )
    breaks = Break.objects.bulk_create(
        Break(
            client=c,
            therapist=therapist,
            kind="holiday",
            status="active",
            timezone="UTC",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=7),
        )
        for c in people
    )
    ScheduledPrompt.objects.bulk_create(
        ScheduledPrompt(
            break_obj=b,
            client_id=b.client_id,
            category="coping",
            text=f"prompt {n}",
            send_at=now - timedelta(seconds=n),
            due_at=now - timedelta(seconds=n),
            valid_until=now + timedelta(hours=3),
        )
        for b in breaks
        for n in range(count // clients)
    )


class Sweeper:
    """The beat's job, in the test: a sweep every second until stopped."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        from django.db import connections

        try:
            while not self.stop.is_set():
                outbox.sweep()
                self.stop.wait(1.0)
        finally:
            connections.close_all()

    def __enter__(self) -> Sweeper:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def _wait_until_settled(started: float) -> None:
    open_prompts = ScheduledPrompt.objects.filter(status__in=ScheduledPrompt.OPEN_STATUSES)
    while open_prompts.exists() and time.monotonic() - started < DEADLINE_SECONDS:
        time.sleep(0.5)


def test_a_message_stored_before_a_dropped_reply_is_never_sent_twice(start_worker, settings):
    prompts, dropped = 600, 25
    settings.DISPATCH_BATCH_SIZE = 50
    sink = SmtpSink(drop_after_data=dropped).start()
    try:
        for _ in range(2):
            start_worker(extra_env=sink.worker_env(), concurrency=2)
        _due_prompts(prompts, clients=60)
        started = time.monotonic()
        with Sweeper():
            _wait_until_settled(started)
        elapsed = time.monotonic() - started
    finally:
        sink.stop()

    statuses = Counter(ScheduledPrompt.objects.values_list("status", flat=True))
    ids = Counter(sink.message_ids())
    email = Counter(Delivery.objects.filter(channel="email").values_list("status", flat=True))
    unconfirmed_ids = set(
        Delivery.objects.filter(channel="email", status="unconfirmed").values_list(
            "message_id", flat=True
        )
    )
    print(
        f"\ndropped-reply fault: prompts={prompts} dropped={sink.dropped} elapsed={elapsed:.1f}s "
        f"statuses={dict(statuses)} email={dict(email)} smtp_messages={sum(ids.values())} "
        f"smtp_duplicates={sum(1 for n in ids.values() if n > 1)}"
    )
    assert sum(1 for n in ids.values() if n > 1) == 0  # no Message-ID twice
    assert sink.dropped == dropped
    assert statuses == {"sent": prompts - dropped, "unconfirmed": dropped}
    assert email == {"sent": prompts - dropped, "unconfirmed": dropped}
    assert unconfirmed_ids <= set(ids)  # the unconfirmed ones did reach the server, once
    assert not ScheduledPrompt.objects.filter(status="unconfirmed").exclude(last_error="").exists()


def test_an_smtp_outage_longer_than_the_backoff_pauses_the_channel_and_fails_nothing(
    start_worker, settings, client, make_user
):
    prompts = 300
    port = free_port()  # nothing listens there until the server "comes back"
    env = {
        **smtp_env(port),
        "DISPATCH_RETRY_BASE_SECONDS": "1",
        "DISPATCH_MAX_ATTEMPTS": "3",
        "DISPATCH_BREAKER_FAILURES": "5",
        "DISPATCH_BREAKER_PAUSE_SECONDS": "3",
    }
    settings.DISPATCH_BATCH_SIZE = 50
    for _ in range(2):
        start_worker(extra_env=env, concurrency=2)
    _due_prompts(prompts, clients=30)
    staff = make_user("staff", is_staff=True)
    client.force_login(staff)
    outage = 12.0  # seconds: far past the whole backoff (1 + 2 s) of a message
    started = time.monotonic()
    seen_paused = {"page": False, "command": False}
    sink = None
    try:
        with Sweeper():
            while time.monotonic() - started < outage:
                if "Paused until" in client.get("/staff/dispatch/").content.decode():
                    seen_paused["page"] = True
                out = StringIO()
                call_command("dispatch_status", stdout=out)
                if "paused channels: email until" in out.getvalue():
                    seen_paused["command"] = True
                time.sleep(0.5)
            failed_during = ScheduledPrompt.objects.filter(status="failed").count()
            circuit = ChannelCircuit.objects.get(channel="email")
            attempts = Counter(
                Delivery.objects.filter(channel="email").values_list("attempts", flat=True)
            )
            sink = SmtpSink(port=port).start()  # the server is back
            _wait_until_settled(started)
        elapsed = time.monotonic() - started
    finally:
        if sink is not None:
            sink.stop()

    statuses = Counter(ScheduledPrompt.objects.values_list("status", flat=True))
    ids = Counter(sink.message_ids()) if sink else Counter()
    print(
        f"\noutage fault: prompts={prompts} outage={outage}s elapsed={elapsed:.1f}s "
        f"failed_during_outage={failed_during} circuit_failures={circuit.consecutive_failures} "
        f"email_attempts_at_end_of_outage={dict(attempts)} statuses={dict(statuses)} "
        f"smtp_messages={sum(ids.values())} seen={seen_paused}"
    )
    assert failed_during == 0
    assert seen_paused == {"page": True, "command": True}
    # Few attempts were spent while the provider was down: the ones before the pause.
    assert sum(n * count for n, count in attempts.items()) <= 5 * 4  # threshold x processes
    assert statuses == {"sent": prompts}
    assert sum(ids.values()) == prompts and max(ids.values()) == 1
    circuit.refresh_from_db()
    assert circuit.consecutive_failures == 0 and circuit.paused_until is None
