"""Every bad input is a 400 naming the field; never a 500, never a traceback."""

from __future__ import annotations

import pytest

from tests.factories import PracticeFactory

V = "/api/v1"

BAD_CLIENT = [
    ({"first_name": 12}, "first_name"),
    ({"first_name": "A", "country": "GB", "timezone": "Mars/Olympus"}, "timezone"),
    ({"first_name": "A"}, "country"),  # no default country: it chooses the crisis lines
    ({"first_name": "A", "quiet_hours_start": "25:00"}, "quiet_hours_start"),
    ({"first_name": "A", "prompt_times": ["9am"]}, "prompt_times"),
    ({"first_name": "A", "channels": ["pigeon"]}, "channels"),
    ({"first_name": "A" * 101}, "first_name"),
    ({"first_name": "A", "prompt_times": "09:00"}, "prompt_times"),
    ({"first_name": "A", "country": "GBR"}, "country"),
    ({}, "first_name"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CLIENT)
def test_it_refuses_a_bad_client_naming_the_field(world, body, field):
    response = world.api("therapist_a").post(f"{V}/clients/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "sabbatical"}, "kind"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "1900-01-01T00:00:00Z"}, "starts_at"),
        ({"ends_at": "2000-01-01T00:00:00Z"}, "ends_at"),
        ({"timezone": "Europe/Nowhere"}, "timezone"),
        ({"prompt_times": ["12:60"]}, "prompt_times"),
        ({"therapist_note": "x" * 4001}, "therapist_note"),
        ({"coping_strategies": ["x" * 501]}, "coping_strategies"),
        ({"support_contacts": [{"relationship": "no name"}]}, "support_contacts"),
        ({"max_per_day": "many"}, "max_per_day"),
        ({"client": 999999}, "client"),
        ({"client": "abc"}, "client"),
        ({"covering_user": 999999}, "covering_user"),
        ({"quiet_hours_start": "00:00", "quiet_hours_end": "23:59"}, "quiet_hours_start"),
    ],
)
def test_it_refuses_a_bad_break_naming_the_field(world, plan, change, field):
    body = {"client": world.client_a.pk, **plan(), **change}
    response = world.api("therapist_a").post(f"{V}/breaks/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_someone_elses_client_is_an_unknown_client(world, plan):
    body = {"client": world.client_b.pk, **plan()}
    response = world.api("therapist_a").post(f"{V}/breaks/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"client": ["Unknown client."]}


@pytest.mark.parametrize(
    "query", ["status=lost", "kind=nap", "starts_after=yesterday", "ordering=password"]
)
def test_it_refuses_bad_filters(world, query):
    response = world.api("therapist_a").get(f"{V}/breaks/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"clients": "some"}, "clients"),
        ({"clients": [999999]}, "clients"),
        ({"clients": "all", "therapist": 999999}, "therapist"),
        ({"clients": "all", "kind": "nap"}, "kind"),
    ],
)
def test_it_refuses_a_bad_absence(world, plan, body, field):
    data = {**plan(), **body}
    data.pop("return_session_at")
    response = world.api("therapist_a").post(f"{V}/absences/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_therapist_of_another_practice_is_unknown(world, plan, make_user):
    elsewhere = PracticeFactory(name="Elsewhere")
    outsider = make_user("therapist", practice=elsewhere)
    from rest_framework.test import APIClient

    from tests.security_helpers import api_token

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(outsider)}")
    body = {**plan(kind="unplanned"), "clients": "all", "therapist": world.users["therapist_a"].pk}
    response = api.post(f"{V}/absences/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"therapist": ["Unknown therapist."]}


def test_a_json_body_that_is_not_an_object_is_a_400(world):
    response = world.api("therapist_a").post(f"{V}/clients/", [1, 2], format="json")
    assert response.status_code == 400
    response = world.api("therapist_a").post(
        f"{V}/clients/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_an_unexpected_error_is_a_json_500_without_a_traceback(world, monkeypatch):
    from planner.breaks import selectors

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "clients_for_therapist", boom)
    response = world.api("therapist_a").get(f"{V}/clients/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}


def test_a_throttled_request_says_when_to_retry(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "token", "2/minute")
    api = world.api("anonymous")
    body = {"username": "nobody@example.com", "password": "x"}
    answers = [api.post(f"{V}/auth/token/", body, format="json") for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert "Expected available in" in answers[-1].json()["detail"]
    assert answers[-1].json()["retry_after"] == int(answers[-1]["Retry-After"])
