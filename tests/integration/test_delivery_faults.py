"""Workers killed with SIGKILL mid-delivery, two sweeps at once: nothing lost, nothing twice.

A few thousand prompts (inbox + email to a real SMTP server) are due at once. Worker
processes are killed at random and restarted while two sweeps run concurrently; claims of the
dead workers come back when their lease runs out. At the end every prompt is terminal, no inbox
message and no SMTP message (by Message-ID) exists twice, and the prompts left `unconfirmed`
(killed while their sub-batch was marked `attempting`: between the commit that marks
DISPATCH_ATTEMPT_BATCH messages and the one that stores their results) are at most
kills x concurrency x DISPATCH_ATTEMPT_BATCH.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import timedelta

from django.db import connections
from django.db.models import Count
from django.utils import timezone

from core.models import User
from planner.delivery import outbox as dispatch
from planner.models import Break, Client, Delivery, InboxMessage, ScheduledPrompt

PROMPTS = 3000
CLIENTS = 300
KILLS = 3
CONCURRENCY = 2
ATTEMPT_BATCH = 10  # K: messages marked attempting per commit
LEASE_SECONDS = 15  # longer than a queued batch waits, so claims are not churned
DEADLINE_SECONDS = 90


def _make_due_prompts(now) -> None:
    therapist = User.objects.create_user("t@example.com", "a-long-test-password-1")
    clients = Client.objects.bulk_create(
        Client(
            therapist=therapist,
            first_name=f"C{i}",
            email=f"c{i}@example.com",
            timezone="UTC",
            channels=["inbox", "email"],
        )
        for i in range(CLIENTS)
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
        for c in clients
    )
    per_break = PROMPTS // CLIENTS
    ScheduledPrompt.objects.bulk_create(
        ScheduledPrompt(
            break_obj=b,
            client_id=b.client_id,
            category="coping",
            text=f"prompt {n}",
            send_at=now - timedelta(seconds=n % 30),
            due_at=now - timedelta(seconds=n % 30),
            valid_until=now + timedelta(hours=3),
        )
        for b in breaks
        for n in range(per_break)
    )


def _two_sweeps_at_once() -> None:
    def run():
        try:
            dispatch.sweep()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_it_loses_nothing_and_sends_nothing_twice_when_workers_are_killed(
    start_worker, smtp_sink, settings
):
    settings.DISPATCH_LEASE_SECONDS = LEASE_SECONDS
    settings.DISPATCH_BATCH_SIZE = 50
    env = {
        **smtp_sink.worker_env(),
        "DISPATCH_LEASE_SECONDS": str(LEASE_SECONDS),
        "DISPATCH_ATTEMPT_BATCH": str(ATTEMPT_BATCH),
    }
    workers = [start_worker(extra_env=env, concurrency=CONCURRENCY) for _ in range(2)]
    _make_due_prompts(timezone.now())
    rng = random.Random(4)
    started = time.monotonic()

    stop = threading.Event()

    def sweeper():
        while not stop.is_set():
            _two_sweeps_at_once()
            stop.wait(1.0)

    sweeping = threading.Thread(target=sweeper, daemon=True)
    sweeping.start()
    kills = 0
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.5, 2.0))
            victim = rng.choice(workers)
            victim.kill()  # SIGKILL to the whole worker: main process and its children
            kills += 1
            victim.start()
        open_prompts = ScheduledPrompt.objects.filter(status__in=ScheduledPrompt.OPEN_STATUSES)
        while open_prompts.exists() and time.monotonic() - started < DEADLINE_SECONDS:
            time.sleep(0.5)
    finally:
        stop.set()
        sweeping.join(timeout=30)

    elapsed = time.monotonic() - started
    statuses = Counter(ScheduledPrompt.objects.values_list("status", flat=True))
    inbox_dupes = (
        InboxMessage.objects.values("prompt_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    smtp_ids = Counter(smtp_sink.message_ids())
    smtp_dupes = sum(1 for n in smtp_ids.values() if n > 1)
    email_sent = set(
        Delivery.objects.filter(channel="email", status="sent").values_list("message_id", flat=True)
    )
    unconfirmed = statuses.get("unconfirmed", 0)
    print(
        f"\nfault test: prompts={PROMPTS} kills={kills} concurrency={CONCURRENCY} "
        f"elapsed={elapsed:.1f}s statuses={dict(statuses)} "
        f"inbox={InboxMessage.objects.count()} inbox_duplicates={inbox_dupes} "
        f"smtp_messages={sum(smtp_ids.values())} smtp_distinct={len(smtp_ids)} "
        f"smtp_duplicates={smtp_dupes} email_deliveries_sent={len(email_sent)} "
        f"unconfirmed={unconfirmed} bound={kills * CONCURRENCY * ATTEMPT_BATCH}"
    )
    assert elapsed < DEADLINE_SECONDS, "did not settle in time"
    assert sum(statuses.values()) == PROMPTS
    assert set(statuses) <= set(ScheduledPrompt.TERMINAL_STATUSES), statuses
    assert inbox_dupes == 0 and smtp_dupes == 0
    assert email_sent <= set(smtp_ids)  # every email recorded as sent reached the server
    assert unconfirmed <= kills * CONCURRENCY * ATTEMPT_BATCH
    # Nothing but the unconfirmed ones is missing: every sent prompt has its inbox message.
    assert InboxMessage.objects.count() == PROMPTS - statuses.get("skipped", 0)
