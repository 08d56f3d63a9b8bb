"""Versioned consent: every change is a new ConsentRecord row with its time; none is edited.

The current state of a subject is its newest row; the history is all of them. Channel
consents are written by ``services.client_update``; escalation and check-in sharing by
``services.break_create`` / ``break_update`` (see ``record_break_consents``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.timezone import now as current_time

from planner.models import Break, Client, ConsentRecord

logger = logging.getLogger(__name__)

Subject = ConsentRecord.Subject


def consent_record(
    *,
    client: Client,
    subject: str,
    granted: bool,
    source: str,
    actor: Any,
    at: datetime | None = None,
) -> ConsentRecord:
    """Append one consent change."""
    if subject not in Subject.values:
        raise ValueError(f"unknown consent subject {subject!r}")
    return ConsentRecord.objects.create(
        client=client,
        subject=subject,
        granted=granted,
        source=source[:64],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        recorded_at=at or current_time(),
    )


def consent_current(client: Client) -> dict[str, ConsentRecord | None]:
    """Every subject -> its newest record, or None when never recorded."""
    current: dict[str, ConsentRecord | None] = dict.fromkeys(Subject.values)
    # Newest first (the model's ordering), so the first row seen per subject wins.
    for record in ConsentRecord.objects.filter(client=client).order_by("-recorded_at", "-id"):
        if current[record.subject] is None:
            current[record.subject] = record
    return current


def consent_history(client: Client) -> QuerySet[ConsentRecord]:
    """All of a client's consent records, newest first."""
    return ConsentRecord.objects.filter(client=client).order_by("-recorded_at", "-id")


def record_break_consents(
    breaks: list[Break] | Break,
    *,
    before: dict[str, Any] | None,
    actor: Any,
    at: datetime | None = None,
) -> list[ConsentRecord]:
    """New rows, in one insert, when breaks' settings change escalation or check-in sharing.

    ``before`` holds the values before the change (None for new breaks).
    """
    at = at or current_time()
    recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    rows = []
    for brk in breaks if isinstance(breaks, list) else [breaks]:
        old = before or dict.fromkeys(BREAK_CONSENT_FIELDS)
        source = f"break {brk.pk}"
        if bool(brk.escalation_enabled) != bool(old["escalation_enabled"]) or (
            brk.escalation_enabled and brk.escalation_consent_at != old["escalation_consent_at"]
        ):
            rows.append(
                ConsentRecord(
                    client_id=brk.client_id,
                    subject=Subject.ESCALATION,
                    granted=brk.escalation_enabled,
                    source=source,
                    recorded_by=recorded_by,
                    recorded_at=(brk.escalation_enabled and brk.escalation_consent_at) or at,
                )
            )
        if bool(brk.share_check_ins_with_covering) != bool(old["share_check_ins_with_covering"]):
            rows.append(
                ConsentRecord(
                    client_id=brk.client_id,
                    subject=Subject.SHARE_CHECK_INS,
                    granted=brk.share_check_ins_with_covering,
                    source=source,
                    recorded_by=recorded_by,
                    recorded_at=at,
                )
            )
    return ConsentRecord.objects.bulk_create(rows) if rows else []


BREAK_CONSENT_FIELDS = (
    "escalation_enabled",
    "escalation_consent_at",
    "share_check_ins_with_covering",
)


def break_consent_state(brk: Break) -> dict[str, Any]:
    return {name: getattr(brk, name) for name in BREAK_CONSENT_FIELDS}


# --- Channels ---------------------------------------------------------------------------------
# One place for the unsubscribe link, the SMS STOP/START webhook and a provider's permanent
# refusal (the outbox's policy calls it): each change is a new ConsentRecord row and the
# client's ``channels`` list, in the same transaction.


def channel_consent_set(
    *, client: Client, channel: str, granted: bool, source: str, recorded_by=None
) -> ConsentRecord:
    """Switch an email/SMS/push channel on or off for a client and record why; the record."""
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        channels = [c for c in (locked.channels or []) if c != channel]
        if granted:
            channels.append(channel)
        if channels != locked.channels:
            locked.channels = channels
            locked.save(update_fields=["channels"])
        record = consent_record(
            client=locked, subject=channel, granted=granted, source=source, actor=recorded_by
        )
    client.channels = locked.channels
    logger.info("consent.%s client=%s channel=%s source=%s", granted, client.pk, channel, source)
    return record
