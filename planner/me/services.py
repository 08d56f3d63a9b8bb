"""The client's own writes: marking a message read, and their delivery preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.models import User
from planner import audit
from planner.breaks.services import client_pause, client_update
from planner.breaks.validation import invalid
from planner.models import Client, InboxMessage, PromptFeedback
from planner.supportmap.services import replan_client


@transaction.atomic
def inbox_acknowledge(*, message: InboxMessage, actor: User, at: datetime | None = None) -> bool:
    """Mark a message read/done; returns False when it already was (idempotent)."""
    changed = InboxMessage.objects.filter(pk=message.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=at or current_time()
    )
    message.refresh_from_db(fields=["acknowledged_at"])
    return changed == 1


@transaction.atomic
def inbox_feedback(
    *, message: InboxMessage, helpful: bool, actor: User, at: datetime | None = None
) -> PromptFeedback:
    """The client's "This helped" (True) or "Not for me" (False) on one message; a second
    answer replaces the first. "Not for me" keeps the message's template out of their future
    prompts; either weighs its category. The unsent prompts of live breaks are planned again.
    Neither the message nor its text goes in the audit row or the log."""
    if not isinstance(helpful, bool):
        raise invalid("helpful", _("Answer true (this helped) or false (not for me)."))
    prompt = message.prompt
    feedback, _created = PromptFeedback.objects.update_or_create(
        message=message,
        defaults={
            "client_id": message.client_id,
            "break_obj_id": message.break_obj_id,
            "template_id": prompt.template_id if prompt is not None else None,
            "category": message.category,
            "helpful": helpful,
            "recorded_at": at or current_time(),
        },
    )
    audit.record(
        actor,
        "inbox.feedback",
        client=message.client_id,
        obj=feedback,
        detail={"helpful": helpful, "category": message.category},
    )
    replan_client(message.client, at=at)
    return feedback


@transaction.atomic
def preferences_update(*, client: Client, actor: User, **data: Any) -> Client:
    """The client's own settings: timezone, quiet hours, prompt times, how many prompts,
    channels, their country (giving it confirms it), pause."""
    allowed = {
        "timezone",
        "quiet_hours_start",
        "quiet_hours_end",
        "prompt_times",
        "prompt_amount",
        "channels",
        "full_text_opt_in",
        "country",
    }
    paused_until = data.pop("paused_until", ...)
    unknown = set(data) - allowed
    if unknown:
        raise invalid(sorted(unknown)[0], _("This setting cannot be changed here."))
    client = client_update(client=client, actor=actor, source="client", **data)
    if paused_until is not ...:
        client = client_pause(client=client, until=paused_until, actor=actor)
    return client
