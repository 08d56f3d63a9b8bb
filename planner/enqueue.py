"""Queue a Celery task by its name, after the transaction that asked for it commits.

Services enqueue work through here instead of importing ``planner.tasks``: the tasks import
the services they run, so a service importing the tasks would close an import cycle (which
tests/test_layering.py forbids, counting imports inside functions too). The names are
explicit and stable: queued messages and the beat schedule refer to them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from core.celery import app

DISPATCH_SWEEP = "planner.dispatch_sweep"
DELIVER_BATCH = "planner.deliver_batch"
BREAKS_ADVANCE = "planner.breaks_advance"
LETTERS_RELEASE = "planner.letters_release"
NOTIFY_CHANNEL_OFF = "planner.notify_channel_off"
NOTIFY_CLIENT_ERASED = "planner.notify_client_erased"
ESCALATION_NOTIFY = "planner.escalation_notify"
ESCALATION_REPEAT_NOTIFY = "planner.escalation_repeat_notify"
ESCALATION_FALLBACK_SWEEP = "planner.escalation_fallback_sweep"
INVITATION_SEND = "planner.invitation_send"
PASSWORD_RESET_SEND = "planner.password_reset_send"  # noqa: S105 - a task name
CONTINUITY_HANDOVER_NOTICE = "planner.continuity_handover_notice"


def send(name: str, *args: Any) -> None:
    """Queue the task now. Through the registered task (planner/apps.py imports the tasks at
    start-up), so ``task_always_eager`` runs it in-process in tests."""
    app.signature(name, args=args).delay()


def on_commit(name: str, *args: Any) -> None:
    """Queue the task once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(send, name, *args))
