from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.celery import app
from core.forms import PasswordConfirmForm
from core.middleware import lift_limit, limited_session_allowed, session_is_limited

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


@limited_session_allowed
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


@limited_session_allowed
@login_required
@require_http_methods(["GET", "POST"])
def password_confirm(request: HttpRequest) -> HttpResponse:
    """ "Enter your password to continue": turns a session opened by a link into a full one."""
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    if not session_is_limited(request):
        return redirect(target)
    form = PasswordConfirmForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        lift_limit(request)
        return redirect(target)
    return render(
        request,
        "registration/password_confirm.html",
        {"form": form, "next": target},
        status=400 if form.errors else 200,
    )
