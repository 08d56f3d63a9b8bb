"""The channels: neutral email and SMS bodies, error classes, the SMS backends."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from unittest import mock

import pytest

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
from tests.factories import EmailClientFactory

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
    client = EmailClientFactory(therapist=therapist)
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
    client = EmailClientFactory(therapist=therapist)
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
