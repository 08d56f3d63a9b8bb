"""OPTIONS on every API route, as every kind of caller: an answer, never a 500.

It used to be a 500 on the eight routes whose views named no serializer (DRF's metadata
asked them for one to describe a POST body)."""

from __future__ import annotations

import pytest

from tests.api.conftest import ACTORS

V = "/api/v1"

ROUTES = [
    "/auth/token/",
    "/auth/logout/",
    "/auth/logout-all/",
    "/clients/",
    "/clients/{client}/",
    "/clients/{client}/invite/",
    "/clients/{client}/archive/",
    "/clients/{client}/restore/",
    "/clients/{client}/support-map/",
    "/breaks/",
    "/breaks/{break}/",
    "/breaks/{break}/prompts/",
    "/breaks/{draft}/activate/",
    "/breaks/{break}/cancel/",
    "/breaks/{break}/deliveries/",
    "/breaks/{break}/check-ins/",
    "/absences/",
    "/absences/declared/",
    "/absences/activate/",
    "/coverage/",
    "/me/breaks/",
    "/me/inbox/",
    "/me/inbox/{inbox}/acknowledge/",
    "/me/inbox/{inbox}/feedback/",
    "/me/support-map/",
    "/me/check-ins/",
    "/me/preferences/",
    "/me/follow-ups/",
    "/me/calendar.ics",
    "/me/letters/",
    "/me/letters/{letter}/",
    "/me/export/",
    "/me/erase/",
    "/push/vapid-public-key/",
    "/me/push-subscriptions/",
    "/me/push-subscriptions/{push}/",
    "/ping/",
]


def _url(world, route: str) -> str:
    ids = {
        "client": world.client_a.pk,
        "break": world.break_a.pk,
        "draft": world.draft_a.pk,
        "inbox": world.inbox_a.pk,
        "push": world.push_a.pk,
        "letter": world.letter_a.pk,
    }
    return V + route.format(**ids)


def test_the_list_covers_every_api_route():
    from django.urls import get_resolver

    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    assert len(api.url_patterns) == len(ROUTES)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", ROUTES)
def test_options_answers_every_route_for_every_caller(world, actor, route):
    api = world.api(actor)
    api.raise_request_exception = False
    response = api.options(_url(world, route))
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 200:
        assert response.json()["name"]


@pytest.mark.parametrize(
    ("actor", "route", "fields"),
    [
        ("anonymous", "/auth/token/", {"username", "password"}),
        ("therapist_a", "/clients/", {"first_name", "timezone"}),
        ("therapist_a", "/breaks/", {"client", "kind", "starts_at"}),
        ("therapist_a", "/absences/", {"clients", "kind"}),
        ("client_a", "/me/check-ins/", {"distress", "note"}),
        ("client_a", "/me/follow-ups/", {"granted"}),
        ("client_a", "/me/inbox/{inbox}/feedback/", {"helpful"}),
    ],
)
def test_options_describes_the_body_a_view_reads(world, actor, route, fields):
    response = world.api(actor).options(_url(world, route))
    assert response.status_code == 200
    assert fields <= set(response.json()["actions"]["POST"])


@pytest.mark.parametrize(
    ("actor", "route"),
    [
        ("therapist_a", "/breaks/{draft}/activate/"),
        ("therapist_a", "/breaks/{break}/cancel/"),
        ("client_a", "/me/inbox/{inbox}/acknowledge/"),
    ],
)
def test_options_on_an_action_without_a_body_names_no_fields(world, actor, route):
    response = world.api(actor).options(_url(world, route))
    assert response.status_code == 200
    assert "actions" not in response.json()
