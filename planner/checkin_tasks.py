"""Celery tasks for escalation: they take ids and call one service each.

No automatic retries: the covering clinician's message is claimed before it is sent (so a
redelivery never sends twice), and an unacknowledged escalation reaches the practice's
fallback contact through the sweep whatever happened to the first message.
"""

from __future__ import annotations

from celery import shared_task

from planner import checkins


@shared_task(name="planner.escalation_notify", time_limit=60, soft_time_limit=45)
def escalation_notify(escalation_id: int) -> list[str]:
    return checkins.escalation_notify(escalation_id=escalation_id)


@shared_task(name="planner.escalation_fallback_sweep", time_limit=120, soft_time_limit=100)
def escalation_fallback_sweep() -> int:
    """Beat runs this every ESCALATION_SWEEP_SECONDS (60 by default)."""
    return checkins.escalation_fallback_sweep()
