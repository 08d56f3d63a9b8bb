"""The API's throttles on real Redis: one round trip a request, the limit kept across workers'
counters, and a refused caller let in again after Retry-After."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from redis.connection import Connection
from rest_framework.throttling import SimpleRateThrottle

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


def test_a_request_costs_one_redis_round_trip(make_user, redis_cache, round_trips):
    api = _api(make_user("therapist"))
    assert api.get(f"{V}/clients/").status_code == 200  # loads the script once
    round_trips.clear()
    for _ in range(5):
        assert api.get(f"{V}/clients/").status_code == 200
    assert len(round_trips) == 5


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
