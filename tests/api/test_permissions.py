"""The permission matrix: every endpoint and method, as each of the six actors.

Choices recorded here:
- a wrong role on a collection or ``/me/`` endpoint is 403 (the endpoint exists for all);
- any object that is not the caller's is 404, exactly like an id that does not exist;
- the covering clinician may read what break A shares (GET /breaks/{id}/, its check-ins
  because the client agreed, /coverage/) but not change it: PATCH, activate and cancel are
  404 for them ("not their object to change"), as are its prompts and deliveries;
- client A may read their own (non-draft) break at /breaks/{id}/ (the client view) but not
  change it, and uses /me/ for check-ins;
- POST /breaks/ with someone else's client id is a 400 "Unknown client." (a body field).
"""

from __future__ import annotations

import pytest

from tests.api.conftest import ACTORS

MARKERS_A = {"NOTE-OF-A", "WARN-OF-A", "Alphason", "INBOX-OF-A", "CHECKIN-OF-A", "LETTER-OF-A"}
MARKERS_B = {"NOTE-OF-B", "WARN-OF-B", "Betason", "INBOX-OF-B", "CHECKIN-OF-B"}
# What each actor must never see, in any answer.
FORBIDDEN = {
    "anonymous": MARKERS_A | MARKERS_B,
    "client_a": MARKERS_B,
    "client_b": MARKERS_A,
    "therapist_a": MARKERS_B | {"LETTER-OF-A"},  # a letter to self is the client's alone
    "therapist_b": MARKERS_A,
    # Shared with the covering clinician: the client's first name and check-ins that asked
    # for support. Not shared: the note, warning signs, surname, inbox.
    "covering": (MARKERS_A - {"CHECKIN-OF-A"}) | MARKERS_B,
}

V = "/api/v1"


def _break_body(w):
    from datetime import timedelta

    from django.utils.timezone import now

    start = now() + timedelta(days=30)
    return {
        "client": w.client_a.pk,
        "kind": "holiday",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=7)).isoformat(),
    }


def _absence_body(w):
    body = _break_body(w)
    body.pop("client")
    return {**body, "clients": "all"}


def _device_body(w):
    from tests.push_service import Device

    return Device("new", "https://fcm.googleapis.com/fcm/send/new").subscription_json()


#  method, url(world), body(world) or None,
#  expected: anonymous, client_a, client_b, therapist_a, therapist_b, covering
MATRIX = [
    ("get", lambda w: f"{V}/clients/", None, (401, 403, 403, 200, 200, 200)),
    ("post", lambda w: f"{V}/clients/", lambda w: {"first_name": "New", "country": "GB"},
     (401, 403, 403, 201, 201, 201)),
    ("get", lambda w: f"{V}/clients/{w.client_a.pk}/", None, (401, 404, 404, 200, 404, 404)),
    ("patch", lambda w: f"{V}/clients/{w.client_a.pk}/", lambda w: {"phone": "+447700900124"},
     (401, 404, 404, 200, 404, 404)),
    ("delete", lambda w: f"{V}/clients/{w.client_a.pk}/", None, (401, 404, 404, 204, 404, 404)),
    # client A has joined already and has a live break: 400 for their own therapist
    ("post", lambda w: f"{V}/clients/{w.client_a.pk}/invite/", None,
     (401, 403, 403, 400, 404, 404)),
    ("post", lambda w: f"{V}/clients/{w.client_a.pk}/archive/", None,
     (401, 403, 403, 400, 404, 404)),
    ("post", lambda w: f"{V}/clients/{w.client_a.pk}/restore/", None,
     (401, 403, 403, 200, 404, 404)),
    ("get", lambda w: f"{V}/breaks/", None, (401, 403, 403, 200, 200, 200)),
    ("post", lambda w: f"{V}/breaks/", _break_body, (401, 403, 403, 201, 400, 400)),
    ("get", lambda w: f"{V}/breaks/{w.break_a.pk}/", None, (401, 200, 404, 200, 404, 200)),
    ("get", lambda w: f"{V}/breaks/{w.draft_a.pk}/", None, (401, 404, 404, 200, 404, 404)),
    ("patch", lambda w: f"{V}/breaks/{w.break_a.pk}/", lambda w: {"therapist_note": "x"},
     (401, 404, 404, 200, 404, 404)),
    ("get", lambda w: f"{V}/breaks/{w.break_a.pk}/prompts/", None,
     (401, 404, 404, 200, 404, 404)),
    ("post", lambda w: f"{V}/breaks/{w.draft_a.pk}/activate/", None,
     (401, 404, 404, 200, 404, 404)),
    ("post", lambda w: f"{V}/breaks/{w.break_a.pk}/cancel/", None,
     (401, 404, 404, 200, 404, 404)),
    ("get", lambda w: f"{V}/breaks/{w.break_a.pk}/deliveries/", None,
     (401, 404, 404, 200, 404, 404)),
    ("get", lambda w: f"{V}/breaks/{w.break_a.pk}/check-ins/", None,
     (401, 404, 404, 200, 404, 200)),
    ("post", lambda w: f"{V}/absences/", _absence_body, (401, 403, 403, 201, 201, 201)),
    ("get", lambda w: f"{V}/absences/declared/", None, (401, 403, 403, 200, 200, 200)),
    ("post", lambda w: f"{V}/absences/activate/", lambda w: {"breaks": [w.break_a.pk]},
     (401, 403, 403, 200, 400, 400)),
    ("get", lambda w: f"{V}/coverage/", None, (401, 403, 403, 200, 200, 200)),
    ("get", lambda w: f"{V}/me/breaks/", None, (401, 200, 200, 403, 403, 403)),
    ("get", lambda w: f"{V}/me/inbox/", None, (401, 200, 200, 403, 403, 403)),
    ("post", lambda w: f"{V}/me/inbox/{w.inbox_a.pk}/acknowledge/", None,
     (401, 200, 404, 403, 403, 403)),
    ("post", lambda w: f"{V}/me/inbox/{w.inbox_a.pk}/feedback/", lambda w: {"helpful": True},
     (401, 200, 404, 403, 403, 403)),
    ("get", lambda w: f"{V}/me/support-map/", None, (401, 200, 200, 403, 403, 403)),
    ("put", lambda w: f"{V}/me/support-map/", lambda w: {"items": []},
     (401, 200, 200, 403, 403, 403)),
    ("get", lambda w: f"{V}/clients/{w.client_a.pk}/support-map/", None,
     (401, 403, 403, 200, 404, 404)),
    ("put", lambda w: f"{V}/clients/{w.client_a.pk}/support-map/", lambda w: {"items": []},
     (401, 403, 403, 200, 404, 404)),
    ("get", lambda w: f"{V}/me/preferences/", None, (401, 200, 200, 403, 403, 403)),
    ("patch", lambda w: f"{V}/me/preferences/", lambda w: {"prompt_times": ["10:00"]},
     (401, 200, 200, 403, 403, 403)),
    ("get", lambda w: f"{V}/me/calendar.ics", None, (401, 200, 200, 403, 403, 403)),
    ("post", lambda w: f"{V}/me/check-ins/", lambda w: {"distress": 3},
     (401, 201, 201, 403, 403, 403)),
    # Neither client's break is an ending: nothing to answer for (404).
    ("post", lambda w: f"{V}/me/follow-ups/", lambda w: {"granted": True},
     (401, 404, 404, 403, 403, 403)),
    ("get", lambda w: f"{V}/me/letters/", None, (401, 200, 200, 403, 403, 403)),
    ("post", lambda w: f"{V}/me/letters/", lambda w: {"text": "x", "arrival": "first_weekend"},
     (401, 201, 201, 403, 403, 403)),
    ("patch", lambda w: f"{V}/me/letters/{w.letter_a.pk}/", lambda w: {"shared": True},
     (401, 200, 404, 403, 403, 403)),
    ("delete", lambda w: f"{V}/me/letters/{w.letter_a.pk}/", None,
     (401, 204, 404, 403, 403, 403)),
    ("get", lambda w: f"{V}/me/export/", None, (401, 200, 200, 403, 403, 403)),
    ("post", lambda w: f"{V}/me/erase/", lambda w: {"confirm": "DELETE", "password": "wrong"},
     (401, 400, 400, 403, 403, 403)),
    ("get", lambda w: f"{V}/push/vapid-public-key/", None, (200, 200, 200, 200, 200, 200)),
    ("get", lambda w: f"{V}/me/push-subscriptions/", None, (401, 200, 200, 403, 403, 403)),
    ("post", lambda w: f"{V}/me/push-subscriptions/", _device_body,
     (401, 201, 201, 403, 403, 403)),
    ("delete", lambda w: f"{V}/me/push-subscriptions/{w.push_a.pk}/", None,
     (401, 204, 404, 403, 403, 403)),
    ("get", lambda w: f"{V}/ping/", None, (200, 200, 200, 200, 200, 200)),
    ("post", lambda w: f"{V}/auth/logout/", None, (401, 204, 204, 204, 204, 204)),
    ("post", lambda w: f"{V}/auth/logout-all/", None, (401, 204, 204, 204, 204, 204)),
]  # fmt: skip

CASES = [
    pytest.param(method, url, body, actor, expected[i], id=f"{method}-{i}-{actor}-{n}")
    for n, (method, url, body, expected) in enumerate(MATRIX)
    for i, actor in enumerate(ACTORS)
]


@pytest.mark.parametrize(("method", "url", "body", "actor", "expected"), CASES)
def test_it_answers_each_actor_as_the_matrix_says(world, method, url, body, actor, expected):
    api = world.api(actor)
    kwargs = {"format": "json"}
    if body is not None:
        kwargs["data"] = body(world)
    response = getattr(api, method)(url(world), **kwargs)
    assert response.status_code == expected, response.content[:500]
    text = response.content.decode()
    leaked = {marker for marker in FORBIDDEN[actor] if marker in text}
    assert not leaked, f"{actor} saw {leaked}"
    if expected == 404:
        assert response.json() == {"detail": "Not found."}
    if expected in (401, 403, 404):
        assert set(response.json()) == {"detail"}


def test_the_matrix_covers_every_route_and_method(world):
    from django.urls import resolve

    from planner.api import urls

    tested = {(resolve(url(world)).url_name, method.upper()) for method, url, _, _ in MATRIX} | {
        ("token", "POST")
    }  # anonymous by design: tests/api/test_me.py
    for pattern in urls.urlpatterns:
        for method in pattern.callback.view_class.http_method_names:
            if method.upper() in ("OPTIONS", "HEAD", "TRACE"):
                continue
            if hasattr(pattern.callback.view_class, method):
                assert (pattern.name, method.upper()) in tested, (pattern.name, method)


def test_a_foreign_object_answers_exactly_like_a_missing_one(world):
    api = world.api("therapist_b")
    foreign = api.get(f"{V}/breaks/{world.break_a.pk}/")
    missing = api.get(f"{V}/breaks/999999/")
    assert (foreign.status_code, foreign.content) == (missing.status_code, missing.content)
    foreign = api.get(f"{V}/clients/{world.client_a.pk}/")
    missing = api.get(f"{V}/clients/999999/")
    assert (foreign.status_code, foreign.content) == (missing.status_code, missing.content)


def test_lists_show_only_the_callers_own(world):
    body = world.api("therapist_b").get(f"{V}/breaks/").json()
    assert {row["id"] for row in body["results"]} == {world.break_b.pk}
    body = world.api("therapist_b").get(f"{V}/clients/").json()
    assert {row["id"] for row in body["results"]} == {world.client_b.pk}
    body = world.api("client_b").get(f"{V}/me/inbox/").json()
    assert {row["id"] for row in body["results"]} == {world.inbox_b.pk}
    body = world.api("covering").get(f"{V}/coverage/").json()
    assert [row["id"] for row in body["results"]] == [world.break_a.pk]
    assert [c["id"] for c in body["results"][0]["support_check_ins"]] == [world.check_in_a.pk]


def test_the_covering_clinician_gets_only_what_the_break_shares(world):
    body = world.api("covering").get(f"{V}/breaks/{world.break_a.pk}/").json()
    assert body["view"] == "covering"
    assert body["client_first_name"] == "Ada"
    assert "therapist_note" not in body and "warning_signs" not in body
    assert body["support_contacts"][0]["name"] == "Sis"  # the client agreed to share


def test_nothing_is_shared_with_the_covering_clinician_without_consent(world):
    from planner.breaks import services

    services.break_update(
        brk=world.break_a, actor=world.users["therapist_a"], share_check_ins_with_covering=False
    )
    api = world.api("covering")
    assert api.get(f"{V}/breaks/{world.break_a.pk}/check-ins/").status_code == 404
    assert api.get(f"{V}/breaks/{world.break_a.pk}/").json()["support_contacts"] == []
    assert api.get(f"{V}/coverage/").json()["results"][0]["support_check_ins"] == []
