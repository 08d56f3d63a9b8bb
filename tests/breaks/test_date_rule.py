"""One date rule (the years 2000 to 2099) for the plan builder, the absence form, the API and
the services; a draft stored with a date outside it before the rule cannot make a page 500."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.breaks.validation import check_datetime, in_date_range
from planner.models import AuditEvent, Break, Client
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
MESSAGE = "Give a date between the years 2000 and 2099."


@pytest.fixture(autouse=True)
def _frozen(db):
    library_load()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def robin(therapist):
    return Client.objects.create(
        therapist=therapist, first_name="Robin", timezone="Europe/London", country="GB"
    )


@pytest.fixture
def as_therapist(client, therapist):
    client.force_login(therapist)
    return client


def plan_form(**overrides) -> dict:
    data = {
        "kind": "holiday",
        "timezone": "Europe/London",
        "starts_at": "2026-05-01T10:00",
        "ends_at": "2026-05-14T10:00",
        "prompt_times": "09:00, 13:00, 19:00",
        "max_per_day": "3",
        "min_spacing_minutes": "120",
        "distress_threshold": "7",
        "action": "save",
    }
    return {**data, **overrides}


def test_the_rule_itself():
    assert in_date_range(datetime(2000, 1, 1, tzinfo=UTC))
    assert in_date_range(datetime(2099, 12, 31, 23, 59, tzinfo=UTC))
    assert not in_date_range(datetime(2100, 1, 1, tzinfo=UTC))
    assert not in_date_range(datetime(1999, 12, 31, 23, 59, tzinfo=UTC))
    assert not in_date_range(datetime(1, 1, 1, tzinfo=UTC))
    assert not in_date_range(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    assert in_date_range(datetime(2099, 12, 31, 23, 0))  # a naive wall-clock time: its year
    with pytest.raises(ValidationError):
        check_datetime(datetime(1, 1, 1, tzinfo=UTC), "starts_at")
    assert check_datetime(None, "ends_at") is None


@pytest.mark.parametrize("year", ["0001", "1999", "2100", "9999"])
def test_the_plan_builder_refuses_a_year_outside_the_window(as_therapist, robin, year):
    url = f"/clients/{robin.pk}/breaks/new/"
    response = as_therapist.post(url, plan_form(starts_at=f"{year}-05-01T10:00"))
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert not Break.objects.filter(client=robin).exists()
    preview = as_therapist.post(
        "/breaks/preview/", {**plan_form(ends_at=f"{year}-05-14T10:00"), "client": robin.pk}
    )
    assert preview.status_code == 200
    assert MESSAGE in preview.content.decode()


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_the_absence_form_refuses_a_year_outside_the_window(as_therapist, robin, year):
    data = {
        "kind": "holiday",
        "starts_at": "2026-05-01T10:00",
        "ends_at": f"{year}-05-14T10:00",
        "clients": [robin.pk],
    }
    response = as_therapist.post("/absences/new/", data)
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert not Break.objects.exists()


def test_the_api_and_the_services_give_the_same_message(therapist, robin):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    body = {"client": robin.pk, "kind": "holiday", "starts_at": "9999-05-01T10:00:00Z"}
    response = api.post("/api/v1/breaks/", body, format="json")
    assert response.status_code == 400
    assert response.json()["starts_at"] == [MESSAGE]
    with pytest.raises(ValidationError) as caught:
        services.break_create(
            therapist=therapist,
            client=robin,
            kind="holiday",
            starts_at=datetime(1, 1, 2, tzinfo=UTC),
            ends_at=NOW + timedelta(days=9),
        )
    assert caught.value.message_dict == {"starts_at": [MESSAGE]}


@pytest.fixture
def old_bad_draft(therapist, robin) -> Break:
    """A draft the plan builder stored before the rule: year 9999, in the client's zone."""
    return Break.objects.create(
        client=robin,
        therapist=therapist,
        kind="holiday",
        timezone="Europe/London",
        starts_at=datetime(9999, 12, 20, 10, tzinfo=UTC),
        ends_at=datetime(9999, 12, 30, 10, tzinfo=UTC),
    )


def test_a_stored_bad_draft_does_not_break_the_pages(as_therapist, robin, old_bad_draft):
    brk = old_bad_draft
    for url in ("/", f"/clients/{robin.pk}/", f"/breaks/{brk.pk}/edit/"):
        assert as_therapist.get(url).status_code == 200, url
    page = as_therapist.get(f"/breaks/{brk.pk}/")
    assert page.status_code == 200
    assert "outside the years 2000 to 2099" in page.content.decode()
    review = as_therapist.get(f"/absences/review/?ids={brk.pk}")
    assert review.status_code == 200
    assert "Cannot be planned" in review.content.decode()
    preview = as_therapist.post(
        "/breaks/preview/", {**plan_form(), "client": robin.pk, "break": brk.pk}
    )
    assert preview.status_code == 200
    activate = as_therapist.post(f"/breaks/{brk.pk}/activate/", follow=True)
    assert activate.status_code == 200
    assert MESSAGE in activate.content.decode()
    brk.refresh_from_db()
    assert brk.status == Break.Status.DRAFT
    # ... and the therapist corrects it in the plan builder.
    fixed = as_therapist.post(f"/breaks/{brk.pk}/edit/", plan_form())
    assert fixed.status_code == 302
    brk.refresh_from_db()
    assert brk.starts_at.year == 2026


def test_a_stored_bad_draft_is_a_400_in_the_api(therapist, old_bad_draft):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    prompts = api.get(f"/api/v1/breaks/{old_bad_draft.pk}/prompts/")
    assert prompts.status_code == 400
    assert prompts.json() == {"starts_at": [MESSAGE]}
    activate = api.post(f"/api/v1/breaks/{old_bad_draft.pk}/activate/")
    assert activate.status_code == 400
    assert api.get(f"/api/v1/breaks/{old_bad_draft.pk}/").status_code == 200


def test_the_migration_cancels_drafts_outside_the_window_and_says_why(
    therapist, robin, old_bad_draft
):
    good = services.break_create(
        therapist=therapist,
        client=robin,
        kind="holiday",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=9),
    )
    year_one = Break.objects.create(
        client=robin,
        therapist=therapist,
        kind="gap",
        timezone="America/New_York",
        starts_at=datetime(2026, 5, 1, tzinfo=UTC),
        ends_at=datetime(1, 1, 3, tzinfo=UTC),
    )
    migration = importlib.import_module("planner.migrations.0007_integrity")
    migration.cancel_drafts_outside_the_date_window(apps, None)
    statuses = dict(Break.objects.values_list("pk", "status"))
    assert statuses == {good.pk: "draft", old_bad_draft.pk: "cancelled", year_one.pk: "cancelled"}
    reasons = AuditEvent.objects.filter(action="break.cancelled").values_list("object_id", "detail")
    assert {pk for pk, _detail in reasons} == {str(old_bad_draft.pk), str(year_one.pk)}
