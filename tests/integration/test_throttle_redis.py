"""The API's throttles on real Redis: one round trip a request, the limit kept across workers'
counters, and a refused caller let in again after Retry-After."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from redis.connection import Connection
from rest_framework.throttling import SimpleRateThrottle

from planner.api.throttling import share
from tests.security_helpers import api_token

V = "/api/v1"
# The middle of a minute: the previous window's weight is one half.
T0 = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ReusingRedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": "throttle-test",
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def round_trips(monkeypatch):
    sent: list[int] = []
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(1)
        return original(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counting)
    return sent


def _api(user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return api


def test_under_a_limit_below_200_every_request_costs_one_redis_round_trip(
    make_user, redis_cache, round_trips, monkeypatch
):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "199/minute")
    api = _api(make_user("therapist"))
    assert api.get(f"{V}/clients/").status_code == 200  # loads the script once
    round_trips.clear()
    for _ in range(5):
        assert api.get(f"{V}/clients/").status_code == 200
    assert len(round_trips) == 5


def _window_count(cache, user) -> int:
    """What Redis counted for this user in the minute of T0."""
    window = int(T0.timestamp() // 60)
    return int(cache.get(f"throttle_user_{user.pk}:{window}") or 0)


def test_under_the_logged_in_limit_a_process_asks_redis_once_a_share(
    make_user, redis_cache, round_trips
):
    # 1200 a minute (the default): a process takes 12 at a time.
    assert share(1200) == 12
    user = make_user("therapist")
    api = _api(user)
    with time_machine.travel(T0, tick=False):
        assert api.get(f"{V}/clients/").status_code == 200  # the script loaded; 11 left
        round_trips.clear()
        codes = [api.get(f"{V}/clients/").status_code for _ in range(35)]
    assert codes == [200] * 35
    # The 12th and the 24th asked for a new share; the others were let through on it.
    assert len(round_trips) == 2
    # Redis counted every share it granted in full: 3 x 12.
    assert _window_count(redis_cache, user) == 36


def test_shares_never_let_more_through_than_the_limit_across_processes(
    make_user, redis_cache, monkeypatch
):
    from planner.api import throttling

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "400/minute")
    size = share(400)
    assert size == 4
    # Two web processes: each has its own table of shares; Redis is the one they share.
    first, second = throttling._Shares(), throttling._Shares()
    api = _api(make_user("therapist"))

    def code(process) -> int:
        monkeypatch.setattr(throttling, "SHARES", process)
        return api.get(f"{V}/clients/").status_code

    with time_machine.travel(T0, tick=False):
        assert code(first) == 200  # the first process holds 3 it will not use
        codes = [code(second) for _ in range(400)]
        # Once refused, the first process's unused share still lets its own requests
        # through (counted already), and then it is refused too.
        later = [code(first) for _ in range(5)]
    admitted = 1 + codes.count(200) + later.count(200)
    assert admitted == 400  # Redis granted exactly the limit; every grant was used
    assert codes.count(200) == 400 - size  # the second process was refused 3 early
    assert codes[-1] == 429 and later[-1] == 429


def test_a_share_is_not_used_in_the_next_minute(make_user, redis_cache, round_trips):
    api = _api(make_user("therapist"))
    with time_machine.travel(T0, tick=False):
        assert api.get(f"{V}/clients/").status_code == 200  # a share of 12 taken, 11 left
    round_trips.clear()
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        assert api.get(f"{V}/clients/").status_code == 200
    assert len(round_trips) == 1  # a new minute: Redis asked again


def test_a_forked_process_starts_without_its_parents_shares():
    from planner.api import throttling

    throttling.SHARES.keep("counter", 5, stale="older")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: must ask Redis, never use what the parent was granted
        os.write(write, b"1" if throttling.SHARES.take("counter") else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"0"
    assert throttling.SHARES.take("counter")  # the parent still has its own


def test_the_limit_holds_and_lifts_after_retry_after(make_user, redis_cache, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "4/minute")
    api = _api(make_user("therapist"))
    with time_machine.travel(T0, tick=False):
        codes = [api.get(f"{V}/clients/").status_code for _ in range(6)]
        refused = api.get(f"{V}/clients/")
    assert codes == [200, 200, 200, 200, 429, 429]
    wait = int(refused["Retry-After"])
    assert 0 < wait <= 60
    # Half a minute later the window has moved on, but the four still weigh in it.
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        assert api.get(f"{V}/clients/").status_code == 429
    with time_machine.travel(T0 + timedelta(seconds=wait + 1), tick=False):
        assert api.get(f"{V}/clients/").status_code == 200
