"""Reads about delivery for staff: the `dispatch_status` command and /staff/dispatch/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.timezone import now as current_time

from core.models import User
from planner.delivery.circuit import channel_states
from planner.models import Break, ChannelCircuit, Delivery, ScheduledPrompt


@dataclass(frozen=True)
class DispatchFigures:
    now: datetime
    backlog: int  # open prompts whose send time has passed
    oldest_due_age: timedelta | None
    last_24h: dict[str, int]  # prompts finished in the last 24 h, by status
    open_by_status: dict[str, int]
    unconfirmed_deliveries: list[Delivery]
    failed_deliveries: list[Delivery]
    unconfirmed_count: int
    failed_count: int
    # Channels whose provider is failing or paused (the circuit breaker): installation-wide.
    channels: list[ChannelCircuit] = field(default_factory=list)

    @property
    def paused_channels(self) -> list[ChannelCircuit]:
        return [c for c in self.channels if c.paused_until and c.paused_until > self.now]


def dispatch_figures(
    *, now: datetime | None = None, limit: int = 50, practice_id: int | None = None
) -> DispatchFigures:
    """The delivery figures of the whole installation, or of one practice's clients
    (``practice_id``: what its staff see on /staff/dispatch/)."""
    now = now or timezone.now()
    prompts = ScheduledPrompt.objects.all()
    deliveries = Delivery.objects.all()
    if practice_id is not None:
        prompts = prompts.filter(client__therapist__practice_id=practice_id)
        deliveries = deliveries.filter(prompt__client__therapist__practice_id=practice_id)
    open_due = prompts.filter(status__in=ScheduledPrompt.OPEN_STATUSES, send_at__lte=now)
    agg = open_due.aggregate(n=Count("id"), oldest=Min("send_at"))
    finished = (
        prompts.filter(finished_at__gte=now - timedelta(hours=24))
        .values("status")
        .annotate(n=Count("id"))
    )
    open_counts = (
        prompts.filter(status__in=ScheduledPrompt.OPEN_STATUSES)
        .values("status")
        .annotate(n=Count("id"))
    )
    problems = deliveries.only(
        "id", "prompt_id", "channel", "status", "attempts", "last_error", "attempted_at"
    ).order_by("-attempted_at", "-id")
    unconfirmed = problems.filter(status=Delivery.Status.UNCONFIRMED)
    failed = problems.filter(status=Delivery.Status.FAILED)
    return DispatchFigures(
        now=now,
        backlog=agg["n"],
        oldest_due_age=(now - agg["oldest"]) if agg["oldest"] else None,
        last_24h={row["status"]: row["n"] for row in finished},
        open_by_status={row["status"]: row["n"] for row in open_counts},
        unconfirmed_deliveries=list(unconfirmed[:limit]),
        failed_deliveries=list(failed[:limit]),
        unconfirmed_count=unconfirmed.count(),
        failed_count=failed.count(),
        channels=channel_states(now=now),
    )


# --- A break's and a therapist's deliveries -----------------------------------------


def deliveries_for_break(brk: Break) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(prompt__break_obj=brk)
        .select_related("prompt")
        .order_by("-prompt__send_at", "channel")
    )


def failed_deliveries_for_therapist(therapist: User, *, days: int = 14) -> QuerySet[Delivery]:
    since = current_time() - timedelta(days=days)
    return (
        Delivery.objects.filter(
            prompt__break_obj__therapist=therapist,
            status__in=[Delivery.Status.FAILED, Delivery.Status.UNCONFIRMED],
            created_at__gte=since,
        )
        .select_related("prompt", "prompt__break_obj", "prompt__client")
        .order_by("-created_at")
    )


def api_deliveries_for_break(brk: Break) -> QuerySet[Delivery]:
    return deliveries_for_break(brk).only(
        "id",
        "channel",
        "status",
        "attempts",
        "last_error",
        "attempted_at",
        "sent_at",
        "prompt__id",
        "prompt__category",
        "prompt__send_at",
    )
