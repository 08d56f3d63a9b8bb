"""While the cache (Redis) is unreachable, the throttles let requests through and log it once:
an outage of the cache is not a 500 on every API request."""

from __future__ import annotations

import socket

import pytest

from planner.api import throttling

V = "/api/v1"


@pytest.fixture
def redis_down(settings, monkeypatch):
    with socket.socket() as s:  # a local port where nothing listens: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ReusingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    monkeypatch.setattr(throttling, "_last_logged", 0.0)
    yield
    # Back to a working cache before the fixtures that clear it tear down.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_the_api_answers_while_the_cache_is_down(world, redis_down, log_capture):
    for actor, url in [
        ("therapist_a", f"{V}/clients/"),
        ("therapist_a", f"{V}/breaks/{world.break_a.pk}/"),
        ("client_a", f"{V}/me/inbox/"),
        ("anonymous", f"{V}/ping/"),
    ]:
        response = world.api(actor).get(url)
        assert response.status_code == 200, (url, response.content[:200])
    anonymous = world.api("anonymous").get(f"{V}/clients/")
    assert anonymous.status_code == 401
    logged = log_capture.text.count("api.throttle_unavailable")
    assert logged == 1  # once a minute, not once a request
    assert "error=ConnectionError" in log_capture.text


def test_the_token_endpoint_answers_while_the_cache_is_down(world, redis_down):
    response = world.api("anonymous").post(
        f"{V}/auth/token/",
        {"username": world.users["therapist_a"].email, "password": "a-long-test-password-1"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["token"]
