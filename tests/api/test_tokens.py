"""API tokens (issue 13, point 19): hashed, expiring, revoked on logout and on erasure; the
lockout's 429 sentence; throttles that count by the caller's real address."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now
from knox.models import AuthToken

V = "/api/v1"
PASSWORD = "a-long-test-password-1"


def _login(api, user) -> dict:
    answer = api.post(f"{V}/auth/token/", {"username": user.email, "password": PASSWORD})
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_the_token_is_stored_only_as_a_digest(world):
    api = world.api("anonymous")
    body = _login(api, world.users["therapist_a"])
    token = body["token"]
    assert len(token) == 64
    row = AuthToken.objects.get(user=world.users["therapist_a"], token_key=token[:15])
    assert token not in row.digest and row.digest != token
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = repr(cursor.fetchall())
    assert token not in stored  # nothing in the table can be sent as the token
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(f"{V}/clients/").status_code == 200


def test_a_token_expires_after_the_setting(world, settings):
    api = world.api("anonymous")
    start = now()
    with time_machine.travel(start, tick=False):
        body = _login(api, world.users["therapist_a"])
    hours = settings.API_TOKEN_TTL_HOURS
    assert hours == 12
    row = AuthToken.objects.get(token_key=body["token"][:15])
    assert row.expiry == start + timedelta(hours=hours)
    assert body["expiry"].startswith(row.expiry.strftime("%Y-%m-%dT%H:%M"))
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    with time_machine.travel(start + timedelta(hours=hours, seconds=-1), tick=False):
        assert api.get(f"{V}/clients/").status_code == 200
    with time_machine.travel(start + timedelta(hours=hours, seconds=1), tick=False):
        assert api.get(f"{V}/clients/").status_code == 401
        from core.tasks import prune_expired_tokens

        assert prune_expired_tokens() == 1
    assert not AuthToken.objects.filter(token_key=body["token"][:15]).exists()


def test_logout_revokes_this_token_and_logout_all_every_token(world):
    user = world.users["client_a"]
    first, second = world.api("anonymous"), world.api("anonymous")
    for api in (first, second):
        api.credentials(HTTP_AUTHORIZATION=f"Token {_login(api, user)['token']}")
    assert first.post(f"{V}/auth/logout/").status_code == 204
    assert first.get(f"{V}/me/inbox/").status_code == 401
    assert second.get(f"{V}/me/inbox/").status_code == 200  # only the calling token went
    third = world.api("anonymous")
    third.credentials(HTTP_AUTHORIZATION=f"Token {_login(third, user)['token']}")
    assert third.post(f"{V}/auth/logout-all/").status_code == 204
    assert second.get(f"{V}/me/inbox/").status_code == 401
    assert third.get(f"{V}/me/inbox/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_logout_needs_a_token_not_a_session(client, world):
    client.force_login(world.users["therapist_a"])
    assert client.post(f"{V}/auth/logout/").status_code == 401


def test_erasure_revokes_every_token(world, django_capture_on_commit_callbacks):
    user = world.users["client_a"]
    api = world.api("anonymous")
    api.credentials(HTTP_AUTHORIZATION=f"Token {_login(api, user)['token']}")
    other = world.api("client_a")
    with django_capture_on_commit_callbacks(execute=True):
        erased = other.post(f"{V}/me/erase/", {"confirm": "DELETE", "password": PASSWORD})
    assert erased.status_code == 200
    assert not AuthToken.objects.filter(user=user).exists()
    assert api.get(f"{V}/me/inbox/").status_code == 401


def test_a_wrong_or_malformed_token_is_a_401(world):
    api = world.api("anonymous")
    token = _login(api, world.users["therapist_a"])["token"]
    for bad in (token[:-1] + ("0" if token[-1] != "0" else "1"), token[:15], "é" * 64, "x"):
        api.credentials(HTTP_AUTHORIZATION=f"Token {bad}")
        assert api.get(f"{V}/clients/").status_code == 401


def test_the_token_the_user_and_the_client_record_come_in_one_query(world):
    from planner.api.authentication import TokenWithProfileAuthentication
    from tests.security_helpers import api_token

    token = api_token(world.users["client_a"])
    with CaptureQueriesContext(connection) as queries:
        user, row = TokenWithProfileAuthentication().authenticate_credentials(token.encode())
        assert user.client_profile == world.client_a
    assert len(queries.captured_queries) == 1
    assert row.user_id == user.pk


def test_the_lookup_gives_the_same_records_as_the_orm(world):
    """The hand-written lookup builds the models with the fields' own converters (JSON lists,
    times, aware datetimes), exactly as a queryset would."""
    from core.models import User
    from planner.api.authentication import TokenWithProfileAuthentication
    from planner.models import Client
    from tests.security_helpers import api_token

    world.client_a.prompt_times = ["08:15", "19:45"]
    world.client_a.channels = ["inbox", "email"]
    world.client_a.save()
    user, row = TokenWithProfileAuthentication().authenticate_credentials(
        api_token(world.users["client_a"]).encode()
    )
    fields = lambda obj: {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}  # noqa: E731
    assert fields(user) == fields(User.objects.get(pk=user.pk))
    assert fields(user.client_profile) == fields(Client.objects.get(pk=world.client_a.pk))
    assert fields(row) == fields(AuthToken.objects.get(digest=row.digest))
    assert row.user is user
    therapist, _ = TokenWithProfileAuthentication().authenticate_credentials(
        api_token(world.users["therapist_a"]).encode()
    )
    assert not hasattr(therapist, "client_profile")  # none, and known without a query


@pytest.mark.parametrize("how", ["row deleted elsewhere", "logout-all", "login deactivated"])
def test_a_revoked_token_fails_on_the_very_next_request(world, how):
    """Nothing remembers a token between requests: the request after a revocation, in this
    process or another, is a 401."""
    api = world.api("therapist_a")
    user = world.users["therapist_a"]
    assert api.get(f"{V}/clients/").status_code == 200
    if how == "row deleted elsewhere":  # another worker's logout: a plain DELETE
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM knox_authtoken WHERE user_id = %s", [user.pk])
    elif how == "logout-all":
        world.api("therapist_a").post(f"{V}/auth/logout-all/")
    else:
        type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert api.get(f"{V}/clients/").status_code == 401


def test_the_lockout_answer_reads_as_one_sentence(world):
    api = world.api("anonymous")
    email = world.users["therapist_a"].email
    answers = [
        api.post(f"{V}/auth/token/", {"username": email, "password": "wrong"}) for _ in range(5)
    ]
    assert answers[-1].status_code == 429
    assert answers[-1].json() == {
        "detail": "Too many failed attempts. Try again in 15 minutes.",
        "retry_after": 900,
    }
    assert answers[-1]["Retry-After"] == "900"


@pytest.mark.parametrize("proxies", [0, 1])
def test_throttles_ignore_a_forwarded_for_the_client_wrote(world, settings, monkeypatch, proxies):
    """A new X-Forwarded-For on every request is not a new bucket: the API's throttles count
    by core.auth.client_ip, like the login lockout."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    settings.TRUSTED_PROXY_COUNT = proxies
    api = world.api("anonymous")
    codes = [
        api.post(
            f"{V}/auth/token/",
            {"username": f"nobody{n}@example.com", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9",
            REMOTE_ADDR="192.0.2.1",
        ).status_code
        for n in range(5)
    ]
    assert codes == [400, 400, 400, 429, 429]


def test_behind_a_trusted_proxy_each_real_address_has_its_own_bucket(world, settings, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/minute")
    settings.TRUSTED_PROXY_COUNT = 1
    api = world.api("anonymous")
    codes = [
        api.post(
            f"{V}/auth/token/",
            {"username": f"nobody{n}@example.com", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.7, 198.51.100.{n}",
        ).status_code
        for n in (1, 2, 1)
    ]
    assert codes == [400, 400, 429]
