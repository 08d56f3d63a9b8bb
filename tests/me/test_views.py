"""The client's pages through Django's test client: "My break" with the countdown, the plan
and the crisis lines; messages; preferences that keep what was typed; the printable plan; the
after-break review."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils.timezone import now

from planner.breaks import services
from planner.breaks.prompts import library_load
from tests.factories import InboxMessageFactory
from tests.helpers import draft_break, error_next_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _library(db):
    library_load()


def noon_in_london(days: int) -> datetime:
    """Midday, ``days`` local days from today: day counts that do not depend on the hour."""
    tz = ZoneInfo("Europe/London")
    return datetime.combine(now().astimezone(tz).date() + timedelta(days=days), time(12), tz)


def test_my_break_shows_the_countdown_plan_contacts_and_crisis_lines(
    as_client, therapist, client_record
):
    brk = draft_break(
        therapist,
        client_record,
        starts_at=now() - timedelta(days=1),
        ends_at=noon_in_london(days=12) - timedelta(hours=2),
        return_session_at=noon_in_london(days=12),
        support_contacts=[{"name": "Jamie", "phone": "+44 7700 900111"}],
        covering_clinician={"name": "Priya Shah", "phone": "+447700900200"},
    )
    services.break_activate(brk=brk, actor=therapist)
    html = as_client.get("/").content.decode()
    assert "12 days until your next session" in html
    assert 'href="tel:+447700900111"' in html and 'href="sms:+447700900111"' in html
    assert "Priya Shah" in html
    assert "not an emergency service" in html
    assert 'href="tel:999"' in html  # GB emergency number from the seed
    assert "Samaritans" in html


def test_an_ending_has_no_counter_and_never_speaks_as_the_therapist(
    as_client, therapist, client_record
):
    brk = draft_break(
        therapist,
        client_record,
        kind="ending",
        starts_at=noon_in_london(days=-3),
        ends_at=None,
        return_session_at=None,
    )
    services.break_activate(brk=brk, actor=therapist)
    html = as_client.get("/me/").content.decode()
    assert "since our last session" not in html and "days since" not in html
    assert "What you built in therapy goes on with you." in html


def test_a_client_acknowledges_a_message(as_client, client_record):
    message = InboxMessageFactory(client=client_record, category="hope", text="Hello")
    response = as_client.post(f"/me/inbox/{message.pk}/acknowledge/", {"next": "/me/inbox/"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.acknowledged_at is not None


def test_preferences_reject_bad_quiet_hours_next_to_the_field(as_client, client_record):
    data = {
        "timezone": "Europe/London",
        "prompt_times": "09:00, 19:00",
        "quiet_hours_start": "08:00",
        "quiet_hours_end": "20:00",
        "email": "on",
    }
    html = as_client.post("/me/preferences/", data).content.decode()
    assert "cover every prompt" in error_next_to(html, "quiet_hours_start")
    assert 'value="08:00"' in html and 'value="20:00"' in html
    html = as_client.post(
        "/me/preferences/", {**data, "quiet_hours_start": "25:00"}
    ).content.decode()
    assert "24-hour time" in error_next_to(html, "quiet_hours_start")
    assert 'value="25:00"' in html
    client_record.refresh_from_db()
    assert client_record.quiet_hours_start == time(22, 0)


def test_preferences_move_the_schedule_and_record_consent(as_client, therapist, client_record):
    brk = draft_break(therapist, client_record, starts_at=now() - timedelta(hours=1))
    services.break_activate(brk=brk, actor=therapist)
    data = {
        "timezone": "Europe/London",
        "prompt_times": "09:00, 13:00, 19:00",
        "quiet_hours_start": "18:00",
        "quiet_hours_end": "10:00",
        "email": "on",
        "pause": "",
    }
    response = as_client.post("/me/preferences/", data)
    assert response.status_code == 302
    client_record.refresh_from_db()
    brk.refresh_from_db()
    assert client_record.channels == ["inbox", "email"]
    assert client_record.consents.filter(subject="email", granted=True).exists()
    assert brk.quiet_hours_start == time(18, 0)
    page = as_client.get("/me/preferences/").content.decode()
    assert 'data-quiet-start="18:00"' in page
    fragment = as_client.post(
        "/me/preferences/preview/", {**data, "quiet_hours_start": "21:00"}
    ).content.decode()
    assert 'data-quiet-start="21:00"' in fragment


def test_the_printable_plan_lists_the_six_sections(as_client, therapist, client_record):
    brk = draft_break(therapist, client_record, warning_signs=["Not sleeping"])
    services.break_activate(brk=brk, actor=therapist)
    html = as_client.get("/me/plan/print/").content.decode()
    for heading in ("1. Warning signs", "4. People I can ask for help", "6. Making"):
        assert heading in html
    assert "plan-print.css" in html


def test_pages_need_a_login(client):
    for url in ("/me/", "/me/inbox/", "/absences/new/", "/me/preferences/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_after_break_review_is_invited_shown_to_the_therapist_and_seeds_the_next_plan(
    client, therapist
):
    """Return day: the client is invited to three questions; the therapist reads the answers
    on the break's page; the next plan starts from the last one and shows its review."""
    from datetime import timedelta

    import time_machine
    from django.utils.timezone import now

    from core.models import User
    from planner.breaks import services

    login = User.objects.create_user("ana@example.com", "a-long-test-password-1", role="client")
    robin = services.client_create(
        therapist=therapist, first_name="Ana", timezone="UTC", country="GB"
    )
    robin.user = login
    robin.save(update_fields=["user"])
    start = now() + timedelta(days=1)
    brk = services.break_create(
        therapist=therapist,
        client=robin,
        kind="holiday",
        starts_at=start,
        ends_at=start + timedelta(days=7),
        return_session_at=start + timedelta(days=8),
        coping_strategies=["swimming on Saturdays"],
    )
    services.break_activate(brk=brk, actor=therapist)
    client.force_login(login)
    assert b"How did the break go?" not in client.get("/me/").content
    with time_machine.travel(start + timedelta(days=8, hours=2)):
        client.force_login(login)  # the earlier session has expired by then
        page = client.get("/me/")
        assert b"How did the break go?" in page.content
        response = client.post(
            f"/me/breaks/{brk.pk}/review/",
            {"what_helped": "The swims", "what_was_hard": "Sundays", "what_to_change": "More"},
        )
        assert response.status_code in (200, 302)
        assert b"How did the break go?" not in client.get("/me/").content
    client.force_login(therapist)
    assert b"Sundays" in client.get(f"/breaks/{brk.pk}/").content
    services.break_cancel(brk=brk, actor=therapist)  # finished (cancelled after the return)
    builder = client.get(f"/clients/{robin.pk}/breaks/new/")
    assert b"Starting from the last plan" in builder.content
    assert b"Sundays" in builder.content
    assert b"swimming on Saturdays" in builder.content


def test_the_client_chooses_fewer_or_more_messages_with_a_live_picture(
    as_client, therapist, client_record
):
    """Point 11: fewer, usual or more in the client's preferences, previewed before saving."""
    brk = draft_break(
        therapist,
        client_record,
        starts_at=now() - timedelta(hours=1),
        ends_at=now() + timedelta(days=21),
        return_session_at=now() + timedelta(days=21, hours=12),
    )
    services.break_activate(brk=brk, actor=therapist)
    data = {"timezone": "Europe/London", "prompt_times": "09:00, 13:00, 19:00", "pause": ""}
    page = as_client.get("/me/preferences/").content.decode()
    assert 'name="prompt_amount"' in page and "Never more than one a day" in page
    marks = {
        amount: as_client.post("/me/preferences/preview/", {**data, "prompt_amount": amount})
        .content.decode()
        .count('class="mark"')
        for amount in ("fewer", "usual", "more")
    }
    assert marks["fewer"] < marks["usual"] < marks["more"]
    brk.refresh_from_db()
    assert brk.prompt_amount == "usual"  # a preview writes nothing
    assert as_client.post("/me/preferences/", {**data, "prompt_amount": "fewer"}).status_code == 302
    brk.refresh_from_db()
    client_record.refresh_from_db()
    assert client_record.prompt_amount == brk.prompt_amount == "fewer"
    pending = brk.prompts.filter(status="pending", plan_version=brk.plan_version).count()
    assert pending <= marks["fewer"]
