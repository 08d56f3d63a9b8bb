"""The outbox's circuit breaker: a provider that fails many times in a row is paused.

Without it, an SMTP outage of a few seconds spent an attempt on a large part of a backlog
(each failing message backs off on its own), and an outage longer than the backoff used up
every prompt's attempts and marked the whole backlog ``failed``.

Per external channel (``ChannelCircuit``, one row each): every transient provider failure adds
one to ``consecutive_failures``; at ``DISPATCH_BREAKER_FAILURES`` the channel is paused for
``DISPATCH_BREAKER_PAUSE_SECONDS``. While paused, the outbox calls no provider of that channel:
its deliveries wait (``retry``, due when the pause ends) and spend no attempt. When the pause
ends, the next message is the probe: a failure pauses the channel again at once and, being the
provider's fault, spends no attempt either; a success (or a permanent refusal, which is an
answer too) resets the count. Only the failures before the threshold is reached spend an
attempt. Staff see paused channels on /staff/dispatch/ and in ``manage.py dispatch_status``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from planner.models import ChannelCircuit

logger = logging.getLogger(__name__)

PAUSED = "channel-paused"  # the last_error of a delivery that waits for its channel


@dataclass
class Breakers:
    """What one batch knows of the channels' state: read once, updated by its own results."""

    now: datetime
    paused: dict[str, datetime] = field(default_factory=dict)  # channel -> paused until
    failing: set[str] = field(default_factory=set)  # channels with failures on record

    @classmethod
    def load(cls, *, now: datetime) -> Breakers:
        breakers = cls(now=now)
        for row in ChannelCircuit.objects.all():
            if row.paused_until is not None and row.paused_until > now:
                breakers.paused[row.channel] = row.paused_until
            if row.consecutive_failures or row.paused_until is not None:
                breakers.failing.add(row.channel)
        return breakers

    def paused_until(self, channel: str) -> datetime | None:
        return self.paused.get(channel)

    def failure(self, channel: str, error: str, *, now: datetime) -> datetime | None:
        """Count a transient failure; the end of the channel's pause when it is now paused
        (this failure then spends no attempt: the provider is down, not the message)."""
        self.failing.add(channel)
        until = record_failure(channel, error, now=now)
        if until is not None:
            self.paused[channel] = until
        return until

    def answer(self, channel: str, *, now: datetime) -> None:
        """The provider answered (sent, or refused for good): the count starts again."""
        if channel in self.failing:
            self.failing.discard(channel)
            self.paused.pop(channel, None)
            record_answer(channel, now=now)


def _locked_row(channel: str) -> ChannelCircuit:
    try:
        with transaction.atomic():
            ChannelCircuit.objects.get_or_create(channel=channel)
    except IntegrityError:  # created by another process at the same moment
        pass
    return ChannelCircuit.objects.select_for_update().get(channel=channel)


def record_failure(channel: str, error: str, *, now: datetime) -> datetime | None:
    """One more consecutive failure; returns the end of the pause when the channel is paused."""
    with transaction.atomic():
        row = _locked_row(channel)
        row.consecutive_failures += 1
        row.last_error = error[:200]
        row.last_failure_at = now
        if row.consecutive_failures < settings.DISPATCH_BREAKER_FAILURES:
            row.save(update_fields=["consecutive_failures", "last_error", "last_failure_at"])
            return None
        if row.paused_until is None or row.paused_until <= now:  # (again) paused from now
            row.paused_until = now + timedelta(seconds=settings.DISPATCH_BREAKER_PAUSE_SECONDS)
            row.paused_since = row.paused_since or now
            logger.warning(
                "dispatch.channel_paused channel=%s failures=%s until=%s",
                channel,
                row.consecutive_failures,
                row.paused_until.isoformat(),
            )
        row.save()
        return row.paused_until


def record_answer(channel: str, *, now: datetime) -> None:
    with transaction.atomic():
        row = _locked_row(channel)
        if row.paused_since is not None:
            logger.info("dispatch.channel_resumed channel=%s", channel)
        row.consecutive_failures = 0
        row.paused_since = row.paused_until = None
        row.save(update_fields=["consecutive_failures", "paused_since", "paused_until"])


def channel_states(*, now: datetime) -> list[ChannelCircuit]:
    """Channels that are paused or have failed lately, for staff."""
    return [
        row
        for row in ChannelCircuit.objects.all()
        if row.consecutive_failures or (row.paused_until is not None and row.paused_until > now)
    ]
