"""On PostgreSQL, an edit in flight holds the break's row: an erasure that starts meanwhile
waits for it, then blanks the plan; the edit cannot write the erased text back."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.models import Break, Client, ScheduledPrompt
from planner.privacy.services import client_erase


def _in_thread(target, errors: list) -> threading.Thread:
    def run():
        try:
            target()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_an_erasure_waits_for_an_edit_in_flight_and_then_blanks_the_plan(therapist, monkeypatch):
    library_load()
    now = timezone.now()
    robin = services.client_create(therapist=therapist, first_name="Robin")
    brk = services.break_create(
        therapist=therapist,
        client=robin,
        kind="holiday",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=12),
        coping_strategies=["a walk by the river"],
    )
    services.break_activate(brk=brk, actor=therapist)

    locked, release = threading.Event(), threading.Event()
    validate = services.validate_break

    def slow_validate(b):  # runs inside break_update, after the row is locked
        locked.set()
        release.wait(10)
        validate(b)

    monkeypatch.setattr(services, "validate_break", slow_validate)
    errors: list = []
    edit = _in_thread(
        lambda: services.break_update(
            brk=Break.objects.get(pk=brk.pk), actor=therapist, coping_strategies=["EDITED"]
        ),
        errors,
    )
    assert locked.wait(10)
    erase = _in_thread(
        lambda: client_erase(client=Client.objects.get(pk=robin.pk), actor=therapist), errors
    )
    erase.join(1.5)
    assert erase.is_alive(), "the erasure should wait for the edit's lock"
    release.set()
    edit.join(20)
    erase.join(20)
    assert not errors, errors

    brk.refresh_from_db()
    assert brk.status == Break.Status.CANCELLED
    assert brk.coping_strategies == []  # the edit's text did not survive the erasure
    assert not ScheduledPrompt.objects.filter(
        break_obj=brk, status__in=ScheduledPrompt.OPEN_STATUSES
    ).exists()
    assert not ScheduledPrompt.objects.filter(break_obj=brk).exclude(text="").exists()
