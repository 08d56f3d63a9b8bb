"""On PostgreSQL: the checklist and the client's answer about follow-ups lock the break's row
(FOR NO KEY UPDATE OF the break), and an answer given while the therapist's checklist save
is in flight waits for it; neither write is lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from planner import audit
from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.checklist.services import checklist_update
from planner.ending.services import follow_ups_set
from planner.models import Break


@pytest.mark.django_db(transaction=True)
def test_an_answer_waits_for_a_checklist_save_and_both_are_kept(therapist, monkeypatch):
    library_load()
    now = timezone.now()
    alex = services.client_create(therapist=therapist, first_name="Alex")
    brk = services.break_create(
        therapist=therapist,
        client=alex,
        kind="ending",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=20),
        blueprint_early_signs=["Skipping football"],
    )
    services.break_activate(brk=brk, actor=therapist)
    inside, release = threading.Event(), threading.Event()
    record = audit.record

    def slow_record(actor, action, **kwargs):
        if action == "break.checklist":
            inside.set()
            release.wait(10)
        return record(actor, action, **kwargs)

    monkeypatch.setattr(audit, "record", slow_record)
    errors: list[Exception] = []

    def tick():
        try:
            checklist_update(
                brk=Break.objects.get(pk=brk.pk), actor=therapist, items={"talked_through": True}
            )
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    assert inside.wait(10)
    answered = threading.Event()

    def answer():
        try:
            follow_ups_set(brk=Break.objects.get(pk=brk.pk), actor=therapist, granted=True)
            answered.set()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    second = threading.Thread(target=answer, daemon=True)
    second.start()
    assert not answered.wait(1.5), "the answer did not wait for the row lock"
    release.set()
    thread.join(10)
    second.join(10)
    assert not errors, errors
    brk.refresh_from_db()
    assert set(brk.checklist) == {"talked_through"}
    assert brk.follow_ups_opted_in_at is not None
    assert brk.prompts.filter(category="follow_up", status="pending").exists()
