"""Point 4 of issue 14: nobody reads SMS replies, and every SMS says so. A reply other than
STOP/START is answered once a day per number with where to turn instead (the crisis line and
the emergency number of the client's country), never another country's lines."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from planner.delivery import notify
from planner.delivery.channels.sms import render_sms
from tests.delivery.test_channels import _message
from tests.delivery.test_views import _signed_post
from tests.factories import EmailClientFactory

pytestmark = pytest.mark.django_db

ANSWER = re.compile(r"<Message>(.*)</Message>", re.S)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def texter(therapist):
    return EmailClientFactory(
        therapist=therapist, phone="+447700900123", channels=["inbox", "sms"], country="GB"
    )


def _answer(response) -> str:
    match = ANSWER.search(response.content.decode())
    return match.group(1) if match else ""


def test_every_prompt_sms_says_that_replies_are_not_read(therapist):
    body = render_sms(_message(EmailClientFactory(therapist=therapist)))
    assert "Replies are not read." in body and "Reply STOP" in body


def test_every_other_sms_gets_the_line_too(monkeypatch):
    sent = []

    class Backend:
        def send(self, *, to, body):
            sent.append(body)
            return "SM1"

    monkeypatch.setattr(notify, "get_sms_backend", lambda: Backend())
    notify.send_sms("+447700900999", "A client you are covering for asked for support.")
    assert sent == ["A client you are covering for asked for support. Replies are not read."]


def test_a_reply_is_answered_once_a_day_with_the_crisis_line_and_emergency_number(
    client, settings, texter
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = _signed_post(client, settings, {"From": texter.phone, "Body": "is anyone there?"})
        again = _signed_post(client, settings, {"From": texter.phone, "Body": "hello?"})
    answer = _answer(first)
    assert answer.startswith("Between: replies to this number are not read.")
    assert "Samaritans" in answer and "116 123" in answer  # the GB line from the seed
    assert "In an emergency call 999." in answer
    assert _answer(again) == ""  # said once, not to every message
    texter.refresh_from_db()
    assert "sms" in texter.channels  # an ordinary reply changes nothing
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        later = _signed_post(client, settings, {"From": texter.phone, "Body": "hi"})
    assert _answer(later).startswith("Between: replies to this number are not read.")


def test_stop_gets_no_auto_answer_and_an_unknown_number_gets_none(client, settings, texter):
    assert _answer(_signed_post(client, settings, {"From": texter.phone, "Body": "STOP"})) == ""
    unknown = _signed_post(client, settings, {"From": "+447700900000", "Body": "who is this"})
    assert _answer(unknown) == ""


def test_a_client_without_a_country_is_given_no_other_countrys_lines(client, settings, texter):
    texter.country = ""
    texter.save(update_fields=["country"])
    answer = _answer(_signed_post(client, settings, {"From": texter.phone, "Body": "help"}))
    assert "call your local emergency number" in answer
    assert "999" not in answer and "Samaritans" not in answer
