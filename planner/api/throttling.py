"""The API's rate limits: at most one cache round trip a request, counted per caller address,
and failing open while the cache is down.

* One round trip. DRF's throttles keep a list of timestamps per caller: a GET and a SET, two
  Redis round trips on every request. These count in two fixed windows instead (the current
  one and the one before, weighted by how much of it still lies inside the sliding window:
  the usual "sliding window counter"), which Redis reads, checks and increments in one Lua
  script: one round trip, atomic across workers. A refused request is not counted, so a
  caller who waits ``Retry-After`` seconds gets through. With another cache (the embedded
  default, tests) the same arithmetic runs through ``get_many`` and ``set``.
* Fewer round trips under a high limit. With a limit of 200 or more a window, the script
  grants a web process a share of it at once (1% of the limit, at most THROTTLE_SHARE_MAX:
  16 requests), counted in Redis as if they had all been made; the process lets that many
  through by itself, then asks again. The round trip was a fifth of an inbox request's CPU
  (measured: 2,060 against 1,614 us without any throttle). Redis only ever grants what fits
  under the limit, so no more requests get through than before; a share a process took and
  did not use still counts, so a caller may be refused up to (web processes x share)
  requests early. Below 200 (logins, anonymous callers) every request is counted in Redis,
  exactly as before.
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
import math
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError
from rest_framework import throttling

from core.auth import client_ip

logger = logging.getLogger("between.api")

LOG_EVERY_SECONDS = 60.0
_last_logged = 0.0
_lock = threading.Lock()

# KEYS: this window's counter, the previous window's. ARGV: the limit, the previous window's
# weight, the counter's lifetime, the most requests to grant. Grants as many as fit (none:
# refused, nothing counted) and answers {granted, this window's count, previous count}.
CHECK_AND_COUNT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local room = math.floor(tonumber(ARGV[1]) - previous * tonumber(ARGV[2]) - current)
if room < 1 then
  return {0, current, previous}
end
local granted = math.min(room, tonumber(ARGV[4]))
redis.call('INCRBY', KEYS[1], granted)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {granted, current + granted, previous}
"""

# A process's share of a limit: 1% of it, at most THROTTLE_SHARE_MAX (16); 1 (every request
# asks Redis) under 200.
SHARE_OF_LIMIT = 100


def share(limit: int) -> int:
    """How many requests a web process asks Redis for at once, under ``limit``."""
    return max(1, min(limit // SHARE_OF_LIMIT, settings.THROTTLE_SHARE_MAX))


class _Shares:
    """The requests Redis granted this process and it has not used yet, by counter (a
    window's key: a new window needs a new grant). Lost shares only make a limit stricter,
    so the table is simply emptied when it grows large, and in a forked child (which must
    never use its parent's grants)."""

    MAX_COUNTERS = 10_000

    def __init__(self) -> None:
        self._left: dict[str, int] = {}
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self.clear)

    def take(self, counter: str) -> bool:
        with self._lock:
            left = self._left.get(counter, 0)
            if left < 1:
                return False
            self._left[counter] = left - 1
            return True

    def keep(self, counter: str, left: int, *, stale: str) -> None:
        with self._lock:
            self._left.pop(stale, None)  # the previous window's grant cannot be used now
            if len(self._left) >= self.MAX_COUNTERS:
                self._left.clear()
            if left > 0:
                self._left[counter] = left

    def clear(self) -> None:
        with self._lock:
            self._left = {}


SHARES = _Shares()

_scripts: dict[int, Any] = {}


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


def seconds_to_wait(
    *, limit: int, duration: float, elapsed: float, current: int, previous: int
) -> float:
    """How long until one more request fits: the previous window's weight falls as time
    passes, and at the next window this one becomes the previous."""
    room = limit - 1 - current
    if room >= 0 and previous > 0:  # later in this window
        return max(0.0, (1 - room / previous) * duration - elapsed)
    if current <= 0:
        return duration - elapsed
    # In the next window, this window's count weighs (1 - fraction) and must leave room.
    fraction = max(0.0, 1 - (limit - 1) / current)
    return duration - elapsed + fraction * duration


class BetweenThrottle(throttling.SimpleRateThrottle):
    """A DRF rate throttle (the same rates, scopes and cache keys), counted in one round trip;
    the caller's address by the lockout's rule; a cache error lets the request through."""

    def get_ident(self, request: Any) -> str:
        return client_ip(request) or "unknown"

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            return self._check_and_count(self.key)
        except (RedisError, OSError) as error:
            _log_unavailable(self, error)
            return True

    def _check_and_count(self, key: str) -> bool:
        limit = int(self.num_requests)  # type: ignore[attr-defined]  # set by DRF's __init__
        duration = int(self.duration)  # type: ignore[attr-defined]
        now = self.timer()
        window = math.floor(now / duration)
        elapsed = now - window * duration
        weight = 1 - elapsed / duration
        keys = [f"{key}:{window}", f"{key}:{window - 1}"]
        if isinstance(self.cache, RedisCache):
            allowed, current, previous = self._redis(keys, limit, weight, 2 * duration)
        else:
            allowed, current, previous = self._generic(keys, limit, weight, 2 * duration)
        if not allowed:
            self._wait = seconds_to_wait(
                limit=limit,
                duration=duration,
                elapsed=elapsed,
                current=current,
                previous=previous,
            )
        return bool(allowed)

    def _redis(self, keys: list[str], limit: int, weight: float, ttl: int) -> tuple[int, int, int]:
        """(allowed, this window's count, the previous one's) from Redis, or (1, -1, -1) when
        this process still had a share of the limit to use and did not ask."""
        cache = self.cache
        made = [cache.make_key(k) for k in keys]
        size = share(limit)
        if size > 1 and SHARES.take(made[0]):
            return 1, -1, -1
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(CHECK_AND_COUNT)
        granted, current, previous = script(keys=made, args=[limit, repr(weight), ttl, size])
        if size > 1 and granted:
            SHARES.keep(made[0], int(granted) - 1, stale=made[1])
        return int(granted > 0), int(current), int(previous)

    def _generic(
        self, keys: list[str], limit: int, weight: float, ttl: int
    ) -> tuple[int, int, int]:
        found = self.cache.get_many(keys)
        current, previous = int(found.get(keys[0], 0)), int(found.get(keys[1], 0))
        if previous * weight + current + 1 > limit:
            return 0, current, previous
        self.cache.set(keys[0], current + 1, ttl)
        return 1, current + 1, previous

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


# DRF's SimpleRateThrottle holds a proxy of the default cache; these take the cache itself
# (per request, so the settings' cache of the moment), to know whether it is Redis.
BetweenThrottle.cache = property(lambda self: caches["default"])  # type: ignore[assignment]


# DRF's class first: ScopedRateThrottle.allow_request finds the view's scope, then calls
# BetweenThrottle's.
class AnonRateThrottle(throttling.AnonRateThrottle, BetweenThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, BetweenThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, BetweenThrottle):
    pass
