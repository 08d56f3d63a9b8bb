"""The API's throttles, failing open while their cache is unreachable.

DRF's rate throttles keep their counters in the default cache (Redis in production). With
Redis down, every cache call raised and every API request but ping answered 500. A throttle
that cannot count now lets the request through and says so in the log (at most once a minute
per process): an outage of the cache is not an outage of the API. The login lockout
(core/auth.py) keeps its counts in the database and still guards the token endpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

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


class FailOpen:
    """Mixed into a DRF rate throttle: a cache error lets the request through."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except (RedisError, OSError) as error:
            _log_unavailable(self, error)
            return True


class FailOpenAnonRateThrottle(FailOpen, AnonRateThrottle):
    pass


class FailOpenUserRateThrottle(FailOpen, UserRateThrottle):
    pass


class FailOpenScopedRateThrottle(FailOpen, ScopedRateThrottle):
    pass
