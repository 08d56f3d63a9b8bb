"""Security and privacy (issue 9): lockout, passwords, signed links, headers, export and
erasure, consent versions, the audit trail."""

from __future__ import annotations

import re
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
    from planner.breaks import services

    # Made before the frozen NOW of the tests that use it, whatever today's date is.
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        return services.client_create(
            therapist=therapist,
            first_name="Robin",
            last_name="Example",
            country="GB",
            email="robin@example.com",
            phone="+447700900123",
            channels=["inbox", "email"],
        )


def a_break(therapist, client, **extra):
    from planner.breaks import services

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
    from planner.breaks import services
    from planner.me import services as me_services
    from planner.privacy.consent import consent_current, consent_history

    with time_machine.travel(NOW, tick=False):
        brk = a_break(therapist, a_client)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        services.break_update(
            brk=brk, actor=therapist, escalation_enabled=True, escalation_consent_at=NOW
        )
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        services.break_update(brk=brk, actor=therapist, escalation_enabled=False)
        me_services.preferences_update(
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
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        services.break_update(brk=brk, actor=therapist, therapist_note="Still here.")
    assert consent_history(a_client).count() == before


def test_a_consent_record_cannot_be_edited_or_deleted(therapist, a_client):
    from planner.models import ConsentRecord, ImmutableRecordError
    from planner.privacy.consent import consent_record

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


# --- Export and erasure ------------------------------------------------------------------------


@pytest.fixture
def client_with_history(therapist, make_user, a_client):
    """Robin, with a login, an active break with prompts, inbox, check-ins, escalation, review."""
    from planner.breaks import services
    from planner.models import (
        BreakReview,
        CheckIn,
        Delivery,
        Escalation,
        InboxMessage,
        ScheduledPrompt,
    )

    login = make_user(
        "client", email="robin@example.com", first_name="Robin", phone="+447700900123"
    )
    a_client.user = login
    a_client.save(update_fields=["user"])
    with time_machine.travel(NOW, tick=False):
        brk = a_break(therapist, a_client, escalation_enabled=True, escalation_consent_at=NOW)
        services.break_activate(brk=brk, actor=therapist)
    prompts = list(brk.prompts.order_by("send_at"))
    assert len(prompts) > 3
    sent = prompts[:2]
    ScheduledPrompt.objects.filter(pk__in=[p.pk for p in sent]).update(
        status="sent", sent_at=NOW + timedelta(days=10), finished_at=NOW + timedelta(days=10)
    )
    ScheduledPrompt.objects.filter(pk=prompts[2].pk).update(status="failed")
    for prompt in sent:
        Delivery.objects.create(prompt=prompt, channel="inbox", status="sent")
        InboxMessage.objects.create(
            client=a_client,
            prompt=prompt,
            break_obj=brk,
            category=prompt.category,
            text=prompt.text,
        )
    check_in = CheckIn.objects.create(
        client=a_client, break_obj=brk, distress=8, note="A hard night on the bridge."
    )
    Escalation.objects.create(
        check_in=check_in, client=a_client, acknowledge_by=NOW + timedelta(hours=2)
    )
    BreakReview.objects.create(break_obj=brk, what_helped="The river walks.")
    return a_client


def test_export_holds_the_clients_data_and_no_one_elses(therapist, client_with_history):
    import json

    from planner.breaks import services
    from planner.models import AuditEvent
    from planner.privacy.services import client_export

    other = services.client_create(
        therapist=therapist, first_name="Sam", email="sam@example.com", country="GB"
    )
    a_break(therapist, other, coping_strategies=["Sam's own secret"])
    data = client_export(client=client_with_history, actor=client_with_history.user)
    text = json.dumps(data)  # JSON-serialisable
    assert data["client"]["first_name"] == "Robin"
    assert data["client"]["phone"] == "+447700900123"
    assert data["breaks"][0]["coping_strategies"] == ["a walk by the river"]
    assert data["breaks"][0]["therapist_note"] == "You have done this before."
    assert {p["status"] for p in data["prompts"]} >= {"sent", "failed", "pending"}
    assert all(p["text"] for p in data["prompts"])
    assert len(data["inbox"]) == 2
    assert data["check_ins"][0]["note"] == "A hard night on the bridge."
    assert data["escalations"][0]["status"] == "notified"
    assert data["reviews"][0]["what_helped"] == "The river walks."
    assert {(c["subject"], c["granted"]) for c in data["consents"]} >= {
        ("email", True),
        ("escalation", True),
    }
    assert "Sam" not in text
    assert "sam@example.com" not in text
    assert AuditEvent.objects.filter(action="client.exported", client=client_with_history).exists()


def prompt_counts(client):
    from django.db.models import Count

    from planner.models import ScheduledPrompt

    return dict(
        ScheduledPrompt.objects.filter(client=client)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def test_erase_removes_personal_data_and_text_and_keeps_counts(
    therapist, client_with_history, django_capture_on_commit_callbacks, mailoutbox
):
    from django.db.models import Q

    from planner.models import (
        AuditEvent,
        Break,
        BreakReview,
        CheckIn,
        Client,
        ConsentRecord,
        InboxMessage,
        ScheduledPrompt,
    )
    from planner.privacy.services import client_erase

    client = client_with_history
    login = client.user
    counts = prompt_counts(client)
    pending = counts["pending"]
    consents = ConsentRecord.objects.filter(client=client).count()
    with django_capture_on_commit_callbacks(execute=True):
        client_erase(client=client, actor=login)

    client = Client.objects.get(pk=client.pk)
    assert client.deleted_at is not None
    assert (client.first_name, client.last_name, client.email, client.phone) == ("", "", "", "")
    login.refresh_from_db()
    assert login.email == f"deleted-{login.pk}@invalid"
    assert not login.is_active
    assert not login.has_usable_password()
    assert (login.first_name, login.phone) == ("", "")
    brk = Break.objects.get(client=client)
    assert brk.status == Break.Status.CANCELLED
    assert brk.coping_strategies == [] and brk.support_contacts == []
    assert brk.therapist_note == "" and brk.covering_clinician is None
    assert not ScheduledPrompt.objects.filter(client=client).exclude(text="").exists()
    assert not InboxMessage.objects.filter(client=client).exclude(text="").exists()
    assert CheckIn.objects.get(client=client).note == ""
    assert BreakReview.objects.get(break_obj=brk).what_helped == ""
    # Anonymous counts survive: sent and failed as they were, pending now skipped.
    after = prompt_counts(client)
    assert after["sent"] == counts["sent"] == 2
    assert after["failed"] == counts["failed"] == 1
    assert after.get("pending", 0) == 0
    assert after["skipped"] == pending
    assert (
        ScheduledPrompt.objects.filter(
            client=client, skip_reason=ScheduledPrompt.SkipReason.CLIENT_DELETED
        ).count()
        == pending
    )
    assert InboxMessage.objects.filter(client=client).count() == 2
    assert ConsentRecord.objects.filter(client=client).count() == consents
    assert AuditEvent.objects.filter(action="client.erased", client=client).exists()
    # No trace of Robin in the rows that remain.
    assert not Client.objects.filter(Q(first_name="Robin") | Q(email="robin@example.com")).exists()
    # The therapist is told, without the client's name.
    assert len(mailoutbox) == 1
    notice = mailoutbox[0]
    assert notice.to == [therapist.email]
    assert f"A client (id {client.pk}) asked for their data to be deleted" in notice.body
    assert "Robin" not in notice.body + notice.subject


def test_the_data_page_deletes_after_the_word_and_the_password(
    client, client_with_history, django_capture_on_commit_callbacks, mailoutbox
):
    from planner.models import Client

    client.force_login(client_with_history.user)
    page = client.get("/me/data/")
    assert page.status_code == 200
    assert b"/me/data/export.json" in page.content

    wrong = client.post("/me/data/delete/", {"confirm": "delete", "password": "wrong"})
    assert wrong.status_code == 400
    body = wrong.content.decode()
    assert 'id="err_confirm"' in body and "Type the word DELETE" in body
    assert 'id="err_password"' in body and "That is not your password." in body
    assert Client.objects.get(pk=client_with_history.pk).deleted_at is None

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/me/data/delete/", {"confirm": "DELETE", "password": "a-long-test-password-1"}
        )
    assert done.status_code == 200
    assert "Your data was deleted" in done.content.decode()
    assert "_auth_user_id" not in client.session
    assert Client.objects.get(pk=client_with_history.pk).deleted_at is not None
    assert len(mailoutbox) == 1
    # The login no longer works.
    response = client.post(
        "/login/", {"username": "robin@example.com", "password": "a-long-test-password-1"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_the_export_download_is_an_attachment(client, client_with_history):
    client.force_login(client_with_history.user)
    response = client.get("/me/data/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="between-data-')
    assert response.json()["client"]["email"] == "robin@example.com"
    assert "no-store" in response["Cache-Control"]


def test_the_data_pages_are_for_clients_only(client, therapist):
    client.force_login(therapist)
    assert client.get("/me/data/").status_code == 404
    assert client.get("/me/data/export.json").status_code == 404
    assert client.post("/me/data/delete/", {"confirm": "DELETE"}).status_code == 404
    client.logout()
    assert client.get("/me/data/export.json").status_code == 302  # to the login page


def test_the_api_exports_and_erases(client_with_history, django_capture_on_commit_callbacks):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from planner.models import Client

    token = Token.objects.create(user=client_with_history.user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    export = api.get("/api/v1/me/export/")
    assert export.status_code == 200
    assert export.json()["client"]["first_name"] == "Robin"

    refused = api.post("/api/v1/me/erase/", {"confirm": "DELETE", "password": "wrong"})
    assert refused.status_code == 400
    assert "password" in refused.json()
    with django_capture_on_commit_callbacks(execute=True):
        erased = api.post(
            "/api/v1/me/erase/", {"confirm": "DELETE", "password": "a-long-test-password-1"}
        )
    assert erased.status_code == 200
    assert Client.objects.get(pk=client_with_history.pk).deleted_at is not None
    assert not Token.objects.filter(pk=token.pk).exists()
    assert api.get("/api/v1/me/export/").status_code == 401


def test_the_api_export_is_for_clients_only(therapist):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(therapist)
    assert api.get("/api/v1/me/export/").status_code == 403  # like every /me/ endpoint


# --- Audit trail -------------------------------------------------------------------------------


def test_record_read_writes_one_row_per_ten_minutes(therapist, a_client):
    from planner.audit import record_read
    from planner.models import AuditEvent

    with time_machine.travel(NOW, tick=False):
        assert record_read(therapist, "client", a_client, a_client) is not None
        for _ in range(9):
            assert record_read(therapist, "client", a_client, a_client) is None
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert record_read(therapist, "client", a_client, a_client) is not None
    reads = AuditEvent.objects.filter(action="client.read", client=a_client)
    assert reads.count() == 2
    assert reads.first().object_id == str(a_client.pk)


def test_the_audit_page_is_for_staff_only(client, make_user, therapist, a_client):
    from planner.audit import record_read

    record_read(therapist, "break", 41, a_client)
    url = "/staff/audit/"
    assert client.get(url).status_code == 404
    client.force_login(therapist)
    assert client.get(url).status_code == 404
    client.force_login(make_user("staff", is_staff=True))
    response = client.get(url, {"client": a_client.pk, "action": "break.read"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "break.read" in body and "client.created" not in body
    assert therapist.email in body


def test_staff_see_only_their_practices_audit_events(client, make_user, therapist, a_client):
    from core.models import Practice

    elsewhere = Practice.objects.create(name="Elsewhere")
    client.force_login(make_user("staff", is_staff=True, practice=elsewhere))
    response = client.get("/staff/audit/", {"client": a_client.pk})
    assert response.status_code == 200
    assert "client.created" not in response.content.decode()


def test_the_audit_page_paginates(client, make_user, therapist, a_client):
    from planner.audit import record_read

    for n in range(60):
        record_read(therapist, "break", n, a_client)
    client.force_login(make_user("staff", is_staff=True))
    first = client.get("/staff/audit/", {"action": "break.read"}).content.decode()
    second = client.get("/staff/audit/", {"action": "break.read", "page": 2}).content.decode()
    assert "Page 1 of 2" in first and "action=break.read&amp;page=2" in first
    assert "Page 2 of 2" in second


def test_audit_events_cannot_be_changed_in_the_admin_or_the_orm(
    client, make_user, therapist, a_client
):
    from planner.models import AuditEvent, ImmutableRecordError

    event = AuditEvent.objects.filter(client=a_client).first()
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))
    assert client.get("/admin/planner/auditevent/").status_code == 200
    change = client.post(f"/admin/planner/auditevent/{event.pk}/change/", {"action": "x"})
    assert change.status_code in (200, 403)
    assert b'name="action"' not in change.content  # read-only view at most
    assert client.post(f"/admin/planner/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/planner/auditevent/add/").status_code == 403
    event.refresh_from_db()
    assert event.action == "client.created"
    event.action = "tampered"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.all().delete()


# --- Signed links --------------------------------------------------------------------------


def test_an_expired_link_is_refused(db):
    from planner.delivery import links

    with time_machine.travel(NOW, tick=False):
        token = links.make_token("inbox", user_id=7)
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        assert links.read(token, "inbox").user_id == 7  # bound to one person
    with (
        time_machine.travel(NOW + timedelta(days=7, seconds=1), tick=False),
        pytest.raises(links.LinkError) as error,
    ):
        links.read(token, "inbox")
    assert error.value.reason == "expired"


def test_an_escalation_link_works_once(db):
    from planner.delivery import links

    token = links.make_token("escalation-ack", user_id=3, object_id=11)
    payload = links.read(token, "escalation-ack")
    assert (payload.user_id, payload.object_id) == (3, 11)
    links.consume(payload)
    with pytest.raises(links.LinkError) as reread:
        links.read(token, "escalation-ack")
    assert reread.value.reason == "used"
    with pytest.raises(links.LinkError):
        links.consume(payload)  # two requests racing: the second one loses


def test_a_link_for_another_purpose_is_refused(db):
    from planner.delivery import links

    token = links.make_token("inbox", user_id=3)
    for purpose in ("escalation-ack", "unsubscribe", "login"):
        with pytest.raises(links.LinkError) as error:
            links.read(token, purpose)
        assert error.value.reason in {"invalid", "purpose"}


def test_a_tampered_link_is_refused(db):
    from django.core import signing

    from planner.delivery import links

    token = links.make_token("inbox", user_id=3)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = signing.TimestampSigner(key="not-the-secret-key", salt="between.link.inbox")
    forged = forged.sign_object({"p": "inbox", "u": 4, "o": None, "n": "x"})
    for bad in (flipped, forged, "garbage", ""):
        with pytest.raises(links.LinkError) as error:
            links.read(bad, "inbox")
        assert error.value.reason == "invalid"


# --- Headers, cookies, templates -----------------------------------------------------------------


def script_src(policy: str) -> str:
    return next(part for part in policy.split(";") if part.strip().startswith("script-src"))


def test_pages_carry_a_csp_without_inline_scripts(client, make_user, client_with_history):
    pages = [("/", None), ("/login/", None), ("/me/data/", client_with_history.user)]
    pages.append(("/staff/audit/", make_user("staff", is_staff=True)))
    for url, user in pages:
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "'unsafe-inline'" not in script_src(policy), url
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts_or_styles():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "templates"
    for template in root.rglob("*.html"):
        if template.is_relative_to(root / "email"):
            # Email bodies are not served by us: mail clients need inline styles and the
            # page's CSP does not apply to them. Scripts are still forbidden there.
            assert "<script" not in template.read_text(), template
            continue
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert "<style" not in text, template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template  # onclick= and friends


def test_every_post_form_carries_a_csrf_token():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", text, re.S | re.I):
            assert "{% csrf_token %}" in form, template


def test_https_only_when_debug_is_off(db, therapist):
    from django.test import Client, override_settings

    with override_settings(
        DEBUG=False,
        SECURE_SSL_REDIRECT=True,
        SECURE_HSTS_SECONDS=31536000,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_HSTS_PRELOAD=True,
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
    ):
        browser = Client()
        assert browser.get("/login/").status_code == 301  # to https
        page = browser.get("/login/", secure=True)
        hsts = page["Strict-Transport-Security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
        assert page.cookies["csrftoken"]["secure"]
        login = browser.post(
            "/login/",
            {"username": therapist.email, "password": "a-long-test-password-1"},
            secure=True,
        )
        session = login.cookies["sessionid"]
        assert session["secure"] and session["httponly"]
        assert session["samesite"] == "Lax"


def test_production_settings_are_secure_outside_pytest(tmp_path):
    """The settings module switches secure cookies off under pytest; outside it, on."""
    import subprocess
    import sys

    from tests.test_foundation import PRODUCTION_ENV, ROOT

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='core.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.SESSION_COOKIE_HTTPONLY, s.LOGIN_FAILURE_LIMIT, s.LOGIN_IP_FAILURE_LIMIT,"
        " s.LOGIN_LOCKOUT_MINUTES)"
    )
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update({**PRODUCTION_ENV, "BETWEEN_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "True", "True", "31536000", "True", "True", "True", "5", "20", "15"
    ]  # fmt: skip


# --- The helpers for the lead's sweeps -------------------------------------------------------


def test_url_patterns_with_ids_finds_parameters():
    from tests.security_helpers import url_patterns_with_ids

    admin = [p for p in url_patterns_with_ids(exclude_prefixes=()) if "auditevent" in p.route]
    change = next(p for p in admin if p.name == "admin:planner_auditevent_change")
    assert change.params == {"object_id": "path"}
    assert change.url(object_id=5) == "/admin/planner/auditevent/5/change/"
    assert all(not p.route.startswith("admin/") for p in url_patterns_with_ids())


def test_assert_no_pii_in_finds_names_emails_and_phones():
    from tests.security_helpers import assert_no_pii_in

    assert_no_pii_in("client=4 event=prompt.sent", "Robin", "client@example.com", "+447700900123")
    for text in ("Hello robin", "to CLIENT@example.com", "sms to 07700 900123"):
        with pytest.raises(AssertionError):
            assert_no_pii_in(text, "Robin", "client@example.com", "+447700900123")


def test_the_log_capture_sees_every_logger(log_capture):
    import logging

    logging.getLogger("planner.anything").info("event=%s id=%s", "x.y", 3)
    assert "planner.anything event=x.y id=3" in log_capture.text


def test_erasure_and_export_log_ids_only(
    log_capture, client, client_with_history, django_capture_on_commit_callbacks
):
    from tests.security_helpers import assert_no_pii_in

    client.force_login(client_with_history.user)
    client.get("/me/data/export.json")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/me/data/delete/", {"confirm": "DELETE", "password": "a-long-test-password-1"})
    assert "privacy.client_erased" in log_capture.text
    assert_no_pii_in(
        log_capture.text, "Robin", "robin@example.com", "+447700900123", "bridge", "river"
    )


# The IDOR sweep over every URL pattern lives in tests/test_idor.py.
