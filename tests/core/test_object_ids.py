"""Ids past the database's range, in paths, query strings and form fields: 404 or 400, never
a 500 (SQLite raised OverflowError on some lookups)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from core.converters import MAX_ID, IdConverter, parse_id
from planner.breaks import services
from planner.models import Client
from tests.security_helpers import api_token

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
HUGE = ["99999999999999999999999", str(MAX_ID + 1), "0"]


def test_parse_id_takes_only_what_a_row_can_have():
    assert parse_id("42") == 42
    assert parse_id(" 7 ") == 7
    assert parse_id(42) == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for bad in (str(MAX_ID + 1), "0", "-1", "1e3", "", None, True, "٣", "9" * 40, MAX_ID + 1):
        assert parse_id(bad) is None, bad


def test_the_converter_refuses_ids_out_of_range():
    converter = IdConverter()
    assert converter.to_python("12") == 12
    with pytest.raises(ValueError):
        converter.to_python(str(MAX_ID + 1))


def _routes(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


ID_ROUTES = sorted({r for r in _routes() if "<id:" in r})


def test_every_object_id_in_a_path_uses_the_id_converter():
    assert ID_ROUTES
    assert not [r for r in _routes() if "<int:" in r]


@pytest.fixture
def people(make_user, therapist):
    with time_machine.travel(NOW, tick=False):
        user = make_user("client")
        client = services.client_create(therapist=therapist, first_name="Ada")
        Client.objects.filter(pk=client.pk).update(user=user)
        brk = services.break_create(
            therapist=therapist,
            client=client,
            kind="holiday",
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=10),
        )
    return {"therapist": therapist, "client": user, "staff": make_user("staff"), "brk": brk}


@pytest.mark.parametrize("actor", ["therapist", "client", "staff"])
def test_huge_ids_in_any_path_are_a_404(client, people, actor):
    user = people[actor]
    client.force_login(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    for route in ID_ROUTES:
        for huge in HUGE:
            path = "/" + re.sub(r"<id:\w+>", huge, route).replace("<slug:action>", "pause")
            caller = api if path.startswith("/api/") else client
            for method in ("get", "post", "patch", "delete", "options"):
                response = getattr(caller, method)(path)
                assert response.status_code == 404, (method, path, response.status_code)


def test_a_huge_id_in_the_absence_review_is_ignored(client, people):
    client.force_login(people["therapist"])
    assert client.get("/absences/review/?ids=99999999999999999999999").status_code == 404
    both = client.get(f"/absences/review/?ids=99999999999999999999999,{people['brk'].pk}")
    assert both.status_code == 200
    assert client.post("/absences/activate/", {"ids": str(MAX_ID + 1)}).status_code == 302


def test_a_huge_client_id_posted_to_the_preview_is_a_404(client, people):
    client.force_login(people["therapist"])
    for value in ("99999999999999999999999", str(MAX_ID + 1)):
        response = client.post("/breaks/preview/", {"client": value, "break": value})
        assert response.status_code == 404


@pytest.mark.parametrize("value", ["99999999999999999999999", str(MAX_ID + 1), "abc", "0"])
def test_a_bad_client_filter_on_the_audit_page_is_a_400_with_the_error(client, people, value):
    client.force_login(people["staff"])
    response = client.get(f"/staff/audit/?client={value}")
    assert response.status_code == 400
    assert 'id="err_client"' in response.content.decode()


def test_a_good_client_filter_on_the_audit_page_still_filters(client, people):
    client.force_login(people["staff"])
    brk = people["brk"]
    response = client.get(f"/staff/audit/?client={brk.client_id}")
    assert response.status_code == 200
