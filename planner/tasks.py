"""Thin Celery tasks: they take ids, call dispatch/services, and hold no logic of their own.

Delivery never relies on long ETAs or countdowns: a retry is a row with a backoff time that
the sweep picks up. The only Celery-level retry is for a database hiccup, a few seconds later.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from planner.checkins import services as checkins
from planner.delivery import outbox as dispatch


@shared_task(name="planner.dispatch_sweep", time_limit=120, soft_time_limit=100)
def dispatch_sweep() -> int:
    """Claim due prompts and enqueue their delivery (Celery beat runs this every minute)."""
    return dispatch.sweep()


@shared_task(name="planner.breaks_advance", time_limit=120, soft_time_limit=100)
def breaks_advance() -> tuple[int, int]:
    """Scheduled breaks that started become active; finished ones become completed."""
    from planner.breaks import services

    return services.breaks_advance()


# The hard limit stays under the default claim lease (DISPATCH_LEASE_SECONDS=300), so a live
# task is never reaped from under itself.
@shared_task(
    name="planner.deliver_batch",
    time_limit=240,
    soft_time_limit=200,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=5,
    max_retries=3,
)
def deliver_batch(prompt_ids: list[int], claim_token: str) -> dict:
    """Deliver one claimed batch (see planner.dispatch)."""
    summary = dispatch.deliver_batch(prompt_ids, claim_token)
    return {"prompts": summary.prompts, "attempted": summary.attempted, **summary.counts}


@shared_task(
    name="planner.notify_channel_off",
    time_limit=60,
    soft_time_limit=45,
    autoretry_for=(OSError,),
    retry_backoff=2,
    retry_backoff_max=10,
    max_retries=3,
)
def notify_channel_off(client_id: int, break_id: int | None, channel: str) -> None:
    """Tell the therapist that a channel was switched off after a permanent provider error."""
    from planner.delivery.notify import channel_off_notify

    channel_off_notify(client_id=client_id, break_id=break_id, channel=channel)


# --- Escalation: the covering clinician's message, and the fallback sweep (beat). ------------


@shared_task(name="planner.escalation_notify", time_limit=60, soft_time_limit=45)
def escalation_notify(escalation_id: int) -> list[str]:
    return checkins.escalation_notify(escalation_id=escalation_id)


@shared_task(name="planner.escalation_fallback_sweep", time_limit=120, soft_time_limit=100)
def escalation_fallback_sweep() -> int:
    """Beat runs this every ESCALATION_SWEEP_SECONDS (60 by default)."""
    return checkins.escalation_fallback_sweep()
