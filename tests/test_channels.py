"""Channels, signed-link pages, the SMS webhook and the staff dispatch figures."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from planner.delivery import links
from planner.delivery.channels import (
    OutboundMessage,
    PermanentChannelError,
    TransientChannelError,
    get_channel,
)
from planner.delivery.channels.email import build_email, classify_email_error
from planner.delivery.channels.sms import (
    ConsoleSmsBackend,
    TwilioSmsBackend,
    get_sms_backend,
    render_sms,
)
from planner.models import ConsentRecord, Delivery, ScheduledPrompt
from tests.dispatch_factories import make_break, make_client, make_prompt

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _message(client, **fields) -> OutboundMessage:
    fields.setdefault("full_text", "Try the breathing exercise you chose.")
    return OutboundMessage(
        client=client,
        prompt_id=7,
        delivery_id=9,
        category="coping",
        neutral_text="You have a new message in Between.",
        link="http://127.0.0.1:8000/l/inbox/abc/",
        message_id="<delivery-9.prompt-7@127.0.0.1>",
        unsubscribe_link="http://127.0.0.1:8000/l/unsubscribe/xyz/",
        **fields,
    )


def test_it_builds_a_neutral_email_unless_the_client_opted_in(therapist):
    client = make_client(therapist)
    email = build_email(_message(client))
    assert email.subject == "A new message in Between"
    assert "breathing" not in email.body and "breathing" not in email.alternatives[0][0]
    assert "http://127.0.0.1:8000/l/inbox/abc/" in email.body
    assert email.extra_headers["Message-ID"] == "<delivery-9.prompt-7@127.0.0.1>"

    client.full_text_opt_in = True
    email = build_email(_message(client))
    assert "breathing" in email.body
    assert "Robin" not in email.subject


def test_it_renders_a_neutral_sms_with_the_link(therapist):
    client = make_client(therapist)
    body = render_sms(_message(client))
    assert body.startswith("You have a new message in Between.")
    assert "/l/inbox/abc/" in body and "breathing" not in body


def test_it_classifies_smtp_errors():
    refused = smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")})
    assert isinstance(classify_email_error(refused), PermanentChannelError)
    busy = smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"try later")})
    assert isinstance(classify_email_error(busy), TransientChannelError)
    assert isinstance(classify_email_error(ConnectionRefusedError()), TransientChannelError)


def test_the_console_sms_backend_logs_neither_number_nor_text(caplog):
    caplog.set_level("INFO")
    provider_id = ConsoleSmsBackend().send(to="+447700900123", body="secret words")
    assert provider_id.startswith("console-")
    assert "secret" not in caplog.text and "+4477" not in caplog.text


def test_it_reads_the_sms_backend_at_call_time(settings):
    settings.SMS_BACKEND = "planner.delivery.channels.sms.ConsoleSmsBackend"
    assert isinstance(get_sms_backend(), ConsoleSmsBackend)
    assert get_channel("sms").name == "sms"


def _twilio(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    return TwilioSmsBackend()


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (21211, 400, PermanentChannelError),
        (21610, 400, PermanentChannelError),
        (20429, 429, TransientChannelError),
        (None, 503, TransientChannelError),
    ],
)
def test_the_twilio_backend_tells_permanent_from_transient_errors(settings, code, status, error):
    from twilio.base.exceptions import TwilioRestException

    backend = _twilio(settings)
    exc = TwilioRestException(status=status, uri="/Messages", msg="x", code=code)
    with (
        mock.patch.object(backend.client.messages, "create", side_effect=exc),
        pytest.raises(error),
    ):
        backend.send(to="+15005550001", body="hello")


def test_the_twilio_backend_returns_the_message_sid(settings):
    backend = _twilio(settings)
    with mock.patch.object(backend.client.messages, "create") as create:
        create.return_value.sid = "SM123"
        assert backend.send(to="+15005550001", body="hello") == "SM123"
    create.assert_called_once_with(to="+15005550001", from_="+15005550006", body="hello")


# --- signed links --------------------------------------------------------------------------


@pytest.fixture
def client_with_login(therapist, make_user):
    user = make_user("client")
    return make_client(therapist, user=user, channels=["inbox", "email", "sms"])


def test_the_inbox_link_asks_then_logs_the_client_in_and_redirects(client, client_with_login):
    url = links.make_url("inbox", "/l/inbox/", user_id=client_with_login.user_id)
    path = url.removeprefix("http://127.0.0.1:8000")
    asked = client.get(path)  # GET never acts: a mail scanner spends nothing
    assert asked.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/me/inbox/"
    assert int(client.session["_auth_user_id"]) == client_with_login.user_id


@pytest.mark.parametrize("token", ["garbage", "eyJwIjoiaW5ib3gifQ:1abc:def"])
def test_a_bad_link_is_a_friendly_400(client, db, token):
    response = client.get(f"/l/inbox/{token}/")
    assert response.status_code == 400
    assert b"This link has expired or was used; log in instead" in response.content


def test_an_expired_inbox_link_is_a_friendly_400(client, client_with_login, time_machine):
    url = links.make_url("inbox", "/l/inbox/", user_id=client_with_login.user_id)
    time_machine.move_to(timezone.now() + timedelta(hours=24, seconds=1))
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


# --- staff figures --------------------------------------------------------------------------


@pytest.fixture
def figures_data(therapist):
    brk = make_break(make_client(therapist), now=timezone.now())
    now = timezone.now()
    make_prompt(brk, send_at=now - timedelta(minutes=10))  # backlog
    done = make_prompt(brk, send_at=now - timedelta(hours=1))
    ScheduledPrompt.objects.filter(pk=done.pk).update(status="unconfirmed", finished_at=now)
    Delivery.objects.create(prompt=done, channel="email", status="unconfirmed")


def test_dispatch_status_prints_the_figures(figures_data):
    out = StringIO()
    call_command("dispatch_status", stdout=out)
    text = out.getvalue()
    assert "backlog (due, not finished): 1" in text
    assert "last 24 h: unconfirmed=1" in text
    assert "unconfirmed deliveries: 1" in text


def test_the_staff_dispatch_page_is_for_staff_only(client, make_user, therapist, figures_data):
    client.force_login(therapist)
    assert client.get("/staff/dispatch/").status_code == 404
    client.force_login(make_user("staff", is_staff=True))
    response = client.get("/staff/dispatch/")
    assert response.status_code == 200
    assert b'<dd id="backlog">1</dd>' in response.content
