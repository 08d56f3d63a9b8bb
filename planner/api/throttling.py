"""The API's rate limits: counted per caller address, and failing open while the cache is down.

* Per address. DRF's own throttles identify an anonymous caller by the whole
  ``X-Forwarded-For`` header when ``NUM_PROXIES`` is unset, and a client writes that header as
  it likes: a new value per request is a new bucket. These use the one rule of the login
  lockout instead (``core.auth.client_ip``): the connection's address, or with
  ``TRUSTED_PROXY_COUNT`` = n the address the outermost trusted proxy saw.
* Failing open. The counters live in the default cache (Redis in production). With Redis down,
  every cache call raised and every API request but ping answered 500. A throttle that cannot
  count lets the request through and says so in the log (at most once a minute per process):
  an outage of the cache is not an outage of the API. The login lockout keeps its counts in
  the database and still guards the token endpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from redis.exceptions import RedisError
from rest_framework import throttling

from core.auth import client_ip

logger = logging.getLogger("between.api")

LOG_EVERY_SECONDS = 60.0
_last_logged = 0.0
_lock = threading.Lock()


def _log_unavailable(throttle: object, error: Exception) -> None:
    global _last_logged
    with _lock:
        if time.monotonic() - _last_logged < LOG_EVERY_SECONDS:
            return
        _last_logged = time.monotonic()
    logger.warning(
        "api.throttle_unavailable throttle=%s error=%s (requests pass unthrottled)",
        type(throttle).__name__,
        type(error).__name__,
    )


class BetweenThrottle:
    """Mixed into a DRF rate throttle: the caller's address by the lockout's rule, and a cache
    error lets the request through."""

    def get_ident(self, request: Any) -> str:
        return client_ip(request) or "unknown"

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except (RedisError, OSError) as error:
            _log_unavailable(self, error)
            return True


class AnonRateThrottle(BetweenThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(BetweenThrottle, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(BetweenThrottle, throttling.ScopedRateThrottle):
    pass
