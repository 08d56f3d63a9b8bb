"""Point 3 of issue 14: one rule decides who reads check-ins, and when. What the client is
told (``readers_for``), the therapist's dashboard, the break's check-in page and the API all
follow it (``readable_by``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from planner.checkins import selectors
from planner.models import Break
from tests.factories import BreakFactory, CheckInFactory, ClientFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)
SECRET = "SECRET-NOTE-OF-THE-CHECK-IN"


@pytest.fixture
def covering(make_user):
    return make_user("therapist", first_name="Priya", last_name="Shah")


@pytest.fixture
def robin(therapist):
    return ClientFactory(therapist=therapist, with_login=True, last_name="Ashdown", country="GB")


def holiday(robin, covering, **fields) -> Break:
    values = {
        "client": robin,
        "starts_at": START - timedelta(days=1),
        "ends_at": START + timedelta(days=14),
        "return_session_at": START + timedelta(days=15),
        "covering_clinician": {"name": "Priya Shah", "email": "priya@example.org"},
        "covering_user": covering,
        "share_check_ins_with_covering": True,
        **fields,
    }
    return BreakFactory(**values)


def asked_for_support(robin, brk, at=START):
    return CheckInFactory(
        client=robin, break_obj=brk, distress=9, need_support_now=True, note=SECRET, created_at=at
    )


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def what_the_therapist_sees(client, therapist, brk) -> dict[str, bool]:
    """Whether the note reaches the therapist on each of the three places it could."""
    client.force_login(therapist)
    api = api_for(therapist)
    dashboard = client.get("/").content.decode()
    page = client.get(f"/breaks/{brk.pk}/check-ins/").content.decode()
    listed = api.get(f"/api/v1/breaks/{brk.pk}/check-ins/").json()["results"]
    return {
        "dashboard": "asked for support now" in dashboard,
        "page": SECRET in page,
        "api": any(row["note"] == SECRET for row in listed),
    }


def test_during_a_holiday_the_therapist_reads_nothing_anywhere_as_the_client_is_told(
    client, therapist, covering, robin
):
    brk = holiday(robin, covering)
    asked_for_support(robin, brk)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        readers = selectors.readers_for(robin)
        assert "During your break, Morgan Hale does not read your check-ins." in readers.statements
        assert not readers.therapist_reads_now and readers.covering_reads_now
        assert what_the_therapist_sees(client, therapist, brk) == dict.fromkeys(
            ("dashboard", "page", "api"), False
        )
        # The covering colleague the client agreed to share with reads them, as told.
        coverage = api_for(covering).get("/api/v1/coverage/").json()["results"]
        assert [c["note"] for c in coverage[0]["support_check_ins"]] == [SECRET]
        client.force_login(covering)
        assert SECRET in client.get(f"/breaks/{brk.pk}/check-ins/").content.decode()


def test_once_the_break_is_over_the_therapist_reads_them_everywhere(
    client, therapist, covering, robin
):
    brk = holiday(robin, covering)
    asked_for_support(robin, brk)
    with time_machine.travel(brk.ends_at + timedelta(hours=1), tick=False):
        assert selectors.readers_for(robin).therapist_reads_now
        assert what_the_therapist_sees(client, therapist, brk) == dict.fromkeys(
            ("dashboard", "page", "api"), True
        )
        assert (
            api_for(covering).get("/api/v1/coverage/").json()["results"][0]["support_check_ins"]
            == []
        )


def test_an_open_ended_absence_is_not_over_until_it_is_closed(client, therapist, covering, robin):
    brk = holiday(robin, covering, kind=Break.Kind.UNPLANNED, ends_at=None, return_session_at=None)
    asked_for_support(robin, brk)
    with time_machine.travel(START + timedelta(days=10), tick=False):
        assert not selectors.readers_for(robin).therapist_reads_now
        assert not any(what_the_therapist_sees(client, therapist, brk).values())
        brk.status = Break.Status.COMPLETED
        brk.save(update_fields=["status"])
        assert all(what_the_therapist_sees(client, therapist, brk).values())


def test_after_an_ending_nobody_reviews_check_ins_and_the_client_is_told_so(
    client, therapist, practice, robin
):
    practice.name = "Harbour Counselling"
    practice.contact_phone = "+441632960000"
    practice.save(update_fields=["name", "contact_phone"])
    ending = BreakFactory(
        client=robin,
        kind=Break.Kind.ENDING,
        starts_at=START - timedelta(days=40),
        ends_at=START - timedelta(days=1),
    )
    with time_machine.travel(START, tick=False):
        readers = selectors.readers_for(robin)
        assert readers.statements[0] == (
            "Therapy has ended, so nobody reviews your check-ins: they are for you alone."
        )
        assert "To reach Harbour Counselling: +441632960000." in readers.statements
        client.force_login(robin.user)
        form = client.get("/me/check-in/").content.decode()
        assert "nobody reviews your check-ins" in form
        client.post("/me/check-in/", {"distress": "9", "need_support_now": "on", "note": SECRET})
        assert not any(what_the_therapist_sees(client, therapist, ending).values())
