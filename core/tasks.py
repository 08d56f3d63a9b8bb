from __future__ import annotations

from celery import shared_task
from django.db.models import F
from django.utils.timezone import now

from core.auth import prune_login_attempts as prune
from core.models import WorkerHeartbeat
from core.tokens import prune_expired_tokens as prune_tokens


@shared_task(name="core.worker_heartbeat", bind=True, time_limit=30, soft_time_limit=20)
def worker_heartbeat(self) -> str:
    """Record that a worker is alive and can write to the database."""
    hostname = self.request.hostname or "unknown"
    WorkerHeartbeat.objects.get_or_create(hostname=hostname)
    WorkerHeartbeat.objects.filter(hostname=hostname).update(seen_at=now(), beats=F("beats") + 1)
    return hostname


@shared_task(name="core.prune_login_attempts", time_limit=120, soft_time_limit=100)
def prune_login_attempts() -> int:
    """Forget failed and successful login attempts older than 30 days."""
    return prune(older_than_days=30)


@shared_task(name="core.prune_expired_tokens", time_limit=120, soft_time_limit=100)
def prune_expired_tokens() -> int:
    """Delete API tokens whose expiry has passed (they are refused already)."""
    return prune_tokens()
