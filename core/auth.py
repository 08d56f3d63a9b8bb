"""Login with a lockout: per account and per client address, counted in the database.

The counts live in ``core.LoginAttempt`` rows, so every web process (and the API's token
endpoint) sees the same numbers on SQLite and on PostgreSQL, without a shared cache.

* An account (by the hash of its lowercased email) is locked for ``LOGIN_LOCKOUT_MINUTES``
  after ``LOGIN_FAILURE_LIMIT`` failures within that many minutes since its last success.
* An address is locked after ``LOGIN_IP_FAILURE_LIMIT`` failures in the same window; a success
  does not reset it (an attacker could otherwise log in to their own account between guesses).
* An unknown email is counted and locked exactly like a real one, so the lockout does not
  reveal which accounts exist.
* While locked, the password is not checked and nothing is recorded, so a lock ends on time
  instead of being extended by the person it locks out.

Two processes may check at the same moment and both let a guess through; the counts can
overshoot the limit by the number of concurrent requests, which is harmless.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Max
from django.utils.timezone import now as current_time
from django.utils.translation import ngettext

from core.models import LoginAttempt, PasswordResetRequest, User

logger = logging.getLogger("between.auth")


class LoginFailed(Exception):
    """Wrong email or password (or an inactive account): one message for all of them."""


class LoginLocked(Exception):
    """Too many failures for this account or this address."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds

    @property
    def message(self) -> str:
        return locked_message(self.retry_after_seconds)


def locked_message(retry_after_seconds: int) -> str:
    minutes = max(1, math.ceil(retry_after_seconds / 60))
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def client_ip(request: Any) -> str | None:
    """The caller's address: REMOTE_ADDR, or the address the trusted proxies saw.

    With ``TRUSTED_PROXY_COUNT`` = n, the n-th address from the right of X-Forwarded-For is
    the one the outermost trusted proxy received the request from; anything left of it was
    written by the client and is not believed.
    """
    meta = getattr(request, "META", None) or {}
    address = meta.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _lock_remaining(failures: Any, limit: int, at: datetime) -> int:
    """Seconds left on a lock for these failure rows (already limited to the window)."""
    stats = failures.aggregate(last=Max("at"))
    if stats["last"] is None or failures.count() < limit:
        return 0
    remaining = (stats["last"] + _window() - at).total_seconds()
    return max(0, math.ceil(remaining))


def lock_remaining(*, email: str, ip: str | None, at: datetime | None = None) -> int:
    """Seconds until this email and address may try again; 0 when they may now."""
    at = at or current_time()
    since = at - _window()
    digest = email_hash(email)
    last_success = (
        LoginAttempt.objects.filter(email_hash=digest, succeeded=True, at__gt=since)
        .aggregate(last=Max("at"))
        .get("last")
    )
    account = LoginAttempt.objects.filter(
        email_hash=digest, succeeded=False, at__gt=max(since, last_success or since)
    )
    remaining = _lock_remaining(account, settings.LOGIN_FAILURE_LIMIT, at)
    if ip is not None:
        by_address = LoginAttempt.objects.filter(ip=ip, succeeded=False, at__gt=since)
        remaining = max(remaining, _lock_remaining(by_address, settings.LOGIN_IP_FAILURE_LIMIT, at))
    return remaining


def authenticate_with_lockout(request: Any, *, email: str, password: str) -> User:
    """The user for these credentials, or LoginLocked / LoginFailed.

    Used by the login page and the API's token endpoint alike.
    """
    at = current_time()
    ip = client_ip(request)
    remaining = lock_remaining(email=email, ip=ip, at=at)
    if remaining:
        logger.info("auth.login_locked retry_after=%s", remaining)
        raise LoginLocked(remaining)
    user = authenticate(request, username=email.strip().lower(), password=password)
    LoginAttempt.objects.create(
        email_hash=email_hash(email), ip=ip, at=at, succeeded=user is not None
    )
    if user is None:
        logger.info("auth.login_failed")
        # The failure that reaches the limit already says so.
        remaining = lock_remaining(email=email, ip=ip, at=at)
        if remaining:
            raise LoginLocked(remaining)
        raise LoginFailed()
    logger.info("auth.login_succeeded user=%s", user.pk)
    return user


def prune_login_attempts(older_than_days: int = 30) -> int:
    """Delete attempts (and reset requests) older than this; returns how many. Called by a
    periodic task."""
    cutoff = current_time() - timedelta(days=older_than_days)
    deleted, _ = LoginAttempt.objects.filter(at__lt=cutoff).delete()
    resets, _ = PasswordResetRequest.objects.filter(at__lt=cutoff).delete()
    return deleted + resets


# --- Password reset requests: throttled like failed logins ------------------------------------
# The same limits and window as the login, counted apart (asking for a reset is not a failed
# login) and alike for addresses with and without an account, so the throttle reveals nothing.


def reset_lock_remaining(*, email: str, ip: str | None, at: datetime | None = None) -> int:
    """Seconds until this email and address may ask for another reset email; 0: now."""
    at = at or current_time()
    since = at - _window()
    by_account = PasswordResetRequest.objects.filter(email_hash=email_hash(email), at__gt=since)
    remaining = _lock_remaining(by_account, settings.LOGIN_FAILURE_LIMIT, at)
    if ip is not None:
        by_address = PasswordResetRequest.objects.filter(ip=ip, at__gt=since)
        remaining = max(remaining, _lock_remaining(by_address, settings.LOGIN_IP_FAILURE_LIMIT, at))
    return remaining


def record_reset_request(*, email: str, ip: str | None, at: datetime | None = None) -> None:
    PasswordResetRequest.objects.create(
        email_hash=email_hash(email), ip=ip, at=at or current_time()
    )
    logger.info("auth.password_reset_requested")
