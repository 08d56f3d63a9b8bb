"""The pre-break checklist: ticked on the break's page and through the API, unticked items as
gentle reminders on the dashboard while the break comes nearer, and never a blocker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.checklist.services import checklist_update
from planner.models import AuditEvent, Break
from tests.helpers import NOW, a_break, error_next_to
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db

V = "/api/v1"


@pytest.fixture(autouse=True)
def _library(db):
    library_load()


@pytest.fixture
def holiday(frozen, therapist, a_client):
    return a_break(therapist, a_client)  # starts in 10 days, return session booked


@pytest.fixture
def as_therapist(client, therapist):
    client.force_login(therapist)
    return client


def api_for(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return api


def test_the_break_page_shows_the_checklist_and_saves_the_ticks(as_therapist, holiday):
    page = as_therapist.get(f"/breaks/{holiday.pk}/").content.decode()
    assert "Before the break: checklist" in page
    assert "Escalation consent discussed" in page and "Country and crisis lines" in page
    response = as_therapist.post(
        f"/breaks/{holiday.pk}/checklist/",
        {"notice_given": "2026-11-20", "talked_through": "on", "safety_plan_reviewed": "on"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#h-checklist")
    holiday.refresh_from_db()
    assert set(holiday.checklist) == {"talked_through", "safety_plan_reviewed"}
    assert holiday.notice_given_at.date().isoformat() == "2026-11-20"
    assert AuditEvent.objects.filter(action="break.checklist", object_id=holiday.pk).exists()
    page = as_therapist.get(f"/breaks/{holiday.pk}/").content.decode()
    assert 'value="2026-11-20"' in page and page.count("checked") >= 3  # two ticks, the return
    # Unticking one leaves the others.
    as_therapist.post(
        f"/breaks/{holiday.pk}/checklist/",
        {"notice_given": "2026-11-20", "talked_through": "on"},
    )
    holiday.refresh_from_db()
    assert set(holiday.checklist) == {"talked_through"}


def test_a_notice_after_the_start_is_an_error_next_to_the_field(as_therapist, holiday):
    late = (NOW + timedelta(days=12)).date().isoformat()
    response = as_therapist.post(
        f"/breaks/{holiday.pk}/checklist/", {"notice_given": late, "talked_through": "on"}
    )
    assert response.status_code == 200
    assert "before the break starts" in error_next_to(response.content.decode(), "notice_given")
    holiday.refresh_from_db()
    assert holiday.notice_given_at is None


def test_unticked_items_are_reminders_on_the_dashboard_as_the_break_comes(
    frozen, as_therapist, therapist, a_client, holiday
):
    later = a_break(
        therapist,
        a_client,
        starts_at=NOW + timedelta(days=40),
        ends_at=NOW + timedelta(days=50),
        return_session_at=NOW + timedelta(days=51),
    )
    page = as_therapist.get("/").content.decode()
    assert f'href="/breaks/{holiday.pk}/#h-checklist"' in page
    assert "Holiday for Robin Example in 10 days" in page
    assert "safety plan reviewed together in session" in page
    assert "return session booked" not in page  # the plan holds one
    assert f"/breaks/{later.pk}/#h-checklist" not in page  # not near yet
    ticks = ("talked_through", "safety_plan_reviewed", "cover_arranged")
    ticks += ("escalation_discussed", "crisis_lines_checked")
    everything = {"notice_given": (NOW - timedelta(days=20)).date(), **dict.fromkeys(ticks, True)}
    checklist_update(brk=holiday, actor=therapist, items=everything)
    page = as_therapist.get("/").content.decode()
    assert f"/breaks/{holiday.pk}/#h-checklist" not in page
    assert "Nothing left unticked" in page


def test_the_checklist_never_blocks_activation(frozen, therapist, holiday):
    assert holiday.checklist == {}
    services.break_activate(brk=holiday, actor=therapist)
    holiday.refresh_from_db()
    assert holiday.status == Break.Status.SCHEDULED and holiday.prompts.exists()


def test_an_ending_has_its_own_items_and_an_unplanned_absence_none(
    frozen, as_therapist, therapist, a_client
):
    ending = a_break(
        therapist,
        a_client,
        kind="ending",
        starts_at=NOW + timedelta(days=5),
        ends_at=NOW + timedelta(days=30),
        return_session_at=None,
    )
    page = as_therapist.get(f"/breaks/{ending.pk}/").content.decode()
    assert "Before the ending: checklist" in page and "Return session booked" not in page
    state = api_for(therapist).get(f"{V}/breaks/{ending.pk}/").json()["checklist"]
    assert set(state) == {
        "notice_given",
        "talked_through",
        "safety_plan_reviewed",
        "crisis_lines_checked",
    }
    refused = api_for(therapist).patch(
        f"{V}/breaks/{ending.pk}/", {"checklist": {"return_booked": True}}, format="json"
    )
    assert refused.status_code == 400 and "return_booked" in refused.json()["checklist"][0]
    unplanned = a_break(
        therapist,
        a_client,
        kind="unplanned",
        starts_at=NOW,
        ends_at=None,
        return_session_at=None,
        sessions_plan="cancelled_covering",
        covering_clinician={"name": "Priya Shah"},
    )
    assert api_for(therapist).get(f"{V}/breaks/{unplanned.pk}/").json()["checklist"] == {}
    assert "checklist" not in as_therapist.get(f"/breaks/{unplanned.pk}/").content.decode()


def test_the_api_reads_and_patches_the_checklist(frozen, therapist, holiday):
    api = api_for(therapist)
    state = api.get(f"{V}/breaks/{holiday.pk}/").json()["checklist"]
    assert state == {
        "notice_given": None,
        "talked_through": False,
        "safety_plan_reviewed": False,
        "cover_arranged": False,
        "escalation_discussed": False,
        "crisis_lines_checked": False,
        "return_booked": True,
    }
    answer = api.patch(
        f"{V}/breaks/{holiday.pk}/",
        {"checklist": {"notice_given": "2026-11-25", "cover_arranged": True}},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["checklist"]["notice_given"] == "2026-11-25"
    assert body["checklist"]["cover_arranged"] is True
    assert body["notice_given_at"].startswith("2026-11-25")
    answer = api.patch(
        f"{V}/breaks/{holiday.pk}/", {"checklist": {"cover_arranged": False}}, format="json"
    )
    assert answer.json()["checklist"]["cover_arranged"] is False
    assert answer.json()["checklist"]["notice_given"] == "2026-11-25"  # left as it was


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "yes",
        {"talked_through": "yes"},
        {"talked_through": 1},
        {"notice_given": "25/11/2026"},
        {"notice_given": True},
        {"notice_given": "1999-01-01"},
        {"made_up": True},
    ],
)
def test_bad_checklists_are_400_with_the_field_named(frozen, therapist, holiday, bad):
    answer = api_for(therapist).patch(
        f"{V}/breaks/{holiday.pk}/", {"checklist": bad}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert "checklist" in answer.json()
    holiday.refresh_from_db()
    assert holiday.checklist == {} and holiday.notice_given_at is None


def test_someone_elses_checklist_is_a_404(frozen, client, make_user, holiday):
    colleague = make_user("therapist", email="colleague@example.com")
    client.force_login(colleague)
    page = client.post(f"/breaks/{holiday.pk}/checklist/", {"talked_through": "on"})
    assert page.status_code == 404
    answer = api_for(colleague).patch(
        f"{V}/breaks/{holiday.pk}/", {"checklist": {"talked_through": True}}, format="json"
    )
    assert answer.status_code == 404
    holiday.refresh_from_db()
    assert holiday.checklist == {}


def test_a_cancelled_breaks_checklist_is_kept_as_it_was(frozen, as_therapist, therapist, holiday):
    checklist_update(brk=holiday, actor=therapist, items={"talked_through": True})
    services.break_cancel(brk=holiday, actor=therapist)
    page = as_therapist.get(f"/breaks/{holiday.pk}/").content.decode()
    assert "Kept as it was when the break ended." in page
    assert f'action="/breaks/{holiday.pk}/checklist/"' not in page
    response = as_therapist.post(f"/breaks/{holiday.pk}/checklist/", {})
    assert response.status_code == 200 and "kept as it was" in response.content.decode()
    holiday.refresh_from_db()
    assert set(holiday.checklist) == {"talked_through"}
