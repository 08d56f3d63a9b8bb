"""Check-ins, escalation (consent, notify, acknowledge, fallback, rate limit) and review."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from planner.breaks.selectors import previous_plan_for
from planner.checkins import selectors
from planner.checkins import services as checkins
from planner.delivery import links
from planner.models import (
    AuditEvent,
    Break,
    BreakReview,
    CheckIn,
    ConsentRecord,
    Escalation,
)
from tests.factories import BreakFactory, ClientFactory

pytestmark = pytest.mark.django_db

NOTE = "Couldn't sleep again, thinking about the argument with Sam"
START = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)
COVERING_BODY = re.compile(
    r"^A client you are covering for asked for support in Between "
    r"\(a check-in score at their plan's threshold or above\)\. Please open: "
    r"http://127\.0\.0\.1:8000/l/escalation/[^/\s]+/$"
)


@pytest.fixture
def sms(monkeypatch):
    sent: list[dict] = []

    def fake_send_sms(to: str, body: str) -> str:
        sent.append({"to": to, "body": body})
        return f"SM{len(sent)}"

    monkeypatch.setattr("planner.delivery.notify.send_sms", fake_send_sms)
    return sent


@pytest.fixture
def covering(make_user):
    return make_user("therapist", first_name="Priya", last_name="Shah", phone="+447700900222")


@pytest.fixture
def client(therapist):
    """Robin Ashdown, a client of the therapist with a login (a row, not the test client)."""
    return ClientFactory(
        therapist=therapist,
        with_login=True,
        user__last_name="Ashdown",
        last_name="Ashdown",
        country="GB",
    )


@pytest.fixture
def practice_fallback(practice):
    practice.fallback_contact_name = "Duty manager"
    practice.fallback_contact_email = "duty@example.org"
    practice.fallback_contact_phone = "+447700900999"
    practice.save()
    return practice


def make_break(client, therapist, covering, *, consent: bool = True, **fields) -> Break:
    values = {
        "client": client,
        "therapist": therapist,
        "kind": Break.Kind.HOLIDAY,
        "status": Break.Status.ACTIVE,
        "starts_at": START - timedelta(days=1),
        "ends_at": START + timedelta(days=14),
        "return_session_at": START + timedelta(days=15),
        "timezone": "Europe/London",
        "covering_clinician": {
            "name": "Priya Shah",
            "email": "priya@example.org",
            "phone": "+447700900222",
        },
        "covering_user": covering,
        "coping_strategies": ["a walk by the river", "5-4-3-2-1 grounding"],
        "support_contacts": [{"name": "Jamie", "relationship": "friend", "phone": "+447700900111"}],
        "escalation_enabled": True,
        "escalation_consent_at": START - timedelta(days=7) if consent else None,
        "share_check_ins_with_covering": True,
    }
    values.update(fields)
    return BreakFactory(**values)


def record(client, capture, **kwargs):
    kwargs.setdefault("distress", 8)
    kwargs.setdefault("note", NOTE)
    with capture(execute=True):
        return checkins.checkin_record(client=client, actor=client.user, **kwargs)


def actions(**filters) -> list[str]:
    return list(
        AuditEvent.objects.filter(**filters).order_by("at", "id").values_list("action", flat=True)
    )


def ack_token_from(body: str) -> str:
    return re.search(r"/l/escalation/([^/\s]+)/", body).group(1)


def assert_no_clinical_content(text: str) -> None:
    assert NOTE not in text
    assert "Robin" not in text and "Ashdown" not in text
    assert "distress" not in text.lower()


# ----------------------------------------------------------------------- recording


@time_machine.travel(START, tick=False)
def test_it_escalates_a_high_distress_check_in_with_consent(
    client, therapist, covering, sms, django_capture_on_commit_callbacks, caplog
):
    brk = make_break(client, therapist, covering)
    caplog.set_level(logging.DEBUG)

    result = record(client, django_capture_on_commit_callbacks)

    assert result.support_shown and result.escalated
    # Exactly what happens: no fallback contact in this practice, so none is promised; and
    # always what to do if the client feels unsafe before anyone calls.
    assert result.escalation_message == (
        "We have asked Priya Shah to contact you. Nobody may see this straight away. If you "
        "feel unsafe before anyone calls, call 999 or one of the crisis lines here."
    )
    escalation = Escalation.objects.get()
    assert escalation.check_in == result.check_in
    assert escalation.status == Escalation.Status.NOTIFIED
    assert escalation.acknowledge_by == START + timedelta(minutes=30)
    assert escalation.covering_notified_at == START
    assert result.check_in.break_obj == brk and result.check_in.escalated

    # Exactly one email and one SMS, to the covering clinician, with no clinical content.
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["priya@example.org"]
    assert email.subject == "Between: a client asked for support"
    assert COVERING_BODY.match(email.body)
    assert [m["to"] for m in sms] == ["+447700900222"]
    assert COVERING_BODY.match(sms[0]["body"])
    for text in (email.subject, email.body, sms[0]["body"], caplog.text):
        assert_no_clinical_content(text)

    # The link is bound to the covering colleague and this escalation.
    payload = links.read(ack_token_from(email.body), "escalation-ack")
    assert (payload.user_id, payload.object_id) == (covering.pk, escalation.pk)

    assert actions() == ["checkin.recorded", "escalation.created", "escalation.notified"]
    notified = AuditEvent.objects.get(action="escalation.notified")
    assert notified.detail == {
        "check_in": result.check_in.pk,
        "covering_user": covering.pk,
        "channels": ["email", "sms"],
        "failed": [],
    }
    for event in AuditEvent.objects.all():
        assert NOTE not in str(event.detail)
        assert "distress" not in str(event.detail)


@time_machine.travel(START, tick=False)
def test_it_sends_nothing_without_consent_and_says_so(
    client, therapist, covering, sms, django_capture_on_commit_callbacks, caplog
):
    make_break(client, therapist, covering, consent=False)
    caplog.set_level(logging.DEBUG)

    result = record(client, django_capture_on_commit_callbacks, distress=9)

    assert result.support_shown and not result.escalated
    assert result.escalation_message.startswith(
        "You did not agree to escalation, so nobody has been notified."
    )
    assert mail.outbox == [] and sms == []
    assert not Escalation.objects.exists()
    assert actions() == ["checkin.recorded", "escalation.not_consented"]
    event = AuditEvent.objects.get(action="escalation.not_consented")
    assert event.detail == {"check_in": result.check_in.pk, "reason": "no_consent"}
    assert NOTE not in caplog.text
    # The client still sees the support part of their plan, in order.
    assert result.coping_strategies == ["a walk by the river", "5-4-3-2-1 grounding"]
    assert result.support_contacts[0]["name"] == "Jamie"
    assert result.covering_clinician.name == "Priya Shah"
    assert result.crisis_resources["emergency"] == "999"
    assert "not an emergency service" in result.not_emergency_statement


@time_machine.travel(START, tick=False)
def test_it_honours_a_withdrawal_recorded_after_the_plans_consent(
    client, therapist, covering, sms, django_capture_on_commit_callbacks
):
    make_break(client, therapist, covering)
    ConsentRecord.objects.create(
        client=client, subject=ConsentRecord.Subject.ESCALATION, granted=False
    )
    result = record(client, django_capture_on_commit_callbacks)
    assert not result.escalated and mail.outbox == [] and sms == []
    assert AuditEvent.objects.get(action="escalation.not_consented").detail["reason"] == (
        "consent_withdrawn"
    )


@time_machine.travel(START, tick=False)
def test_it_does_not_escalate_when_the_plan_has_it_off(
    client, therapist, covering, sms, django_capture_on_commit_callbacks
):
    make_break(client, therapist, covering, escalation_enabled=False)
    result = record(client, django_capture_on_commit_callbacks, need_support_now=True, distress=2)
    assert result.support_shown and not result.escalated
    assert result.escalation_message.startswith(
        "Asking for support here is not set up in your plan, so nobody has been notified."
    )
    assert "call 999" in result.escalation_message
    assert mail.outbox == [] and sms == []


@time_machine.travel(START, tick=False)
def test_it_shows_support_when_asked_even_at_low_distress(
    client, therapist, covering, sms, django_capture_on_commit_callbacks
):
    make_break(client, therapist, covering)
    result = record(client, django_capture_on_commit_callbacks, distress=1, need_support_now=True)
    assert result.support_shown and result.escalated
    assert len(mail.outbox) == 1


@time_machine.travel(START, tick=False)
def test_it_only_thanks_the_client_below_the_threshold(
    client, therapist, covering, sms, django_capture_on_commit_callbacks
):
    make_break(client, therapist, covering, distress_threshold=9)
    result = record(client, django_capture_on_commit_callbacks, distress=8)
    assert not result.support_shown and not result.escalated
    assert result.escalation_message == ""
    # The crisis lines are on every answer, not only above the threshold.
    assert result.crisis_resources["emergency"] == "999"
    assert result.coping_strategies == [] and result.covering_clinician is None
    assert mail.outbox == [] and sms == []
    assert actions() == ["checkin.recorded"]


@time_machine.travel(START, tick=False)
def test_it_accepts_a_check_in_outside_a_break_with_the_default_threshold(
    client, sms, django_capture_on_commit_callbacks
):
    low = record(client, django_capture_on_commit_callbacks, distress=6)
    high = record(client, django_capture_on_commit_callbacks, distress=7)
    assert low.check_in.break_obj is None and not low.support_shown
    assert high.support_shown and not high.escalated
    assert mail.outbox == [] and sms == []


@time_machine.travel(START, tick=False)
def test_it_says_so_when_no_covering_clinician_can_be_reached(
    client, therapist, sms, django_capture_on_commit_callbacks
):
    make_break(client, therapist, None, covering_clinician={"name": "Dr Lee"})
    result = record(client, django_capture_on_commit_callbacks)
    assert not result.escalated and mail.outbox == [] and sms == []
    assert "no way to reach a covering clinician" in result.escalation_message
    assert "escalation.no_contact" in actions()


@pytest.mark.parametrize(
    ("distress", "note", "field"),
    [(11, "", "distress"), (-1, "", "distress"), ("7", "", "distress"), (5, "x" * 2001, "note")],
)
def test_it_rejects_values_out_of_range(client, distress, note, field):
    with pytest.raises(ValidationError) as info:
        checkins.checkin_record(client=client, distress=distress, note=note)
    assert list(info.value.message_dict) == [field]
    assert not CheckIn.objects.exists()


# ----------------------------------------------------------------------- rate limit


def test_a_repeat_request_joins_the_open_escalation_and_alerts_again(
    client, therapist, covering, sms, django_capture_on_commit_callbacks
):
    make_break(client, therapist, covering)
    with time_machine.travel(START, tick=False):
        first = record(client, django_capture_on_commit_callbacks)
    with time_machine.travel(START + timedelta(minutes=239), tick=False):
        second = record(client, django_capture_on_commit_callbacks, need_support_now=True)
    escalation = Escalation.objects.get()
    assert first.escalated and second.escalated
    assert second.check_in.repeat_of == escalation
    assert second.escalation_message.startswith("You asked again, so we have told Priya Shah")
    assert "call 999" in second.escalation_message
    # Alerted again, saying what triggered it this time (a request, not a score).
    assert len(mail.outbox) == 2 and len(sms) == 2
    assert mail.outbox[1].subject == "Between: a client asked for support again"
    assert "(they asked to be contacted)" in sms[1]["body"]
    assert_no_clinical_content(sms[1]["body"])
    repeated = AuditEvent.objects.get(action="escalation.repeated")
    assert repeated.detail == {
        "check_in": second.check_in.pk,
        "escalation": escalation.pk,
        "alerted": True,
    }
    with time_machine.travel(START + timedelta(minutes=241), tick=False):
        third = record(client, django_capture_on_commit_callbacks)
    assert third.escalated and Escalation.objects.count() == 2
    assert len(mail.outbox) == 3


def test_repeat_alerts_stop_after_a_few_and_the_client_is_told(
    client, therapist, covering, sms, django_capture_on_commit_callbacks
):
    make_break(client, therapist, covering)
    results = []
    for minutes in range(0, 50, 10):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            results.append(record(client, django_capture_on_commit_callbacks))
    assert len(mail.outbox) == 1 + checkins.MAX_REPEAT_ALERTS
    # A high score, not a request: the client is told which it was.
    assert results[1].escalation_message.startswith(
        "This check-in is at your plan's threshold too, so we have told Priya Shah again."
    )
    last = results[-1].escalation_message
    assert last.startswith("Priya Shah has already been told several times in the last 4 hours")
    assert "call 999" in last


def test_the_rate_limit_follows_the_setting(
    client, therapist, covering, sms, django_capture_on_commit_callbacks, settings
):
    settings.ESCALATION_RATE_LIMIT_MINUTES = 10
    make_break(client, therapist, covering)
    with time_machine.travel(START, tick=False):
        record(client, django_capture_on_commit_callbacks)
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        assert record(client, django_capture_on_commit_callbacks).escalated


# ----------------------------------------------------------------- acknowledge, fallback


@pytest.fixture
def escalated(
    client, therapist, covering, sms, practice_fallback, django_capture_on_commit_callbacks
):
    make_break(client, therapist, covering)
    with time_machine.travel(START, tick=False):
        result = record(client, django_capture_on_commit_callbacks)
    token = ack_token_from(mail.outbox[0].body)
    mail.outbox.clear()
    sms.clear()
    return result, token


def test_acknowledging_stops_the_fallback(escalated, covering, sms):
    result, token = escalated
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        escalation = checkins.escalation_acknowledge(token=token, user=covering)
    assert escalation.status == Escalation.Status.ACKNOWLEDGED
    assert escalation.acknowledged_by == covering
    assert escalation.acknowledged_at == START + timedelta(minutes=10)
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        assert checkins.escalation_fallback_sweep() == 0
    assert mail.outbox == [] and sms == []
    assert "escalation.fallback_notified" not in actions()
    event = AuditEvent.objects.get(action="escalation.acknowledged")
    assert event.actor == covering
    assert event.detail == {
        "check_in": result.check_in.pk,
        "acknowledged_by": covering.pk,
        "after_fallback": False,
        "via": "login",
        "recipient": "covering",
    }


def test_an_anonymous_click_acknowledges_nothing(escalated, covering):
    """The link alone is not the covering clinician: they must be logged in as themselves."""
    _result, token = escalated
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        with pytest.raises(checkins.LoginNeeded):
            checkins.escalation_acknowledge(token=token, user=None)
        with pytest.raises(checkins.LoginNeeded):  # nor does a code stand in for the login
            checkins.escalation_acknowledge(token=token, user=None, code_confirmed=True)
        with pytest.raises(ValidationError):
            checkins.escalation_code_send(token=token)
    assert Escalation.objects.get().status == Escalation.Status.NOTIFIED


def test_the_fallback_fires_after_the_timeout(escalated, sms, practice_fallback, caplog):
    result, _token = escalated
    caplog.set_level(logging.DEBUG)
    with time_machine.travel(START + timedelta(minutes=29), tick=False):
        assert checkins.escalation_fallback_sweep() == 0
    assert mail.outbox == [] and sms == []

    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        assert checkins.escalation_fallback_sweep() == 1
    escalation = Escalation.objects.get()
    assert escalation.status == Escalation.Status.FALLBACK_NOTIFIED
    assert escalation.fallback_notified_at == START + timedelta(minutes=31)
    assert [m.to for m in mail.outbox] == [["duty@example.org"]]
    assert [m["to"] for m in sms] == ["+447700900999"]
    body = mail.outbox[0].body
    assert body.startswith(
        "A client's request for support in Between was not acknowledged by the covering "
        "clinician in time (a check-in score at their plan's threshold or above). "
        "Please open: http://127.0.0.1:8000/l/escalation/"
    )
    assert sms[0]["body"] == body
    for text in (body, mail.outbox[0].subject, caplog.text):
        assert_no_clinical_content(text)
    event = AuditEvent.objects.get(action="escalation.fallback_notified")
    assert event.detail == {
        "check_in": result.check_in.pk,
        "practice": practice_fallback.pk,
        "channels": ["email", "sms"],
        "failed": [],
    }
    # Idempotent: a second sweep (or an overlapping one) sends nothing more.
    with time_machine.travel(START + timedelta(minutes=32), tick=False):
        assert checkins.escalation_fallback_sweep() == 0
    assert len(mail.outbox) == 1 and len(sms) == 1

    # The fallback contact's link is bound to nobody: it acknowledges late, with the
    # one-time code sent to the practice's fallback address, and never without it.
    token = ack_token_from(body)
    with time_machine.travel(START + timedelta(minutes=40), tick=False):
        with pytest.raises(PermissionDenied):
            checkins.escalation_acknowledge(token=token)
        issued = checkins.escalation_code_send(token=token)
        code = re.search(r"code is (\d{6})", mail.outbox[-1].body).group(1)
        assert mail.outbox[-1].to == ["duty@example.org"] and sms[-1]["to"] == "+447700900999"
        assert not checkins.escalation_code_matches(issued=issued, token=token, code="000000")
        assert checkins.escalation_code_matches(issued=issued, token=token, code=code)
        late = checkins.escalation_acknowledge(token=token, code_confirmed=True)
    assert late.status == Escalation.Status.ACKNOWLEDGED and late.acknowledged_by is None
    detail = AuditEvent.objects.get(action="escalation.acknowledged").detail
    assert detail["after_fallback"] and detail["via"] == "code"
    assert detail["recipient"] == "fallback"


def test_the_fallback_task_runs_the_sweep(escalated):
    from planner.tasks import escalation_fallback_sweep

    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        assert escalation_fallback_sweep.apply().get() == 1


def test_an_ack_link_works_once(escalated, covering):
    _result, token = escalated
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        checkins.escalation_acknowledge(token=token, user=covering)
        with pytest.raises(links.LinkError) as info:
            checkins.escalation_acknowledge(token=token, user=covering)
    assert info.value.reason == "used"


def test_an_ack_link_expires_after_a_day(escalated, covering):
    _result, token = escalated
    with (
        time_machine.travel(START + timedelta(hours=25), tick=False),
        pytest.raises(links.LinkError) as info,
    ):
        checkins.escalation_acknowledge(token=token, user=covering)
    assert info.value.reason == "expired"


def test_another_signed_in_person_cannot_use_the_ack_link(escalated, make_user):
    _result, token = escalated
    stranger = make_user("therapist")
    with (
        time_machine.travel(START + timedelta(minutes=5), tick=False),
        pytest.raises(PermissionDenied),
    ):
        checkins.escalation_acknowledge(token=token, user=stranger)
    assert Escalation.objects.get().status == Escalation.Status.NOTIFIED


def test_the_notify_task_sends_once_even_when_redelivered(escalated, sms):
    checkins.escalation_notify(escalation_id=Escalation.objects.get().pk)
    assert mail.outbox == [] and sms == []


@time_machine.travel(START, tick=False)
def test_it_brings_the_fallback_forward_when_nothing_could_be_sent(
    client, therapist, covering, practice_fallback, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ConnectionError("provider down")

    monkeypatch.setattr("planner.delivery.notify.send_sms", broken)
    monkeypatch.setattr("planner.delivery.notify.send_plain_email", broken)
    make_break(client, therapist, covering)
    record(client, django_capture_on_commit_callbacks)
    escalation = Escalation.objects.get()
    assert escalation.acknowledge_by == START
    assert AuditEvent.objects.get(action="escalation.notified").detail["failed"] == ["email", "sms"]
    assert "escalation.notify_failed" in actions()


# ------------------------------------------------------------ readers and selectors


@time_machine.travel(START, tick=False)
def test_readers_during_a_holiday_name_the_covering_clinician_only_if_agreed(
    client, therapist, covering
):
    brk = make_break(client, therapist, covering)
    readers = selectors.readers_for(client)
    assert not readers.therapist_reads_now and readers.covering_reads_now
    assert "During your break, Morgan Hale does not read your check-ins." in readers.statements
    assert any("Priya Shah, who is covering, can read them" in s for s in readers.statements)
    brk.share_check_ins_with_covering = False
    brk.save(update_fields=["share_check_ins_with_covering"])
    readers = selectors.readers_for(client)
    assert not readers.covering_reads_now
    assert "Nobody else reads them during the break." in readers.statements


def test_the_therapist_sees_check_ins_on_return_and_the_covering_one_during(
    client, therapist, covering, make_user, django_capture_on_commit_callbacks, sms
):
    brk = make_break(client, therapist, covering)
    with time_machine.travel(START, tick=False):
        record(client, django_capture_on_commit_callbacks, distress=3)
        assert not selectors.check_ins_for_break(brk=brk, viewer=therapist).exists()
        assert selectors.check_ins_for_break(brk=brk, viewer=covering).count() == 1
        assert selectors.check_ins_for_break(brk=brk, viewer=client.user).count() == 1
        assert not selectors.check_ins_for_break(brk=brk, viewer=make_user("therapist")).exists()
    with time_machine.travel(brk.ends_at + timedelta(hours=1), tick=False):
        assert selectors.check_ins_for_break(brk=brk, viewer=therapist).count() == 1
        assert not selectors.check_ins_for_break(brk=brk, viewer=covering).exists()


# ---------------------------------------------------------------------------- review


def test_the_review_opens_on_the_return_day_and_feeds_the_next_plan(client, therapist, covering):
    brk = make_break(client, therapist, covering)
    with time_machine.travel(START, tick=False), pytest.raises(ValidationError):
        checkins.break_review_submit(brk=brk, what_helped="walks")
    with time_machine.travel(brk.return_session_at.replace(hour=7), tick=False):
        with pytest.raises(ValidationError) as info:
            checkins.break_review_submit(brk=brk)
        assert "what_helped" in info.value.message_dict
        review = checkins.break_review_submit(
            brk=brk,
            what_helped="walks",
            what_was_hard="evenings",
            what_to_change="more prompts at night",
            actor=client.user,
        )
    assert selectors.review_for_break(brk=brk) == review
    assert previous_plan_for(client) is None  # the break is not finished yet
    brk.status = Break.Status.COMPLETED
    brk.save(update_fields=["status"])
    plan = previous_plan_for(client)
    assert plan["from_break_id"] == brk.pk
    assert plan["coping_strategies"] == ["a walk by the river", "5-4-3-2-1 grounding"]
    assert plan["covering_user_id"] == covering.pk
    assert "escalation_consent_at" not in plan
    assert plan["review"]["what_to_change"] == "more prompts at night"
    assert BreakReview.objects.count() == 1
    assert actions(action__startswith="review.") == ["review.submitted"]
