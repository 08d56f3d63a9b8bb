"""Point 9 of issue 14: there is no default country. It is chosen where a client is created,
the client confirms it (their invitation, their preferences), and a client whose country is
not known is shown "your local emergency number", never another country's lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from planner.breaks import services
from planner.models import Client
from tests.factories import BreakFactory, ClientFactory
from tests.onboarding.helpers import eager_tasks, invitation_token
from tests.onboarding.test_invitations import join_data

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)
PREFERENCES = {
    "timezone": "Europe/London",
    "prompt_times": "09:00, 19:00",
    "prompt_amount": "usual",
}


@pytest.fixture
def nowhere(therapist):
    """A client created by code without a country (the pages and the API refuse that)."""
    client = ClientFactory(therapist=therapist, with_login=True, first_name="Noa", country="")
    BreakFactory(client=client, now=NOW)
    return client


@time_machine.travel(NOW, tick=False)
def test_without_a_country_no_countrys_lines_are_shown_anywhere(client, nowhere):
    client.force_login(nowhere.user)
    pages = {
        path: client.get(path).content.decode()
        for path in ("/me/", "/me/plan/print/", "/me/check-in/")
    }
    pages["answer"] = client.post("/me/check-in/", {"distress": "9"}).content.decode()
    for where, html in pages.items():
        crisis = html[html.index('id="crisis"') :]
        assert "call your local emergency number" in crisis, where
        assert "tel:999" not in html and "Samaritans" not in html, where
    assert "does not know the country you live in yet" in pages["/me/"]


@time_machine.travel(NOW, tick=False)
def test_the_client_confirms_their_country_on_their_preferences(client, nowhere):
    client.force_login(nowhere.user)
    page = client.get("/me/preferences/").content.decode()
    assert "Please check the country below and save" in page
    response = client.post("/me/preferences/", {**PREFERENCES, "country": "IE"})
    assert response.status_code == 302
    nowhere.refresh_from_db()
    assert (nowhere.country, nowhere.country_confirmed_at) == ("IE", NOW)
    my_break = client.get("/me/").content.decode()
    assert "Confirm your country" not in my_break
    assert "tel:112" in my_break or "tel:999" in my_break  # Ireland's emergency number


@time_machine.travel(NOW, tick=False)
def test_the_therapists_change_of_country_asks_the_client_to_confirm_again(therapist, nowhere):
    services.client_update(client=nowhere, actor=nowhere.user, country="GB")
    nowhere.refresh_from_db()
    assert nowhere.country_confirmed_at == NOW
    services.client_update(client=nowhere, actor=therapist, source="therapist", country="FR")
    nowhere.refresh_from_db()
    assert nowhere.country == "FR" and nowhere.country_confirmed_at is None
    services.client_update(client=nowhere, actor=therapist, source="therapist", timezone="UTC")
    nowhere.refresh_from_db()
    assert nowhere.country_confirmed_at is None


@time_machine.travel(NOW, tick=False)
def test_the_api_confirms_a_country_sent_to_the_clients_preferences(nowhere):
    api = APIClient()
    api.force_authenticate(nowhere.user)
    before = api.get("/api/v1/me/preferences/").json()
    assert before["country_confirmed_at"] is None
    after = api.patch("/api/v1/me/preferences/", {"country": "GB"}, format="json").json()
    assert after["country"] == "GB" and after["country_confirmed_at"] == "2026-07-06T10:00:00Z"


@time_machine.travel(NOW, tick=False)
def test_accepting_an_invitation_confirms_the_country_chosen_there(
    client, therapist, django_capture_on_commit_callbacks
):
    robin = services.client_create(
        therapist=therapist, first_name="Robin", email="robin@example.com", country="GB"
    )
    assert robin.country_confirmed_at is None  # chosen by the therapist, not yet the client
    client.force_login(therapist)
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        client.post(f"/clients/{robin.pk}/invite/")
    client.logout()
    client.post(f"/invitations/{invitation_token()}/", join_data(country="IE"))
    robin = Client.objects.get(pk=robin.pk)
    assert (robin.country, robin.country_confirmed_at) == ("IE", NOW)


def test_the_api_creates_no_client_without_a_country(therapist):
    api = APIClient()
    api.force_authenticate(therapist)
    answer = api.post("/api/v1/clients/", {"first_name": "Sam"}, format="json")
    assert answer.status_code == 400 and "country" in answer.json()
    made = api.post("/api/v1/clients/", {"first_name": "Sam", "country": "NZ"}, format="json")
    assert made.status_code == 201
    assert made.json()["country"] == "NZ" and made.json()["country_confirmed_at"] is None


@time_machine.travel(NOW, tick=False)
def test_the_therapist_sees_whether_the_client_confirmed_their_country(client, therapist, nowhere):
    client.force_login(therapist)
    page = client.get(f"/clients/{nowhere.pk}/").content.decode()
    assert "not known: no country" in page and "not yet confirmed by the client" in page
    services.client_update(client=nowhere, actor=nowhere.user, country="GB")
    page = client.get(f"/clients/{nowhere.pk}/").content.decode()
    assert "confirmed by the client on 6 July 2026" in page


@time_machine.travel(NOW, tick=False)
def test_the_client_confirms_the_country_their_therapist_chose_by_saving_it_unchanged(therapist):
    robin = ClientFactory(therapist=therapist, with_login=True, country="GB")
    assert robin.country_confirmed_at is None
    api = APIClient()
    api.force_authenticate(robin.user)
    after = api.patch("/api/v1/me/preferences/", {"country": "GB"}, format="json").json()
    assert after["country"] == "GB" and after["country_confirmed_at"] == "2026-07-06T10:00:00Z"
    # The therapist sending the same country again changes nothing, the confirmation included.
    services.client_update(client=robin, actor=therapist, country="GB")
    robin.refresh_from_db()
    assert robin.country_confirmed_at == NOW
