from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.celery import app

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # any failure means "not answering"; details go to the log
        logger.warning("healthz.database_unreachable")
        return False


def _broker_ok() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("healthz.broker_unreachable")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database_ok()
    broker = _broker_ok()
    status = 200 if database and broker else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "degraded",
            "database": "ok" if database else "unreachable",
            "broker": "ok" if broker else "unreachable",
        },
        status=status,
    )
