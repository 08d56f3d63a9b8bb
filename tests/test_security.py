"""Security and privacy (issue 9): lockout, passwords, signed links, headers, export and
erasure, consent versions, the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from core.auth import (
    LoginFailed,
    LoginLocked,
    authenticate_with_lockout,
    email_hash,
    prune_login_attempts,
)
from core.models import LoginAttempt

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Argon2 takes ~0.5 s a hash, and a lockout test hashes dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class FakeRequest:
    def __init__(self, ip: str = "203.0.113.7", forwarded: str = "") -> None:
        self.META = {"REMOTE_ADDR": ip}
        if forwarded:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def fail_login(email: str, ip: str = "203.0.113.7", times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises((LoginFailed, LoginLocked)):
            authenticate_with_lockout(FakeRequest(ip), email=email, password="wrong-password")


# --- Lockout ---------------------------------------------------------------------------------


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


# --- Passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["password", "12345678", "short", "between"])
def test_a_weak_password_is_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_the_admin_refuses_a_weak_password_for_a_new_user(client, make_user):
    staff = make_user("staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/core/user/add/",
        {
            "email": "new@example.com",
            "role": "client",
            "password1": "password",
            "password2": "password",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    from core.models import User

    assert not User.objects.filter(email="new@example.com").exists()


def test_the_admin_password_change_refuses_a_weak_password(client, make_user):
    staff = make_user("staff", is_staff=True, is_superuser=True)
    other = make_user("client")
    client.force_login(staff)
    response = client.post(
        f"/admin/core/user/{other.pk}/password/",
        {"password1": "12345678", "password2": "12345678", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "entirely numeric" in response.content.decode()


# --- Consent ---------------------------------------------------------------------------------


@pytest.fixture
def a_client(therapist):
    from planner import services

    return services.client_create(
        therapist=therapist,
        first_name="Robin",
        last_name="Example",
        email="robin@example.com",
        phone="+447700900123",
        channels=["inbox", "email"],
    )


def a_break(therapist, client, **extra):
    from planner import services

    data = {
        "kind": "holiday",
        "starts_at": NOW + timedelta(days=10),
        "ends_at": NOW + timedelta(days=24),
        "return_session_at": NOW + timedelta(days=25),
        "coping_strategies": ["a walk by the river"],
        "support_contacts": [{"name": "Jamie", "relationship": "friend", "phone": "+4477"}],
        "therapist_note": "You have done this before.",
        **extra,
    }
    return services.break_create(therapist=therapist, client=client, **data)


def test_consent_changes_are_versioned_with_timestamps(therapist, a_client):
    from planner import services
    from planner.consent import consent_current, consent_history

    with time_machine.travel(NOW, tick=False):
        brk = a_break(therapist, a_client)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        services.break_update(
            brk=brk, actor=therapist, escalation_enabled=True, escalation_consent_at=NOW
        )
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        services.break_update(brk=brk, actor=therapist, escalation_enabled=False)
        services.preferences_update(
            client=a_client, actor=therapist, channels=["inbox"], full_text_opt_in=True
        )
    history = [(r.subject, r.granted, r.recorded_at) for r in consent_history(a_client)]
    assert ("escalation", True, NOW) in history
    assert ("escalation", False, NOW + timedelta(hours=2)) in history
    assert ("email", True) in [(subject, granted) for subject, granted, _ in history]
    assert ("email", False, NOW + timedelta(hours=2)) in history
    assert ("full_text", True, NOW + timedelta(hours=2)) in history
    current = consent_current(a_client)
    assert current["escalation"].granted is False
    assert current["email"].granted is False
    assert current["full_text"].granted is True
    assert current["sms"] is None
    # An edit that does not touch consent writes nothing.
    before = len(history)
    services.break_update(brk=brk, actor=therapist, therapist_note="Still here.")
    assert consent_history(a_client).count() == before


def test_a_consent_record_cannot_be_edited_or_deleted(therapist, a_client):
    from planner.consent import consent_record
    from planner.models import ConsentRecord, ImmutableRecordError

    record = consent_record(
        client=a_client, subject="sms", granted=True, source="web", actor=therapist
    )
    record.granted = False
    with pytest.raises(ImmutableRecordError):
        record.save()
    with pytest.raises(ImmutableRecordError):
        record.delete()
    with pytest.raises(ImmutableRecordError):
        ConsentRecord.objects.filter(client=a_client).delete()
    assert ConsentRecord.objects.get(pk=record.pk).granted is True
