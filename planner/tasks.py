"""Thin Celery tasks: they take ids, call dispatch/services, and hold no logic of their own."""

from __future__ import annotations

from celery import shared_task

from planner import dispatch


@shared_task(name="planner.dispatch_sweep", time_limit=120, soft_time_limit=100)
def dispatch_sweep() -> int:
    """Claim due prompts and enqueue their delivery (Celery beat runs this every minute)."""
    return dispatch.sweep()


@shared_task(name="planner.breaks_advance", time_limit=120, soft_time_limit=100)
def breaks_advance() -> tuple[int, int]:
    """Scheduled breaks that started become active; finished ones become completed."""
    from planner import services

    return services.breaks_advance()
