"""The web pages through Django's test client: forms keep what was typed and show errors next
to the fields; someone else's object is a 404; the main flows work without JavaScript."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils.timezone import now

from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.models import Break, CheckIn, Client, InboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _library(db):
    library_load()


@pytest.fixture
def client_record(therapist, make_user):
    login = make_user("client", first_name="Robin")
    return Client.objects.create(
        therapist=therapist,
        user=login,
        first_name="Robin",
        last_name="Example",
        email="robin@example.com",
        phone="+447700900123",
        quiet_hours_start=time(22, 0),
        quiet_hours_end=time(8, 0),
    )


@pytest.fixture
def as_therapist(client, therapist):
    client.force_login(therapist)
    return client


@pytest.fixture
def as_client(client, client_record):
    client.force_login(client_record.user)
    return client


def local(days: int, hour: int = 10) -> str:
    moment = (now() + timedelta(days=days)).replace(hour=hour, minute=0)
    return moment.strftime("%Y-%m-%dT%H:%M")


def noon_in_london(days: int) -> datetime:
    """Midday, ``days`` local days from today: day counts that do not depend on the hour."""
    tz = ZoneInfo("Europe/London")
    return datetime.combine(now().astimezone(tz).date() + timedelta(days=days), time(12), tz)


def plan_data(**overrides) -> dict:
    data = {
        "kind": "holiday",
        "timezone": "Europe/London",
        "starts_at": local(10),
        "ends_at": local(24),
        "return_session_at": local(25),
        "prompt_times": "09:00, 13:00, 19:00",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "08:00",
        "max_per_day": "3",
        "min_spacing_minutes": "120",
        "distress_threshold": "7",
        "warning_signs": "Not sleeping\nCancelling plans",
        "coping_strategies": "A walk by the river",
        "contact_1_name": "Jamie",
        "contact_1_relationship": "friend",
        "contact_1_phone": "+447700900111",
        "covering_name": "Priya Shah",
        "therapist_note": "See you soon.",
        "action": "save",
    }
    data.update(overrides)
    return data


def error_next_to(html: str, field: str) -> str:
    """The error text rendered for ``field``, which the input points at with aria-describedby."""
    match = re.search(rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    assert re.search(rf'<[^>]*id="id_{field}(_0)?"[^>]*aria-invalid="true"', html) or re.search(
        rf'aria-invalid="true"[^>]*id="id_{field}(_0)?"', html
    ), f"{field} is not marked invalid"
    return match.group(1)


def _break(therapist, client_record, **fields) -> Break:
    data = {
        "kind": "holiday",
        "starts_at": now() + timedelta(days=10),
        "ends_at": now() + timedelta(days=24),
        "return_session_at": now() + timedelta(days=25),
        **fields,
    }
    return services.break_create(therapist=therapist, client=client_record, **data)


# --- The plan builder ----------------------------------------------------------------------


def test_it_creates_a_draft_from_the_plan_builder(as_therapist, client_record):
    response = as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", plan_data())
    brk = Break.objects.get(client=client_record)
    assert response.status_code == 302 and response["Location"] == f"/breaks/{brk.pk}/"
    assert brk.status == "draft"
    assert brk.warning_signs == ["Not sleeping", "Cancelling plans"]
    assert brk.support_contacts[0]["name"] == "Jamie"
    assert brk.covering_clinician["name"] == "Priya Shah"
    page = as_therapist.get(f"/breaks/{brk.pk}/").content.decode()
    assert 'class="mark"' in page and 'role="img"' in page


def test_it_rejects_bad_times_next_to_the_field_and_keeps_what_was_typed(
    as_therapist, client_record
):
    data = plan_data(prompt_times="9 o'clock", warning_signs="Typed by hand")
    response = as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "24-hour time" in error_next_to(html, "prompt_times")
    assert 'value="9 o&#x27;clock"' in html
    assert "Typed by hand" in html
    assert not Break.objects.exists()


def test_it_shows_the_engines_error_on_the_return_session_field(as_therapist, client_record):
    data = plan_data(return_session_at=local(3))
    html = as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data).content.decode()
    assert "return session" in error_next_to(html, "return_session_at").lower()
    assert f'value="{local(3)}"' in html


def test_it_rejects_an_end_before_the_start(as_therapist, client_record):
    data = plan_data(ends_at=local(5))
    html = as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data).content.decode()
    assert "end after it starts" in error_next_to(html, "ends_at")


def test_it_rejects_an_unknown_timezone_and_a_nameless_contact(as_therapist, client_record):
    data = plan_data(timezone="Mars/Olympus", contact_2_phone="+447700900999")
    html = as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data).content.decode()
    assert "Unknown time zone" in error_next_to(html, "timezone")
    assert "name" in error_next_to(html, "contact_2_name")
    assert 'value="Mars/Olympus"' in html


def test_it_previews_without_saving(as_therapist, client_record):
    data = plan_data(action="preview")
    html = as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data).content.decode()
    assert 'class="mark"' in html
    assert not Break.objects.exists()
    fragment = as_therapist.post(
        "/breaks/preview/", {**plan_data(), "client": client_record.pk}
    ).content.decode()
    assert fragment.count('class="mark"') > 3 and "<svg" in fragment


def test_it_activates_pauses_and_cancels_through_the_services(
    as_therapist, therapist, client_record
):
    brk = _break(therapist, client_record)
    as_therapist.post(f"/breaks/{brk.pk}/activate/")
    brk.refresh_from_db()
    assert brk.status == "scheduled" and brk.prompts.exists()
    as_therapist.post(f"/breaks/{brk.pk}/pause/")
    brk.refresh_from_db()
    assert brk.paused_at is not None
    as_therapist.post(f"/breaks/{brk.pk}/cancel/")
    brk.refresh_from_db()
    assert brk.status == "cancelled"
    assert as_therapist.get(f"/breaks/{brk.pk}/deliveries/").status_code == 200


def test_it_edits_a_plan_and_keeps_typed_values_on_error(as_therapist, therapist, client_record):
    brk = _break(therapist, client_record)
    page = as_therapist.get(f"/breaks/{brk.pk}/edit/").content.decode()
    assert 'name="starts_at"' in page
    html = as_therapist.post(
        f"/breaks/{brk.pk}/edit/", plan_data(max_per_day="9", therapist_note="A new note")
    ).content.decode()
    assert "between 1 and 6" in error_next_to(html, "max_per_day")
    assert "A new note" in html
    as_therapist.post(f"/breaks/{brk.pk}/edit/", plan_data(therapist_note="A new note"))
    brk.refresh_from_db()
    assert brk.therapist_note == "A new note"


# --- The caseload absence -------------------------------------------------------------------


def test_it_plans_and_activates_a_caseload_absence(as_therapist, therapist, client_record):
    others = [
        Client.objects.create(therapist=therapist, first_name=name) for name in ("Sam", "Alex")
    ]
    data = {
        "kind": "holiday",
        "starts_at": local(20),
        "ends_at": local(34),
        "covering_name": "Priya Shah",
        "clients": [client_record.pk, others[0].pk, others[1].pk],
    }
    response = as_therapist.post("/absences/new/", data)
    assert response.status_code == 302 and "/absences/review/?ids=" in response["Location"]
    assert Break.objects.filter(status="draft").count() == 3
    review = as_therapist.get(response["Location"]).content.decode()
    assert "Activate all 3 plans" in review
    ids = response["Location"].split("ids=")[1]
    as_therapist.post("/absences/activate/", {"ids": ids})
    assert Break.objects.filter(status="scheduled").count() == 3


def test_it_asks_for_clients_and_keeps_the_dates(as_therapist, client_record):
    data = {"kind": "holiday", "starts_at": local(20), "ends_at": local(34)}
    html = as_therapist.post("/absences/new/", data).content.decode()
    assert "at least one client" in error_next_to(html, "clients")
    assert f'value="{local(20)}"' in html
    html = as_therapist.post(
        "/absences/new/", {**data, "ends_at": "not a date", "all_clients": "on"}
    ).content.decode()
    assert "Enter a date and time" in error_next_to(html, "ends_at")
    assert 'value="not a date"' in html


# --- The client ------------------------------------------------------------------------------


def test_my_break_shows_the_countdown_plan_contacts_and_crisis_lines(
    as_client, therapist, client_record
):
    brk = _break(
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


def test_an_ending_counts_days_since_the_last_session(as_client, therapist, client_record):
    brk = _break(
        therapist,
        client_record,
        kind="ending",
        starts_at=noon_in_london(days=-3),
        ends_at=None,
        return_session_at=None,
    )
    services.break_activate(brk=brk, actor=therapist)
    assert "3 days since our last session" in as_client.get("/me/").content.decode()


def test_a_client_acknowledges_a_message(as_client, client_record):
    message = InboxMessage.objects.create(client=client_record, category="hope", text="Hello")
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
    brk = _break(therapist, client_record, starts_at=now() - timedelta(hours=1))
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
    brk = _break(therapist, client_record, warning_signs=["Not sleeping"])
    services.break_activate(brk=brk, actor=therapist)
    html = as_client.get("/me/plan/print/").content.decode()
    for heading in ("1. Warning signs", "4. People I can ask for help", "6. Making"):
        assert heading in html
    assert "plan-print.css" in html


# --- The dashboard --------------------------------------------------------------------------


def test_the_dashboard_lists_warnings_check_ins_and_failures(
    as_therapist, therapist, client_record
):
    _break(therapist, client_record, starts_at=now() + timedelta(days=21))
    CheckIn.objects.create(client=client_record, distress=9)
    CheckIn.objects.create(client=client_record, distress=2)
    html = as_therapist.get("/").content.decode()
    assert "notice not yet given" in html
    assert "distress 9 of 10" in html and "distress 2 of 10" not in html
    assert "Robin Example" in html


# --- Permissions ----------------------------------------------------------------------------


def test_someone_elses_objects_are_404(client, make_user, therapist, client_record):
    brk = _break(therapist, client_record)
    other = make_user("therapist")
    client.force_login(other)
    for url in (
        f"/clients/{client_record.pk}/",
        f"/clients/{client_record.pk}/breaks/new/",
        f"/breaks/{brk.pk}/",
        f"/breaks/{brk.pk}/edit/",
        f"/breaks/{brk.pk}/deliveries/",
        f"/absences/review/?ids={brk.pk}",
        "/me/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/breaks/{brk.pk}/activate/").status_code == 404
    assert client.post("/breaks/preview/", {"client": client_record.pk}).status_code == 404
    brk.refresh_from_db()
    assert brk.status == "draft"


def test_a_client_cannot_reach_therapist_pages_or_others_messages(
    as_client, make_user, therapist, client_record
):
    stranger = Client.objects.create(therapist=therapist, first_name="Sam")
    message = InboxMessage.objects.create(client=stranger, category="hope", text="Not yours")
    assert as_client.get(f"/clients/{client_record.pk}/").status_code == 404
    assert as_client.post(f"/me/inbox/{message.pk}/acknowledge/").status_code == 404
    assert as_client.get("/absences/new/").status_code == 404


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
