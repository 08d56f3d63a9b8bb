"""Clients on pages: add, edit, archive and restore, with errors next to the fields."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.models import Client, ConsentRecord

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def as_therapist(client, therapist):
    client.force_login(therapist)
    return client


def client_data(**overrides) -> dict:
    data = {
        "first_name": "Robin",
        "last_name": "Example",
        "email": "robin@example.com",
        "phone": "+447700900123",
        "country": "GB",
        "timezone": "",
        "channels": ["email"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_dashboard_has_an_add_a_client_action(as_therapist):
    html = as_therapist.get("/").content.decode()
    assert 'href="/clients/new/"' in html and "Add a client" in html


def test_it_adds_a_client_with_the_countrys_time_zone(as_therapist, therapist):
    page = as_therapist.get("/clients/new/").content.decode()
    assert '<select name="country"' in page and 'list="timezone-names"' in page
    assert '<option value="US">United States</option>' in page
    response = as_therapist.post("/clients/new/", client_data(country="US"))
    robin = Client.objects.get(therapist=therapist)
    assert response.status_code == 302 and response["Location"] == f"/clients/{robin.pk}/"
    assert (robin.country, robin.timezone) == ("US", "America/New_York")
    assert robin.channels == ["inbox", "email"]
    consent = ConsentRecord.objects.get(client=robin)
    assert (consent.subject, consent.granted, consent.source) == ("email", True, "therapist")
    assert consent.recorded_at == NOW


def test_a_typed_time_zone_wins_over_the_countrys(as_therapist, therapist):
    as_therapist.post("/clients/new/", client_data(country="US", timezone="America/Chicago"))
    assert Client.objects.get(therapist=therapist).timezone == "America/Chicago"


def test_new_clients_take_the_practices_default_times(as_therapist, therapist, practice):
    practice.default_prompt_times = ["10:00", "18:00"]
    practice.default_quiet_hours_start, practice.default_quiet_hours_end = time(21), time(9)
    practice.save()
    as_therapist.post("/clients/new/", client_data())
    robin = Client.objects.get(therapist=therapist)
    assert robin.prompt_times == ["10:00", "18:00"]
    assert (robin.quiet_hours_start, robin.quiet_hours_end) == (time(21), time(9))


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"country": ""}, "country", "This field is required"),
        ({"country": "XX"}, "country", "Select a valid choice"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
        ({"first_name": ""}, "first_name", "This field is required"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"phone": "", "channels": ["sms"]}, "channels", "SMS needs a phone number"),
        ({"email": "", "channels": ["email"]}, "channels", "Email needs an email address"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_saved(as_therapist, overrides, field, text):
    response = as_therapist.post("/clients/new/", client_data(**overrides))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in html and text in html
    assert not Client.objects.exists()


def test_a_duplicate_email_in_the_practice_is_a_field_error(as_therapist, make_user):
    colleague = make_user("therapist")
    services.client_create(therapist=colleague, first_name="Sam", email="robin@example.com")
    response = as_therapist.post("/clients/new/", client_data(email="Robin@Example.com"))
    html = response.content.decode()
    assert 'id="id_email_error"' in html and "already has this email address" in html
    assert Client.objects.count() == 1


def test_the_same_email_in_another_practice_is_fine(as_therapist, make_user):
    from core.models import Practice

    elsewhere = make_user("therapist", practice=Practice.objects.create(name="Elsewhere"))
    services.client_create(therapist=elsewhere, first_name="Sam", email="robin@example.com")
    assert as_therapist.post("/clients/new/", client_data()).status_code == 302


def test_it_edits_a_client_and_records_the_channel_change(as_therapist, therapist):
    robin = services.client_create(
        therapist=therapist, first_name="Robin", email="robin@example.com", country="GB"
    )
    page = as_therapist.get(f"/clients/{robin.pk}/edit/").content.decode()
    assert 'value="robin@example.com"' in page
    response = as_therapist.post(
        f"/clients/{robin.pk}/edit/",
        client_data(last_name="Moss", country="IE", timezone="Europe/Dublin", channels=["sms"]),
    )
    assert response.status_code == 302
    robin.refresh_from_db()
    assert (robin.last_name, robin.country, robin.timezone) == ("Moss", "IE", "Europe/Dublin")
    assert robin.channels == ["inbox", "sms"]
    assert ConsentRecord.objects.filter(client=robin, subject="sms", granted=True).exists()


def test_a_client_keeps_their_own_email_on_edit(as_therapist, therapist):
    robin = services.client_create(therapist=therapist, first_name="Robin", email="r@example.com")
    response = as_therapist.post(
        f"/clients/{robin.pk}/edit/", client_data(email="r@example.com", channels=[])
    )
    assert response.status_code == 302


def test_someone_elses_client_is_a_404_on_every_client_page(client, therapist, make_user):
    robin = services.client_create(therapist=therapist, first_name="Robin")
    client.force_login(make_user("therapist"))
    for url in ("edit/", "archive/", "restore/"):
        assert client.get(f"/clients/{robin.pk}/{url}").status_code in (404, 405)
        assert client.post(f"/clients/{robin.pk}/{url}", client_data()).status_code == 404
    robin.refresh_from_db()
    assert robin.first_name == "Robin" and robin.archived_at is None


def _holiday(therapist, robin, **fields):
    data = {
        "kind": "holiday",
        "starts_at": NOW + timedelta(days=10),
        "ends_at": NOW + timedelta(days=24),
        "return_session_at": NOW + timedelta(days=25),
        **fields,
    }
    return services.break_create(therapist=therapist, client=robin, **data)


def test_archived_clients_leave_the_dashboard_and_absences_and_come_back(as_therapist, therapist):
    library_load()
    robin = services.client_create(therapist=therapist, first_name="Robin", last_name="Ex")
    sam = services.client_create(therapist=therapist, first_name="Sam", last_name="Ex")
    response = as_therapist.post(f"/clients/{robin.pk}/archive/")
    assert response.status_code == 302
    robin.refresh_from_db()
    assert robin.archived_at == NOW
    dashboard = as_therapist.get("/").content.decode()
    assert "Robin Ex" not in dashboard and "Sam Ex" in dashboard
    assert "1 archived client" in dashboard
    assert "Robin Ex" in as_therapist.get("/clients/archived/").content.decode()
    assert "Robin Ex" not in as_therapist.get("/absences/new/").content.decode()
    breaks = services.absence_plan(
        actor=therapist,
        therapist=therapist,
        clients="all",
        kind="holiday",
        starts_at=NOW + timedelta(days=10),
        ends_at=NOW + timedelta(days=20),
    )
    assert [b.client_id for b in breaks] == [sam.pk]
    # The history stays reachable, a new plan is refused, and restoring brings them back.
    assert as_therapist.get(f"/clients/{robin.pk}/").status_code == 200
    with pytest.raises(Exception, match="archived"):
        _holiday(therapist, robin)
    as_therapist.post(f"/clients/{robin.pk}/restore/")
    robin.refresh_from_db()
    assert robin.archived_at is None
    assert "Robin Ex" in as_therapist.get("/").content.decode()


def test_archiving_waits_for_a_plan_in_progress_but_not_for_an_ending(as_therapist, therapist):
    library_load()
    robin = services.client_create(therapist=therapist, first_name="Robin")
    holiday = _holiday(therapist, robin)
    response = as_therapist.post(f"/clients/{robin.pk}/archive/", follow=True)
    assert "plan in progress" in response.content.decode()
    robin.refresh_from_db()
    assert robin.archived_at is None
    services.break_cancel(brk=holiday, actor=therapist)
    ending = services.break_create(
        therapist=therapist,
        client=robin,
        kind="ending",
        starts_at=NOW + timedelta(days=1),
    )
    services.break_activate(brk=ending, actor=therapist)
    as_therapist.post(f"/clients/{robin.pk}/archive/")
    robin.refresh_from_db()
    ending.refresh_from_db()
    assert robin.archived_at == NOW and ending.status == "scheduled"


def test_the_api_refuses_a_duplicate_email_and_an_unknown_country(world):
    api = world.api("therapist_a")
    taken = world.client_a.email
    response = api.post(
        "/api/v1/clients/", {"first_name": "Sam", "email": taken, "country": "GB"}, format="json"
    )
    assert response.status_code == 400 and "email" in response.json()
    response = api.post("/api/v1/clients/", {"first_name": "Sam", "country": "QQ"}, format="json")
    assert response.status_code == 400 and "country" in response.json()
