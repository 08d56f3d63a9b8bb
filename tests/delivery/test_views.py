"""The delivery pages: signed links (inbox, unsubscribe) and the SMS webhook (STOP, START)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from planner.delivery import links
from planner.models import ConsentRecord
from tests.factories import EmailClientFactory

# --- signed links --------------------------------------------------------------------------


@pytest.fixture
def client_with_login(therapist, make_user):
    user = make_user("client")
    return EmailClientFactory(therapist=therapist, user=user, channels=["inbox", "email", "sms"])


def test_the_inbox_link_logs_the_client_in_and_redirects(client, client_with_login):
    url = links.make_url("inbox", "/l/inbox/", user_id=client_with_login.user_id)
    response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 302 and response["Location"] == "/me/inbox/"
    assert int(client.session["_auth_user_id"]) == client_with_login.user_id


@pytest.mark.parametrize("token", ["garbage", "eyJwIjoiaW5ib3gifQ:1abc:def"])
def test_a_bad_link_is_a_friendly_400(client, db, token):
    response = client.get(f"/l/inbox/{token}/")
    assert response.status_code == 400
    assert b"This link has expired; log in instead" in response.content


def test_an_expired_inbox_link_is_a_friendly_400(client, client_with_login, time_machine):
    url = links.make_url("inbox", "/l/inbox/", user_id=client_with_login.user_id)
    time_machine.move_to(timezone.now() + timedelta(days=8))
    response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 400


def test_the_unsubscribe_link_confirms_then_switches_email_off(client, client_with_login):
    c = client_with_login
    path = links.make_url(
        "unsubscribe", "/l/unsubscribe/", user_id=c.user_id, object_id=c.pk
    ).removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200
    c.refresh_from_db()
    assert "email" in c.channels  # GET changes nothing
    # RFC 8058 one-click: a POST from the mail provider, no session, no CSRF token.
    from django.test import Client as HttpClient

    response = HttpClient(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.channels == ["inbox", "sms"]
    record = ConsentRecord.objects.get(client=c)
    assert (record.subject, record.granted, record.source) == ("email", False, "unsubscribe")


# --- SMS webhook ---------------------------------------------------------------------------


def _signed_post(client, settings, params):
    from twilio.request_validator import RequestValidator

    settings.TWILIO_AUTH_TOKEN = "twilio-test-token"
    url = f"{settings.SITE_URL}/webhooks/sms/"
    signature = RequestValidator("twilio-test-token").compute_signature(url, params)
    return client.post("/webhooks/sms/", params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_the_sms_webhook_refuses_a_bad_signature(client, settings, client_with_login):
    settings.TWILIO_AUTH_TOKEN = "twilio-test-token"
    response = client.post(
        "/webhooks/sms/", {"From": client_with_login.phone, "Body": "STOP"},
        HTTP_X_TWILIO_SIGNATURE="nope",
    )  # fmt: skip
    assert response.status_code == 403
    client_with_login.refresh_from_db()
    assert "sms" in client_with_login.channels


def test_the_sms_webhook_honours_stop_and_start(client, settings, client_with_login):
    c = client_with_login
    response = _signed_post(client, settings, {"From": c.phone, "Body": " stop "})
    assert response.status_code == 200
    c.refresh_from_db()
    assert "sms" not in c.channels
    _signed_post(client, settings, {"From": c.phone, "Body": "START"})
    c.refresh_from_db()
    assert "sms" in c.channels
    records = list(ConsentRecord.objects.filter(client=c).order_by("id"))
    assert [(r.subject, r.granted, r.source) for r in records] == [
        ("sms", False, "sms-stop"),
        ("sms", True, "sms-start"),
    ]
