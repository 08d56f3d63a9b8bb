"""The audit trail: who read and who changed a client's data. Ids and event names only.

The one writer of audit rows. Services record their changes; reads are recorded by the
services that open a record for someone (``breaks.services.client_read``, ``break_read``,
``checkins.services.check_ins_read``) and by the admin. Selectors never write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.utils.timezone import now as current_time

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
    at: datetime | None = None,
) -> AuditEvent:
    client_id = client.pk if isinstance(client, Client) else client
    event = AuditEvent.objects.create(
        at=at or current_time(),
        actor_id=_actor_id(actor),
        action=action,
        client_id=client_id,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
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
            object_type=obj._meta.model_name or "",
            object_id=str(obj.pk),
        )
        for client_id, obj in items
    ]
    AuditEvent.objects.bulk_create(rows)
    logger.info("audit %s actor=%s count=%s", action, actor_id, len(rows))
    return len(rows)


# A page reloaded ten times is one read: the same actor reading the same object within this
# window writes no new row.
READ_DEDUP_WINDOW = timedelta(minutes=10)


def record_read(
    actor: Any,
    what: str,
    obj: models.Model | int | str,
    client: Client | int | None,
    *,
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent | None:
    """Record that ``actor`` read ``what`` ("client", "break", "checkin") of ``client``.

    The action is ``<what>.read`` and the object is the record it was read on (a check-in, or
    the break whose check-ins were listed; a bare id counts as a ``what``). Returns the new
    event, or None when an identical read was recorded in the last ten minutes. Two requests
    at the same instant may both write a row, which is harmless.
    """
    actor_id = _actor_id(actor)
    if isinstance(obj, models.Model):
        obj_type, object_id = obj._meta.model_name or what, str(obj.pk)
    else:
        obj_type, object_id = what, str(obj)
    action = f"{what}.read"
    at = current_time()
    recent = AuditEvent.objects.filter(
        actor_id=actor_id,
        object_type=obj_type,
        object_id=object_id,
        action=action,
        at__gte=at - READ_DEDUP_WINDOW,
    )
    if recent.exists():
        return None
    client_id = client.pk if isinstance(client, Client) else client
    event = AuditEvent.objects.create(
        at=at,
        actor_id=actor_id,
        action=action,
        client_id=client_id,
        object_type=obj_type,
        object_id=object_id,
        detail=dict(detail or {}),
    )
    logger.info("audit %s actor=%s client=%s object=%s", action, actor_id, client_id, object_id)
    return event
