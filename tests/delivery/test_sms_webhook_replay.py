"""The SMS webhook acts on each provider message once (Twilio's MessageSid): a signed START
replayed after a STOP does not switch SMS on again."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from planner.breaks import services
from planner.models import ConsentRecord, InboundSms

pytestmark = pytest.mark.django_db

TOKEN = "twilio-test-token"


@pytest.fixture
def robin(therapist):
    return services.client_create(
        therapist=therapist, first_name="Robin", phone="+447700900124", channels=["sms"]
    )


@pytest.fixture
def post(client, settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN

    def send(params: dict):
        url = f"{settings.SITE_URL}/webhooks/sms/"
        signature = RequestValidator(TOKEN).compute_signature(url, params)
        return client.post("/webhooks/sms/", params, HTTP_X_TWILIO_SIGNATURE=signature)

    return send


def sms_records(robin) -> list[tuple[bool, str]]:
    rows = ConsentRecord.objects.filter(client=robin, subject="sms").order_by("id")
    return [(r.granted, r.source) for r in rows]


def test_a_replayed_start_after_a_stop_changes_nothing(robin, post, log_capture):
    start = {"From": "+447700900124", "Body": "START", "MessageSid": "SM" + "a" * 32}
    stop = {"From": "+447700900124", "Body": "STOP", "MessageSid": "SM" + "b" * 32}
    assert post(start).status_code == 200
    assert post(stop).status_code == 200
    replay = post(start)  # the same signed request, captured and sent again
    assert replay.status_code == 200
    assert "<Response></Response>" in replay.content.decode()
    robin.refresh_from_db()
    assert "sms" not in robin.channels
    assert sms_records(robin)[-2:] == [(True, "sms-start"), (False, "sms-stop")]
    assert InboundSms.objects.count() == 2
    assert "webhook.sms result=duplicate" in log_capture.text
    assert "+447700900124" not in log_capture.text


def test_a_replayed_stop_records_no_second_consent(robin, post):
    stop = {"From": "+447700900124", "Body": "STOP", "MessageSid": "SM" + "c" * 32}
    post(stop)
    post(stop)
    assert sms_records(robin)[-1:] == [(False, "sms-stop")]
    assert sum(1 for granted, _ in sms_records(robin) if not granted) == 1


def test_other_messages_are_remembered_too_and_change_nothing(robin, post):
    post({"From": "+447700900124", "Body": "hello there", "MessageSid": "SM" + "d" * 32})
    robin.refresh_from_db()
    assert robin.channels == ["inbox", "sms"]
    assert InboundSms.objects.filter(message_sid="SM" + "d" * 32).exists()
