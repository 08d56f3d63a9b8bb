"""Countries are ISO 3166 codes and phone numbers are stored in E.164, in the API and the
services alike, so that the SMS webhook's STOP (``From`` in E.164) finds the client."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from planner.breaks import services
from planner.breaks.validation import check_country, normalise_phone, phone_for_lookup
from planner.models import Client, ConsentRecord
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db

V = "/api/v1"


@pytest.fixture
def api(therapist):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    return api


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("+44 7700 900124", "GB", "+447700900124"),
        ("07700 900124", "GB", "+447700900124"),
        ("+44 (0)7700-900124", "GB", "+447700900124"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("+353 85 123 4567", "GB", "+353851234567"),
        ("", "GB", ""),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed, country, stored):
    assert normalise_phone(typed, country=country) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "+44 7700\r\n900124",
        "+44 7700 900124\nBcc: x",
        "call me",
        "12",
        "+44 7700 900124 ext 2",
        447,
    ],
)
def test_a_phone_number_that_is_not_one_is_refused(typed):
    with pytest.raises(ValidationError) as caught:
        normalise_phone(typed, country="GB")
    assert list(caught.value.message_dict) == ["phone"]


def test_countries_are_iso_codes():
    assert check_country("gb") == "GB"
    for bad in ("ZZ", "UK", "GBR", "", 12, None):
        with pytest.raises(ValidationError):
            check_country(bad)


def test_the_api_stores_e164_and_reads_a_national_number_in_the_clients_country(api):
    created = api.post(
        f"{V}/clients/",
        {"first_name": "Ada", "country": "GB", "phone": "+44 7700 900124"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["phone"] == "+447700900124"
    pk = created.json()["id"]
    moved = api.patch(f"{V}/clients/{pk}/", {"country": "us", "phone": "(202) 555-0143"})
    assert moved.json()["phone"] == "+12025550143" and moved.json()["country"] == "US"
    national = api.patch(f"{V}/clients/{pk}/", {"phone": "202 555 0199"})
    assert national.json()["phone"] == "+12025550199"  # read in the client's country (US)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "A", "country": "ZZ"}, "country"),
        ({"first_name": "A", "country": "GB", "phone": "+44 7700\r\n900124"}, "phone"),
        # A trailing line break is trimmed.
        ({"first_name": "A", "country": "GB", "phone": "07700 900124\n"}, None),
        ({"first_name": "A", "country": "GB", "phone": "not a number"}, "phone"),
    ],
)
def test_the_api_refuses_a_bad_country_or_phone_naming_the_field(api, body, field):
    response = api.post(f"{V}/clients/", body, format="json")
    if field is None:
        assert response.status_code == 201
        assert response.json()["phone"] == "+447700900124"
    else:
        assert response.status_code == 400
        assert list(response.json()) == [field]


def test_stop_from_the_provider_finds_a_number_typed_with_spaces(client, settings, therapist):
    from twilio.request_validator import RequestValidator

    robin = services.client_create(
        therapist=therapist, first_name="Robin", phone="+44 7700 900124", channels=["sms"]
    )
    settings.TWILIO_AUTH_TOKEN = "twilio-test-token"
    params = {"From": "+447700900124", "Body": "STOP", "MessageSid": "SM" + "1" * 32}
    url = f"{settings.SITE_URL}/webhooks/sms/"
    signature = RequestValidator("twilio-test-token").compute_signature(url, params)
    response = client.post("/webhooks/sms/", params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200
    robin.refresh_from_db()
    assert "sms" not in robin.channels
    record = ConsentRecord.objects.filter(client=robin, subject="sms").latest("id")
    assert (record.granted, record.source) == (False, "sms-stop")


def test_the_webhook_lookup_reads_only_full_numbers():
    assert phone_for_lookup("+447700900124") == "+447700900124"
    assert phone_for_lookup("07700900124") is None  # no country to read it in
    assert phone_for_lookup("") is None


def test_the_migration_normalises_what_parses_and_leaves_the_rest(therapist):
    rows = {
        "+44 7700 900124": ("GB", "+447700900124"),
        "07700 900125": ("GB", "+447700900125"),
        "(202) 555-0143": ("US", "+12025550143"),
        "call me": ("GB", "call me"),
        "0871": ("ZZ", "0871"),
    }
    ids = {
        typed: Client.objects.create(
            therapist=therapist, first_name="X", phone=typed, country=country
        ).pk
        for typed, (country, _stored) in rows.items()
    }
    migration = importlib.import_module("planner.migrations.0007_integrity")
    migration.phones_to_e164(apps, None)
    for typed, (_country, stored) in rows.items():
        assert Client.objects.get(pk=ids[typed]).phone == stored, typed


def test_without_the_clients_country_a_national_number_asks_for_its_country_code(therapist):
    from planner.breaks import services

    ada = services.client_create(therapist=therapist, first_name="Ada")  # no country yet
    assert ada.country == ""
    with pytest.raises(ValidationError) as caught:
        services.client_update(client=ada, actor=therapist, phone="07700 900124")
    assert "country code" in caught.value.message_dict["phone"][0]
    services.client_update(client=ada, actor=therapist, phone="+44 7700 900124")
    ada.refresh_from_db()
    assert ada.phone == "+447700900124"
