"""Email backends for the delivery tests: a worker that dies mid-send, a therapist who pauses
the break while a message is being sent, a provider that is down, an ESP that batch-sends."""

from __future__ import annotations

from typing import ClassVar

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.message import AnymailRecipientStatus
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


class ESPBackend(AnymailTestBackend):
    """django-anymail's test backend (an ESP that batch-sends and reports a status per
    recipient), answering ``answers[address]`` for the recipients named there ("sent" for the
    others; None: left out of the answer), or raising ``error`` for the whole call after it
    reached the "ESP"."""

    answers: ClassVar[dict[str, str | None]] = {}
    error: ClassVar[Exception | None] = None
    calls = 0

    def post_to_esp(self, payload, message):
        ESPBackend.calls += 1
        response = super().post_to_esp(payload, message)
        if ESPBackend.error is not None:
            raise ESPBackend.error
        statuses = response["recipient_status"]
        for address, status in ESPBackend.answers.items():
            if status is None:
                statuses.pop(address, None)
            elif address in statuses:
                statuses[address] = AnymailRecipientStatus(message_id=None, status=status)
        return response
