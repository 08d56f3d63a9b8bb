"""The ending blueprint: written in the plan builder, on the break's page, on My break and in
the printable plan, with the practice's contact for coming back; only an ending has one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from planner.breaks import services
from planner.models import Break
from planner.privacy.services import client_erase
from tests.ending.conftest import BLUEPRINT
from tests.helpers import NOW, a_break, draft_break, error_next_to
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db

V = "/api/v1"


def builder_data(**overrides) -> dict:
    data = {
        "kind": "ending",
        "timezone": "Europe/London",
        "starts_at": (NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (NOW + timedelta(days=21)).strftime("%Y-%m-%dT%H:%M"),
        "prompt_times": "09:00, 13:00, 19:00",
        "max_per_day": "3",
        "min_spacing_minutes": "120",
        "distress_threshold": "7",
        "blueprint_learned": "Thoughts are not facts\nI can ask for help early",
        "blueprint_early_signs": "Sleeping badly for three nights",
        "blueprint_actions": "Ring Sam",
        "blueprint_contacts": "Sam (brother) 07700 900333",
        "blueprint_come_back": "Ask your GP for a new referral.",
        "action": "save",
    }
    data.update(overrides)
    return data


def test_the_plan_builder_writes_the_blueprint_and_the_break_page_shows_it(
    frozen, client, therapist, client_record
):
    client.force_login(therapist)
    response = client.post(f"/clients/{client_record.pk}/breaks/new/", builder_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    brk = Break.objects.get(client=client_record)
    assert brk.blueprint_learned == ["Thoughts are not facts", "I can ask for help early"]
    assert brk.blueprint_come_back == "Ask your GP for a new referral."
    page = client.get(f"/breaks/{brk.pk}/").content.decode()
    assert "My blueprint for after therapy" in page and "Sleeping badly for three nights" in page
    edit = client.get(f"/breaks/{brk.pk}/edit/").content.decode()
    assert "Thoughts are not facts\nI can ask for help early</textarea>" in edit


def test_only_an_ending_has_a_blueprint(frozen, client, therapist, client_record):
    client.force_login(therapist)
    data = builder_data(
        kind="holiday",
        return_session_at=(NOW + timedelta(days=22)).strftime("%Y-%m-%dT%H:%M"),
    )
    response = client.post(f"/clients/{client_record.pk}/breaks/new/", data)
    assert response.status_code == 200
    assert "Only an ending" in error_next_to(response.content.decode(), "blueprint_learned")
    assert not Break.objects.exists()


def test_my_break_and_the_printable_plan_carry_the_blueprint_and_the_way_back(
    frozen, as_client, therapist, client_record, ending_data
):
    practice = therapist.practice
    practice.contact_phone, practice.contact_email = "+44 20 7946 0001", "hello@practice.example"
    practice.save()
    brk = draft_break(therapist, client_record, **ending_data)
    services.break_activate(brk=brk, actor=therapist)
    for url in ("/me/", "/me/plan/print/"):
        html = as_client.get(url).content.decode()
        assert "My blueprint for after therapy" in html, url
        for words in ("Thoughts are not facts", "Skipping football", "Go back to the morning walk"):
            assert words in html, (url, words)
        assert "GP surgery 020 7946 0000" in html
        assert "Ask your GP for a new referral" in html
        assert 'href="tel:+442079460001"' in html and "hello@practice.example" in html
        assert "Booster sessions booked:" in html


def test_without_a_way_back_written_or_a_practice_contact_nothing_is_claimed(
    frozen, as_client, therapist, client_record, ending_data
):
    practice = therapist.practice
    practice.contact_phone = practice.contact_email = ""
    practice.save()
    data = {**ending_data, "blueprint_come_back": "", "blueprint_contacts": []}
    brk = draft_break(therapist, client_record, **data)
    services.break_activate(brk=brk, actor=therapist)
    html = as_client.get("/me/").content.decode()
    section = html.split('id="bp-come-back"')[1].split("</section>")[0]
    assert "Nothing written here yet." in section and "tel:" not in section


def test_a_holiday_shows_no_blueprint(frozen, as_client, therapist, client_record):
    brk = draft_break(therapist, client_record, starts_at=NOW - timedelta(days=1))
    services.break_activate(brk=brk, actor=therapist)
    assert "My blueprint" not in as_client.get("/me/").content.decode()


def test_the_api_writes_and_shows_the_blueprint(frozen, therapist, client_record, ending_data):
    brk = draft_break(therapist, client_record, **{**ending_data, "blueprint_learned": []})
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    answer = api.patch(
        f"{V}/breaks/{brk.pk}/", {"blueprint_learned": ["Small steps count"]}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["blueprint_learned"] == ["Small steps count"]
    too_long = api.patch(
        f"{V}/breaks/{brk.pk}/", {"blueprint_come_back": "x" * 2001}, format="json"
    )
    assert too_long.status_code == 400 and "blueprint_come_back" in too_long.json()
    mine = APIClient()
    mine.credentials(HTTP_AUTHORIZATION=f"Token {api_token(client_record.user)}")
    services.break_activate(brk=brk, actor=therapist)
    shown = mine.get(f"{V}/me/breaks/").json()["results"][0]
    assert shown["blueprint_learned"] == ["Small steps count"]
    assert shown["blueprint_early_signs"] == BLUEPRINT["blueprint_early_signs"]
    assert shown["follow_ups_opted_in_at"] is None


def test_a_holiday_refuses_a_blueprint_through_the_api(frozen, therapist, a_client):
    brk = a_break(therapist, a_client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    answer = api.patch(f"{V}/breaks/{brk.pk}/", {"blueprint_actions": ["Ring Sam"]}, format="json")
    assert answer.status_code == 400 and "Only an ending" in answer.json()["blueprint_actions"][0]


def test_erasure_blanks_the_blueprint(frozen, therapist, client_record, ending_data):
    brk = draft_break(therapist, client_record, **ending_data)
    client_erase(client=client_record, actor=therapist)
    brk.refresh_from_db()
    assert brk.blueprint_learned == [] and brk.blueprint_come_back == ""
