"""Hostile bodies: nested 50,000 deep, or larger than Django's upload limit, are a JSON 400 or
413 on every endpoint that reads a body, never a 500; the pages' forms answer 400 too."""

from __future__ import annotations

import json

import pytest

from planner.api.parsers import MAX_DEPTH, json_depth_exceeds

V = "/api/v1"

DEEP = "[" * 50_000 + "]" * 50_000
JUST_TOO_DEEP = json.dumps({"first_name": "A", "x": json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)})
BIG = json.dumps({"first_name": "A", "last_name": "x" * 3_000_000})

ENDPOINTS = [
    ("anonymous", "post", "/auth/token/"),
    ("client_a", "patch", "/me/preferences/"),
    ("client_a", "post", "/me/check-ins/"),
    ("client_a", "post", "/me/follow-ups/"),
    ("therapist_a", "post", "/clients/"),
    ("therapist_a", "patch", "/clients/{client}/"),
    ("therapist_a", "post", "/breaks/"),
    ("therapist_a", "patch", "/breaks/{break}/"),
    ("therapist_a", "post", "/absences/"),
]


def _call(world, actor, method, path, body):
    path = path.format(client=world.client_a.pk, **{"break": world.break_a.pk})
    api = world.api(actor)
    return getattr(api, method)(f"{V}{path}", data=body, content_type="application/json")


@pytest.mark.parametrize(("actor", "method", "path"), ENDPOINTS)
@pytest.mark.parametrize("body", [DEEP, JUST_TOO_DEEP], ids=["50000-deep", "just-too-deep"])
def test_a_deeply_nested_body_is_a_400(world, actor, method, path, body):
    response = _call(world, actor, method, path, body)
    assert response.status_code == 400, response.content[:200]
    assert "nests deeper" in response.json()["detail"]


@pytest.mark.parametrize(("actor", "method", "path"), ENDPOINTS)
def test_a_body_over_the_upload_limit_is_a_413(world, actor, method, path):
    response = _call(world, actor, method, path, BIG)
    assert response.status_code == 413, response.content[:200]
    assert "too large" in response.json()["detail"]


def test_a_body_within_the_depth_limit_is_read_as_before(world):
    body = {
        "first_name": "Deep",
        "country": "GB",
        "extra": json.loads("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)),
    }
    response = world.api("therapist_a").post(f"{V}/clients/", body, format="json")
    assert response.status_code == 201, response.content


def test_the_depth_check_counts_lists_and_objects():
    assert not json_depth_exceeds({"a": [{"b": "c"}]}, 3)
    assert json_depth_exceeds({"a": [{"b": ["c"]}]}, 3)
    assert not json_depth_exceeds("text", 0)


def test_malformed_json_is_still_a_400(world):
    response = _call(world, "therapist_a", "post", "/clients/", '{"first_name": ')
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/breaks/preview/", "/absences/new/", "/me/check-in/"])
def test_a_page_form_over_the_upload_limit_is_a_400(client, world, path):
    client.force_login(world.users["client_a" if path.startswith("/me/") else "therapist_a"])
    client.raise_request_exception = False
    body = "note=" + "x" * 3_000_000
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_a_page_form_with_too_many_fields_is_a_400(client, world):
    client.force_login(world.users["therapist_a"])
    client.raise_request_exception = False
    body = "&".join(f"f{i}=x" for i in range(2000))
    response = client.post(
        "/absences/new/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
