"""Channel consent writes: one place for the unsubscribe link, the SMS STOP/START webhook and
a provider's permanent refusal. Each change is a new ConsentRecord row (never edited) and the
client's ``channels`` list in the same transaction."""

from __future__ import annotations

import logging

from django.db import transaction

from planner.models import Client, ConsentRecord, ScheduledPrompt

logger = logging.getLogger(__name__)


def channel_consent_set(
    *, client: Client, channel: str, granted: bool, source: str, recorded_by=None
) -> None:
    """Switch an email/SMS channel on or off for a client and record why."""
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        channels = [c for c in (locked.channels or []) if c != channel]
        if granted:
            channels.append(channel)
        if channels != locked.channels:
            locked.channels = channels
            locked.save(update_fields=["channels"])
        ConsentRecord.objects.create(
            client=locked, subject=channel, granted=granted, source=source, recorded_by=recorded_by
        )
    client.channels = locked.channels
    logger.info("consent.%s client=%s channel=%s source=%s", granted, client.pk, channel, source)


def channels_switch_off_after_permanent_error(items: list[tuple[ScheduledPrompt, str]]) -> None:
    """A provider said the address can never work: switch the channel off, record it, and
    (after commit) tell the therapist. Call inside the transaction that stores the failure."""
    from planner.tasks import notify_channel_off

    seen: set[tuple[int, str]] = set()
    for prompt, channel in items:
        key = (prompt.client_id, channel)
        if key in seen:
            continue
        seen.add(key)
        channel_consent_set(
            client=prompt.client, channel=channel, granted=False, source="provider-permanent-error"
        )
        notify_channel_off.delay_on_commit(prompt.client_id, prompt.break_obj_id, channel)
