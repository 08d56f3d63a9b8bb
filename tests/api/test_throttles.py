"""The throttles' sliding window (the same arithmetic as on Redis, here in the tests' memory
cache; tests/integration/test_throttle_redis.py runs it on Redis): the limit holds across a
window's edge, a refused request is not counted, and Retry-After is when one more fits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.throttling import SimpleRateThrottle

from planner.api.throttling import seconds_to_wait, share

V = "/api/v1"
T0 = datetime(2026, 12, 1, 12, 0, 45, tzinfo=UTC)  # three quarters into a minute


def test_the_limit_holds_across_the_edge_of_a_window(world, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "4/minute")
    api = world.api("therapist_a")

    def code(at):
        with time_machine.travel(at, tick=False):
            return api.get(f"{V}/clients/").status_code

    assert [code(T0) for _ in range(5)] == [200, 200, 200, 200, 429]
    # 35 s later, 20 s into a new minute: the previous minute still counts two thirds
    # (2.67 + 1 <= 4, and then 2.67 + 2 > 4).
    assert code(T0 + timedelta(seconds=35)) == 200
    assert code(T0 + timedelta(seconds=35)) == 429
    # Two minutes on, in a minute after an empty one, nothing before counts.
    later = T0 + timedelta(seconds=140)
    assert [code(later) for _ in range(5)] == [200, 200, 200, 200, 429]


def test_retry_after_is_when_one_more_request_fits(world, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/minute")
    api = world.api("therapist_a")
    with time_machine.travel(T0, tick=False):
        codes = [api.get(f"{V}/clients/").status_code for _ in range(3)]
        refused = api.get(f"{V}/clients/")
    assert codes == [200, 200, 429]
    wait = int(refused["Retry-After"])
    assert refused.json()["retry_after"] == wait
    with time_machine.travel(T0 + timedelta(seconds=wait - 2), tick=False):
        assert api.get(f"{V}/clients/").status_code == 429
    with time_machine.travel(T0 + timedelta(seconds=wait + 1), tick=False):
        assert api.get(f"{V}/clients/").status_code == 200


@pytest.mark.parametrize(
    ("current", "previous", "elapsed", "expected"),
    [
        (4, 0, 30, 45),  # full now: next window, once this one weighs (1 - 3/4)
        (2, 4, 30, 15),  # room for one when the previous weighs 1/4: 45 s in, 15 s on
        (0, 8, 0, 37.5),  # the previous window alone: 8 x (1 - f) <= 3 at f = 5/8
    ],
)
def test_seconds_to_wait(current, previous, elapsed, expected):
    wait = seconds_to_wait(
        limit=4, duration=60, elapsed=elapsed, current=current, previous=previous
    )
    assert wait == pytest.approx(expected)


@pytest.mark.parametrize(
    ("limit", "most", "expected"),
    [
        (10, 16, 1),  # the token endpoint: every request counted
        (60, 16, 1),  # anonymous callers
        (199, 16, 1),
        (200, 16, 2),
        (1200, 16, 12),  # logged in: 1% of the limit
        (100_000, 16, 16),  # at most THROTTLE_SHARE_MAX
        (1200, 1, 1),  # THROTTLE_SHARE_MAX=1: every request counted in the cache
    ],
)
def test_a_web_process_takes_one_percent_of_a_limit_at_most_the_setting(
    settings, limit, most, expected
):
    settings.THROTTLE_SHARE_MAX = most
    assert share(limit) == expected
