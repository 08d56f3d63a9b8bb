"""Writes on rows that changed since they were loaded: an edit in flight during a cancel or an
erasure, an empty PATCH, resuming what was never paused. Each service re-reads (and locks)
the row, checks its state again and writes only what changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.models import AuditEvent, Break, Client, ConsentRecord, ScheduledPrompt
from planner.privacy.consent import channel_consent_set
from planner.privacy.services import client_erase
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen(db):
    library_load()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def robin(therapist):
    return services.client_create(
        therapist=therapist,
        first_name="Robin",
        phone="+447700900124",
        email="robin@example.com",
        channels=["inbox", "sms"],
    )


@pytest.fixture
def live(therapist, robin) -> Break:
    brk = services.break_create(
        therapist=therapist,
        client=robin,
        kind="holiday",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=12),
        coping_strategies=["a walk by the river"],
        therapist_note="See you soon.",
    )
    return services.break_activate(brk=brk, actor=therapist)


def pending(brk: Break) -> int:
    return brk.prompts.filter(status=ScheduledPrompt.Status.PENDING).count()


# --- 12. An edit in flight ----------------------------------------------------------------


def test_an_edit_loaded_before_a_cancel_does_not_undo_it(therapist, live):
    stale = Break.objects.get(pk=live.pk)  # the edit page loaded it ...
    services.break_cancel(brk=Break.objects.get(pk=live.pk), actor=therapist)  # ... a cancel ...
    with pytest.raises(ValidationError) as caught:
        services.break_update(brk=stale, actor=therapist, therapist_note="Changed.")
    assert "status" in caught.value.message_dict
    live.refresh_from_db()
    assert live.status == Break.Status.CANCELLED
    assert live.therapist_note == "See you soon."
    assert pending(live) == 0


def test_an_edit_loaded_before_an_erasure_does_not_write_the_plan_back(therapist, robin, live):
    stale = Break.objects.get(pk=live.pk)
    client_erase(client=Client.objects.get(pk=robin.pk), actor=therapist)
    with pytest.raises(ValidationError):
        services.break_update(brk=stale, actor=therapist, max_per_day=2)
    live.refresh_from_db()
    assert live.status == Break.Status.CANCELLED
    assert live.coping_strategies == [] and live.therapist_note == ""
    assert pending(live) == 0


def test_an_edit_writes_only_the_fields_it_changes(therapist, live):
    other = Break.objects.get(pk=live.pk)
    services.break_pause(brk=other, actor=therapist)  # lands after `live` was loaded
    services.break_update(brk=live, actor=therapist, therapist_note="Changed.")
    live.refresh_from_db()
    assert live.therapist_note == "Changed."
    assert live.paused_at is not None  # not written back from the stale object


def test_an_activation_loaded_before_a_cancel_is_refused(therapist, robin):
    draft = services.break_create(
        therapist=therapist,
        client=robin,
        kind="gap",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=12),
    )
    services.break_cancel(brk=Break.objects.get(pk=draft.pk), actor=therapist)
    with pytest.raises(ValidationError):
        services.break_activate(brk=draft, actor=therapist)
    draft.refresh_from_db()
    assert draft.status == Break.Status.CANCELLED and not draft.prompts.exists()


# --- 13. An empty change writes nothing -----------------------------------------------------


def test_an_empty_client_patch_after_a_stop_writes_nothing(therapist, robin):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    stale = Client.objects.get(pk=robin.pk)
    channel_consent_set(client=robin, channel="sms", granted=False, source="sms-stop")
    records = ConsentRecord.objects.count()
    updates = AuditEvent.objects.filter(action="client.updated")
    events = updates.count()
    response = api.patch(f"/api/v1/clients/{robin.pk}/", {}, format="json")
    assert response.status_code == 200
    assert "sms" not in response.json()["channels"]
    services.client_update(client=stale, actor=therapist)  # the stale object, from a page
    robin.refresh_from_db()
    assert robin.channels == ["inbox"]
    assert ConsentRecord.objects.count() == records
    assert updates.count() == events  # (the API's read of the record is audited, as ever)


def test_a_change_to_the_same_values_writes_nothing(therapist, robin):
    events = AuditEvent.objects.count()
    same = services.client_update(client=robin, actor=therapist, first_name="Robin")
    assert same.first_name == "Robin"
    assert AuditEvent.objects.count() == events


def test_a_client_change_loaded_before_a_stop_keeps_the_stop(therapist, robin):
    stale = Client.objects.get(pk=robin.pk)
    channel_consent_set(client=robin, channel="sms", granted=False, source="sms-stop")
    updated = services.client_update(client=stale, actor=therapist, first_name="Rob")
    assert updated.channels == ["inbox"] and updated.first_name == "Rob"
    robin.refresh_from_db()
    assert robin.channels == ["inbox"]


def test_an_empty_break_patch_writes_nothing_and_reschedules_nothing(therapist, live):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    version, updated_at = live.plan_version, live.updated_at
    prompts = set(live.prompts.values_list("id", flat=True))
    response = api.patch(f"/api/v1/breaks/{live.pk}/", {}, format="json")
    assert response.status_code == 200
    live.refresh_from_db()
    assert (live.plan_version, live.updated_at) == (version, updated_at)
    assert set(live.prompts.values_list("id", flat=True)) == prompts


# --- 14. Only a paused break resumes ----------------------------------------------------------


@pytest.mark.parametrize("end", ["cancel", "complete", "never-paused"])
def test_only_a_paused_break_resumes(therapist, live, end):
    if end == "cancel":
        services.break_pause(brk=live, actor=therapist)
        services.break_cancel(brk=live, actor=therapist)
    elif end == "complete":
        services.break_pause(brk=live, actor=therapist)
        Break.objects.filter(pk=live.pk).update(status=Break.Status.COMPLETED)
    before = Break.objects.get(pk=live.pk)
    with pytest.raises(ValidationError) as caught:
        services.break_resume(brk=live, actor=therapist)
    assert caught.value.message_dict == {"status": ["Only a paused break can be resumed."]}
    after = Break.objects.get(pk=live.pk)
    assert (after.status, after.paused_at) == (before.status, before.paused_at)


def test_a_paused_break_resumes(therapist, live):
    services.break_pause(brk=live, actor=therapist)
    resumed = services.break_resume(brk=Break.objects.get(pk=live.pk), actor=therapist)
    assert resumed.paused_at is None and resumed.is_live


def test_the_resume_button_on_a_cancelled_break_says_no(client, therapist, live):
    services.break_pause(brk=live, actor=therapist)
    services.break_cancel(brk=live, actor=therapist)
    client.force_login(therapist)
    page = client.post(f"/breaks/{live.pk}/resume/", follow=True)
    assert "Only a paused break can be resumed." in page.content.decode()
    live.refresh_from_db()
    assert live.status == Break.Status.CANCELLED and live.paused_at is not None
