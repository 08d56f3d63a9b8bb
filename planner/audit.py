"""The audit trail: who read and who changed a client's data. Ids and event names only."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from planner.models import AuditEvent, Client

logger = logging.getLogger("between.audit")


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None


def record(
    actor: Any,
    action: str,
    *,
    client: Client | int | None = None,
    obj: models.Model | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent:
    client_id = client.pk if isinstance(client, Client) else client
    event = AuditEvent.objects.create(
        actor_id=_actor_id(actor),
        action=action,
        client_id=client_id,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=dict(detail or {}),
    )
    logger.info(
        "audit %s actor=%s client=%s object=%s", action, event.actor_id, client_id, event.object_id
    )
    return event


def record_many(actor: Any, action: str, items: Iterable[tuple[int, models.Model]]) -> int:
    """One insert for many objects (a caseload absence)."""
    actor_id = _actor_id(actor)
    rows = [
        AuditEvent(
            actor_id=actor_id,
            action=action,
            client_id=client_id,
            object_type=obj._meta.model_name,
            object_id=str(obj.pk),
        )
        for client_id, obj in items
    ]
    AuditEvent.objects.bulk_create(rows)
    logger.info("audit %s actor=%s count=%s", action, actor_id, len(rows))
    return len(rows)
