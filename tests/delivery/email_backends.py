"""Email backends for the delivery tests: a worker that dies mid-send, a therapist who pauses
the break while a message is being sent, a provider that is down."""

from __future__ import annotations

from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from planner.models import Break


class Killed(BaseException):
    """The worker process dies (not an error the outbox could classify)."""


class DyingBackend(EmailBackend):
    """Accepts messages until the one numbered ``die_at``, during which the worker dies."""

    die_at = 0
    seen = 0

    def send_messages(self, messages):
        DyingBackend.seen += 1
        if DyingBackend.seen == DyingBackend.die_at:
            raise Killed
        return super().send_messages(messages)


class PausingBackend(EmailBackend):
    """Every break is paused while the first message is being sent."""

    def send_messages(self, messages):
        Break.objects.update(paused_at=timezone.now())
        return super().send_messages(messages)


class DownBackend(EmailBackend):
    def send_messages(self, messages):
        raise OSError("connection refused")
