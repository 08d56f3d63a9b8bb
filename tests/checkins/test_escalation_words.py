"""Point 5 of issue 14: what a client is told about escalation is exactly what happens. The
practice is promised only when it has a fallback contact; the box is labelled by what it
does; the covering clinician is told what triggered the request, without clinical detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from planner.checkins import services as checkins
from tests.checkins.test_services import START, make_break

pytestmark = pytest.mark.django_db


@pytest.fixture
def covering(make_user):
    return make_user("therapist", first_name="Priya", last_name="Shah", phone="+447700900222")


@pytest.fixture
def robin(therapist):
    from tests.factories import ClientFactory

    return ClientFactory(therapist=therapist, with_login=True, country="GB")


@pytest.fixture(autouse=True)
def _no_sms(monkeypatch):
    monkeypatch.setattr("planner.delivery.notify.send_sms", lambda to, body: "SM1")


def ask(robin, capture, **kwargs):
    with capture(execute=True):
        return checkins.checkin_record(client=robin, actor=robin.user, **kwargs)


@time_machine.travel(START, tick=False)
def test_the_practice_is_promised_only_when_it_has_a_fallback_contact(
    robin, therapist, covering, practice, django_capture_on_commit_callbacks
):
    make_break(robin, therapist, covering)
    without = ask(robin, django_capture_on_commit_callbacks, distress=9)
    assert "is asked instead" not in without.escalation_message
    practice.fallback_contact_email = "duty@example.org"
    practice.save(update_fields=["fallback_contact_email"])
    with time_machine.travel(START + timedelta(hours=5), tick=False):  # past the rate limit
        fresh = ask(robin, django_capture_on_commit_callbacks, distress=9)
    assert fresh.escalation_message.startswith(
        "We have asked Priya Shah to contact you. If they have not seen it within 30 minutes, "
        f"{practice.name} is asked instead."
    )


@time_machine.travel(START, tick=False)
def test_the_box_says_what_it_does(client, robin, therapist, covering):
    client.force_login(robin.user)
    make_break(robin, therapist, covering)
    assert "Ask Priya Shah to contact me" in client.get("/me/check-in/").content.decode()
    robin.breaks.update(escalation_enabled=False)
    form = client.get("/me/check-in/").content.decode()
    assert "Show my support options" in form and "to contact me" not in form


@time_machine.travel(START, tick=False)
def test_the_covering_clinician_is_told_what_triggered_it(
    robin, therapist, covering, django_capture_on_commit_callbacks
):
    make_break(robin, therapist, covering)
    ask(robin, django_capture_on_commit_callbacks, distress=1, need_support_now=True)
    body = mail.outbox[0].body
    assert "(they asked to be contacted)" in body
    assert "distress" not in body.lower() and str(robin.first_name) not in body
