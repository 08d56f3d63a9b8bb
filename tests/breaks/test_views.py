"""The therapist's pages through Django's test client: forms keep what was typed and show
errors next to the fields; someone else's object is a 404; the main flows work without
JavaScript."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils.timezone import now

from planner.breaks.prompts import library_load
from planner.models import Break
from tests.factories import CheckInFactory, ClientFactory, InboxMessageFactory
from tests.helpers import draft_break, error_next_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _library(db):
    library_load()


@pytest.fixture
def as_therapist(client, therapist):
    client.force_login(therapist)
    return client


def local(days: int, hour: int = 10) -> str:
    moment = (now() + timedelta(days=days)).replace(hour=hour, minute=0)
    return moment.strftime("%Y-%m-%dT%H:%M")


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
    brk = draft_break(therapist, client_record)
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
    brk = draft_break(therapist, client_record)
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
    others = [ClientFactory(therapist=therapist, first_name=name) for name in ("Sam", "Alex")]
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


# --- The dashboard --------------------------------------------------------------------------


def test_the_dashboard_lists_warnings_check_ins_and_failures(
    as_therapist, therapist, client_record
):
    draft_break(therapist, client_record, starts_at=now() + timedelta(days=21))
    CheckInFactory(client=client_record, distress=9)
    CheckInFactory(client=client_record, distress=2)
    html = as_therapist.get("/").content.decode()
    assert "notice not yet given" in html
    assert "distress 9 of 10" in html and "distress 2 of 10" not in html
    assert "Robin Example" in html


# --- Permissions ----------------------------------------------------------------------------


def test_someone_elses_objects_are_404(client, make_user, therapist, client_record):
    brk = draft_break(therapist, client_record)
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
    stranger = ClientFactory(therapist=therapist, first_name="Sam")
    message = InboxMessageFactory(client=stranger, category="hope", text="Not yours")
    assert as_client.get(f"/clients/{client_record.pk}/").status_code == 404
    assert as_client.post(f"/me/inbox/{message.pk}/acknowledge/").status_code == 404
    assert as_client.get("/absences/new/").status_code == 404
