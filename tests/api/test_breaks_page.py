"""``GET /api/v1/breaks/`` without filters reads its page with one statement written once
(``planner.breaks.selectors.therapist_breaks_page``), not through a queryset: the same
breaks in the same order as ``breaks_for_therapist``, the same JSON as
``BreakSummarySerializer``, the same pages as ``CountedPagePagination``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from tests.factories import BreakFactory, ClientFactory, TherapistFactory
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/breaks/"
T0 = datetime(2031, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)


@pytest.fixture
def caseload():
    """A therapist's breaks of every status, some starting at the same moment (the id
    decides), one with every optional date empty, one with every date set and odd
    microseconds, breaks of an archived client and of a deleted client; and another
    therapist's breaks."""
    from planner.models import Break

    with time_machine.travel(T0, tick=False):
        therapist = TherapistFactory()
        other = TherapistFactory()
        client = ClientFactory(therapist=therapist, timezone="Europe/London")
        archived = ClientFactory(therapist=therapist, archived_at=T0 - timedelta(days=9))
        deleted = ClientFactory(therapist=therapist, deleted_at=T0 - timedelta(days=2))
        theirs = ClientFactory(therapist=other)
        made = []
        for i, status in enumerate(Break.Status.values):
            made.append(
                BreakFactory(
                    client=client,
                    status=status,
                    starts_at=T0 + timedelta(days=i % 3, microseconds=i * 1000),
                )
            )
        same = T0.replace(microsecond=0) + timedelta(days=5)  # no fraction in the JSON either
        made += [BreakFactory(client=client, starts_at=same) for _ in range(3)]
        made.append(
            BreakFactory(
                client=client,
                status=Break.Status.DRAFT,
                starts_at=T0 + timedelta(days=7),
                ends_at=None,
                return_session_at=None,
                notice_given_at=None,
                covering_user=None,
            )
        )
        full = BreakFactory(
            client=client,
            starts_at=(T0 + timedelta(days=8)).astimezone(ZoneInfo("Pacific/Auckland")),
            ends_at=T0 + timedelta(days=20, microseconds=1),
            return_session_at=T0 + timedelta(days=21, microseconds=999999),
            notice_given_at=T0 - timedelta(days=30, microseconds=10),
            activated_at=T0 - timedelta(days=1),
            cancelled_at=T0 - timedelta(hours=1, microseconds=500000),
            paused_at=T0,
            needs_call=True,
            covering_user=other,
        )
        made.append(full)
        made.append(BreakFactory(client=archived, status=Break.Status.COMPLETED))
        BreakFactory(client=deleted)
        BreakFactory(client=theirs)
        BreakFactory(client=theirs, starts_at=same)
    # An edit in a later, different second (updated_at is auto_now).
    with time_machine.travel(T0 + timedelta(seconds=3, microseconds=7), tick=False):
        full.save(update_fields=["needs_call"])
    return therapist, other, made


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return api


def test_the_page_holds_exactly_the_breaks_of_the_queryset_in_its_order(caseload):
    from planner.api.serializers import BREAK_SUMMARY_COLUMNS
    from planner.breaks.selectors import (
        breaks_for_therapist,
        therapist_breaks_count,
        therapist_breaks_page,
    )

    therapist, other, made = caseload
    for user in (therapist, other):
        expected = list(breaks_for_therapist(user).values(*BREAK_SUMMARY_COLUMNS))
        assert therapist_breaks_page(user, BREAK_SUMMARY_COLUMNS, 0, 200) == (
            expected,
            len(expected),
        )
        assert therapist_breaks_count(user) == len(expected)
        for start, size in ((0, 1), (1, 3), (len(expected) - 1, 5)):
            page = therapist_breaks_page(user, BREAK_SUMMARY_COLUMNS, start, size)
            assert page == (expected[start : start + size], len(expected))
        assert therapist_breaks_page(user, BREAK_SUMMARY_COLUMNS, len(expected), 5) == ([], 0)
    # The archived client's break is listed; the deleted client's and other therapists' not.
    mine = [row["id"] for row in breaks_for_therapist(therapist).values("id")]
    assert sorted(mine) == sorted(b.pk for b in made)


def test_the_json_is_byte_for_byte_what_the_serializer_writes(caseload):
    from planner.api.serializers import BreakSummarySerializer
    from planner.breaks.selectors import breaks_for_therapist

    therapist, _other, made = caseload
    response = _api(therapist).get(f"{URL}?page_size=200")
    assert response.status_code == 200
    data = BreakSummarySerializer(breaks_for_therapist(therapist), many=True).data
    expected = {"count": len(made), "next": None, "previous": None, "results": data}
    assert response.content == JSONRenderer().render(expected)
    results = json.loads(response.content)["results"]
    assert {r["ends_at"] for r in results} >= {None, "2031-04-03T09:26:53.589794Z"}
    assert "2031-03-19T09:26:53Z" in {r["starts_at"] for r in results}


def test_pages_count_link_and_end_as_before(caseload):
    therapist, _other, made = caseload
    api = _api(therapist)
    total = len(made)
    everything = [b["id"] for b in api.get(f"{URL}?page_size=200").json()["results"]]

    first = api.get(f"{URL}?page_size=4").json()
    assert first["count"] == total and first["previous"] is None
    assert first["next"] == f"http://testserver{URL}?page=2&page_size=4"
    assert [b["id"] for b in first["results"]] == everything[:4]

    second = api.get(first["next"]).json()
    assert second["previous"] == f"http://testserver{URL}?page_size=4"
    assert [b["id"] for b in second["results"]] == everything[4:8]

    last_number = -(-total // 4)
    last = api.get(f"{URL}?page=last&page_size=4").json()
    assert last["next"] is None and last["count"] == total
    assert [b["id"] for b in last["results"]] == everything[(last_number - 1) * 4 :]
    assert last["previous"] == f"http://testserver{URL}?page={last_number - 1}&page_size=4"

    # The same pages as the queryset's path (a filter param makes the view take it).
    for page in ("1", "2", "last"):
        plain = api.get(f"{URL}?page={page}&page_size=4").json()
        filtered = api.get(f"{URL}?page={page}&page_size=4&ordering=-starts_at,-id").json()
        assert plain["results"] == filtered["results"]
        assert plain["count"] == filtered["count"]

    for bad in (str(last_number + 1), "0", "-1", "two", "9" * 30):
        answer = api.get(f"{URL}?page={bad}&page_size=4")
        assert answer.status_code == 404, bad
        assert answer.json() == {"detail": "Invalid page."}


def test_a_therapist_without_breaks_gets_an_empty_first_page():
    with time_machine.travel(T0, tick=False):
        therapist = TherapistFactory()
    api = _api(therapist)
    assert api.get(URL).json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert api.get(f"{URL}?page=last").json()["results"] == []
    assert api.get(f"{URL}?page=2").status_code == 404
