"""The check-in page, the escalation acknowledgement link and the after-break review page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from planner.models import AuditEvent, Break, BreakReview, CheckIn, Escalation
from tests.factories import BreakFactory, BreakReviewFactory, CheckInFactory, ClientFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_real_sms(monkeypatch):
    monkeypatch.setattr("planner.delivery.notify.send_sms", lambda to, body: "SM1")


@pytest.fixture
def covering(make_user):
    return make_user("therapist", first_name="Priya", last_name="Shah")


@pytest.fixture
def robin(therapist):
    return ClientFactory(therapist=therapist, with_login=True, phone="+447700900333", country="GB")


@pytest.fixture
def brk(robin, therapist, covering):
    return BreakFactory(
        client=robin,
        therapist=therapist,
        kind=Break.Kind.HOLIDAY,
        status=Break.Status.ACTIVE,
        starts_at=START - timedelta(days=1),
        ends_at=START + timedelta(days=14),
        return_session_at=START + timedelta(days=15),
        timezone="Europe/London",
        covering_clinician={"name": "Priya Shah", "email": "priya@example.org", "phone": ""},
        covering_user=covering,
        coping_strategies=["a walk by the river"],
        support_contacts=[{"name": "Jamie", "phone": "+447700900111"}],
        escalation_enabled=True,
        escalation_consent_at=START - timedelta(days=3),
    )


@time_machine.travel(START, tick=False)
def test_the_form_says_who_reads_check_ins(client, robin, brk):
    client.force_login(robin.user)
    response = client.get("/me/check-in/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "During your break, Morgan Hale does not read your check-ins." in html
    assert "Nobody else reads them during the break." in html
    assert "not an emergency service" in html
    # No inline script or style (the CSP); scripts are static files (js/app.js on every page).
    assert not re.findall(r"<script(?![^>]*\bsrc=)", html) and "style=" not in html


@time_machine.travel(START, tick=False)
def test_the_form_shows_errors_next_to_fields_and_keeps_what_was_typed(client, robin, brk):
    client.force_login(robin.user)
    response = client.post("/me/check-in/", {"note": "still here", "need_support_now": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field-error" id="distress-error"' in html
    assert "still here</textarea>" in html
    assert not CheckIn.objects.exists()


@time_machine.travel(START, tick=False)
def test_a_high_distress_check_in_shows_support_in_order(
    client, robin, brk, django_capture_on_commit_callbacks
):
    client.force_login(robin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/me/check-in/", {"distress": "9", "note": "hard day"})
    assert response.status_code == 200
    html = response.content.decode()
    # After a high score the crisis lines come first, then the client's own plan.
    order = [
        "We have asked Priya Shah to contact you.",
        'id="crisis"',
        'href="tel:999"',
        'href="tel:116123"',
        'id="coping"',
        "a walk by the river",
        'href="tel:+447700900111"',
        'id="covering"',
        'href="mailto:priya@example.org"',
        "is not monitored in real time and is not an emergency service",
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert len(mail.outbox) == 1 and "hard day" not in mail.outbox[0].body


def test_a_therapist_has_no_check_in_page(client, therapist):
    client.force_login(therapist)
    assert client.get("/me/check-in/").status_code == 404


def test_the_ack_link_confirms_then_shows_the_check_in_once(
    client, robin, brk, covering, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        client.force_login(robin.user)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/me/check-in/", {"distress": "9", "note": "hard day"})
        client.logout()
        path = re.search(r"http://127\.0\.0\.1:8000(/l/escalation/\S+/)", mail.outbox[0].body)[1]
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        # Without a session the link asks its recipient to log in, and shows nothing.
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
        assert client.post(path).status_code == 302
        assert Escalation.objects.get().status == Escalation.Status.NOTIFIED
        client.force_login(covering)
        confirm = client.get(path)
        assert confirm.status_code == 200
        assert "hard day" not in confirm.content.decode()
        assert Escalation.objects.get().status == Escalation.Status.NOTIFIED
        done = client.post(path)
        escalation = Escalation.objects.get()
        assert done.status_code == 302 and done["Location"] == f"/escalations/{escalation.pk}/"
        assert escalation.status == Escalation.Status.ACKNOWLEDGED
        assert escalation.acknowledged_by == covering
        page = client.get(done["Location"])
        assert "hard day" in page.content.decode()
        assert AuditEvent.objects.filter(action="checkin.read").count() == 1
        # The link works once; the check-in stays readable to them.
        again = client.post(path)
        assert again.status_code == 302 and again["Location"] == done["Location"]
        assert client.get(done["Location"]).status_code == 200
        client.logout()
        used = client.post(path)
        assert used.status_code == 410
        assert "already been used" in used.content.decode()
        assert client.get(done["Location"]).status_code == 404
    with time_machine.travel(START + timedelta(days=2), tick=False):
        assert client.get(path).status_code == 410


def test_a_broken_ack_link_is_a_friendly_400(client):
    response = client.get("/l/escalation/not-a-token/")
    assert response.status_code == 400
    assert client.post("/l/escalation/not-a-token/").status_code == 400


def test_the_review_page_is_the_clients_own_only(client, robin, brk, make_user):
    other = make_user("client")
    client.force_login(other)
    assert client.get(f"/me/breaks/{brk.pk}/review/").status_code == 404
    with time_machine.travel(START, tick=False):
        # Logged in at the frozen time: a session opened at the real clock could have
        # expired, or not yet begun, by then.
        client.force_login(robin.user)
        assert (
            "open on the day you return"
            in client.get(f"/me/breaks/{brk.pk}/review/").content.decode()
        )
    with time_machine.travel(brk.return_session_at, tick=False):
        client.force_login(robin.user)
        empty = client.post(f"/me/breaks/{brk.pk}/review/", {})
        assert empty.status_code == 400
        response = client.post(
            f"/me/breaks/{brk.pk}/review/",
            {"what_helped": "walks", "what_was_hard": "", "what_to_change": "more calls"},
        )
    assert response.status_code == 200
    assert BreakReview.objects.get().what_to_change == "more calls"


def test_the_therapist_sees_check_ins_and_review_on_return(client, robin, brk, therapist):
    CheckInFactory(client=robin, break_obj=brk, distress=4, note="ok-ish", created_at=START)
    BreakReviewFactory(break_obj=brk, what_helped="the walks")
    with time_machine.travel(START, tick=False):
        client.force_login(therapist)
        during = client.get(f"/breaks/{brk.pk}/check-ins/").content.decode()
    assert "ok-ish" not in during and "the walks" not in during
    with time_machine.travel(brk.ends_at + timedelta(days=1), tick=False):
        client.force_login(therapist)
        after = client.get(f"/breaks/{brk.pk}/check-ins/").content.decode()
    assert "ok-ish" in after and "the walks" in after


@time_machine.travel(START, tick=False)
def test_a_client_from_a_country_with_no_entry_sees_the_emergency_fallback(
    client, robin, brk, django_capture_on_commit_callbacks
):
    robin.country = "PT"
    robin.save(update_fields=["country"])
    client.force_login(robin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/me/check-in/", {"distress": "3", "need_support_now": "on"})
    html = response.content.decode()
    crisis = html[html.index('id="crisis"') :]
    assert "If you are in danger right now, call your local emergency number." in crisis
    assert "tel:999" not in html and "tel:116123" not in html
