"""The login lockout (issue 9): five failures lock an account, twenty an address, from the
login page and the front door alike; attempts are kept as hashes and pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.auth import (
    LoginFailed,
    LoginLocked,
    authenticate_with_lockout,
    email_hash,
    prune_login_attempts,
)
from core.models import LoginAttempt

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FakeRequest:
    def __init__(self, ip: str = "203.0.113.7", forwarded: str = "") -> None:
        self.META = {"REMOTE_ADDR": ip}
        if forwarded:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def fail_login(email: str, ip: str = "203.0.113.7", times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises((LoginFailed, LoginLocked)):
            authenticate_with_lockout(FakeRequest(ip), email=email, password="wrong-password")


def test_it_logs_in_with_the_right_password(therapist):
    user = authenticate_with_lockout(
        FakeRequest(), email=therapist.email.upper(), password="a-long-test-password-1"
    )
    assert user == therapist
    attempt = LoginAttempt.objects.get()
    assert attempt.succeeded
    assert attempt.email_hash == email_hash(therapist.email)
    assert therapist.email not in attempt.email_hash


def test_it_locks_an_account_after_five_failures_even_with_the_right_password(therapist):
    with time_machine.travel(NOW, tick=False):
        for _ in range(4):
            with pytest.raises(LoginFailed):
                authenticate_with_lockout(
                    FakeRequest(), email=therapist.email, password="wrong-password"
                )
        with pytest.raises(LoginLocked) as fifth:
            authenticate_with_lockout(FakeRequest(), email=therapist.email, password="nope")
        assert fifth.value.retry_after_seconds == 15 * 60
        # From another address too: the lock is on the account.
        with pytest.raises(LoginLocked) as locked:
            authenticate_with_lockout(
                FakeRequest("198.51.100.1"),
                email=therapist.email,
                password="a-long-test-password-1",
            )
    assert locked.value.message == "Too many failed attempts. Try again in 15 minutes."
    assert LoginAttempt.objects.count() == 5  # attempts while locked are not counted


def test_the_lock_expires_after_the_lockout_minutes(therapist):
    with time_machine.travel(NOW, tick=False):
        fail_login(therapist.email, times=5)
    with time_machine.travel(NOW + timedelta(minutes=14), tick=False):
        with pytest.raises(LoginLocked) as locked:
            authenticate_with_lockout(
                FakeRequest(), email=therapist.email, password="a-long-test-password-1"
            )
        assert locked.value.message == "Too many failed attempts. Try again in 1 minute."
    with time_machine.travel(NOW + timedelta(minutes=15, seconds=1), tick=False):
        user = authenticate_with_lockout(
            FakeRequest(), email=therapist.email, password="a-long-test-password-1"
        )
    assert user == therapist


def test_a_success_resets_the_account_count(therapist):
    with time_machine.travel(NOW, tick=False):
        fail_login(therapist.email, times=4)
        authenticate_with_lockout(
            FakeRequest(), email=therapist.email, password="a-long-test-password-1"
        )
        fail_login(therapist.email, times=4)
        assert authenticate_with_lockout(
            FakeRequest(), email=therapist.email, password="a-long-test-password-1"
        )


def test_it_locks_an_address_after_twenty_failures_across_accounts(therapist, settings):
    with time_machine.travel(NOW, tick=False):
        for n in range(20):
            fail_login(f"guess{n}@example.com", ip="192.0.2.9")
        with pytest.raises(LoginLocked):
            authenticate_with_lockout(
                FakeRequest("192.0.2.9"), email=therapist.email, password="a-long-test-password-1"
            )
        # Another address is not affected.
        assert authenticate_with_lockout(
            FakeRequest("192.0.2.10"), email=therapist.email, password="a-long-test-password-1"
        )


def test_an_unknown_email_is_locked_like_a_real_one(therapist):
    with time_machine.travel(NOW, tick=False):
        fail_login("nobody@example.com", times=5, ip="192.0.2.1")
        fail_login(therapist.email, times=5, ip="192.0.2.2")
        with pytest.raises(LoginLocked) as unknown:
            authenticate_with_lockout(
                FakeRequest("192.0.2.3"), email="nobody@example.com", password="x"
            )
        with pytest.raises(LoginLocked) as known:
            authenticate_with_lockout(FakeRequest("192.0.2.3"), email=therapist.email, password="x")
    assert unknown.value.message == known.value.message


def test_it_trusts_forwarded_for_only_from_the_configured_proxies(settings):
    from core.auth import client_ip

    request = FakeRequest("10.0.0.1", forwarded="6.6.6.6, 203.0.113.5")
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.5"


def test_the_login_page_shows_the_lock_message(client, therapist):
    for _ in range(5):
        response = client.post("/login/", {"username": therapist.email, "password": "wrong"})
    assert response.status_code == 200
    assert "Too many failed attempts. Try again in 15 minutes." in response.content.decode()
    response = client.post(
        "/login/", {"username": therapist.email, "password": "a-long-test-password-1"}
    )
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_front_door_login_uses_the_lockout_too(client, therapist):
    for _ in range(5):
        response = client.post("/", {"username": therapist.email, "password": "wrong"})
    assert "Too many failed attempts" in response.content.decode()
    assert LoginAttempt.objects.count() == 5


def test_the_login_page_logs_in(client, therapist):
    response = client.post(
        "/login/", {"username": therapist.email, "password": "a-long-test-password-1"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(therapist.pk)


def test_it_prunes_old_attempts(db):
    LoginAttempt.objects.create(email_hash="a" * 64, at=NOW - timedelta(days=31))
    LoginAttempt.objects.create(email_hash="b" * 64, at=NOW - timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        assert prune_login_attempts() == 1
    assert LoginAttempt.objects.get().email_hash == "b" * 64
