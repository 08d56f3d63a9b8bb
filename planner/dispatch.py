"""The outbox: claim due prompts, deliver them, recover stale claims.

Placeholder until the delivery issue lands: the sweep counts what is due and returns it.
"""

from __future__ import annotations

import logging

from django.db.models import Q
from django.utils.timezone import now

from planner.models import ScheduledPrompt

logger = logging.getLogger(__name__)


def sweep() -> int:
    due = ScheduledPrompt.objects.filter(
        Q(status__in=ScheduledPrompt.OPEN_STATUSES), due_at__lte=now()
    ).count()
    logger.info("dispatch.sweep due=%s", due)
    return due
