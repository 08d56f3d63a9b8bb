"""Consent records (issue 9): versioned with timestamps, and never edited or deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.helpers import NOW, a_break


def test_consent_changes_are_versioned_with_timestamps(therapist, a_client):
    from planner.breaks import services
    from planner.me import services as me_services
    from planner.privacy.consent import consent_current, consent_history

    with time_machine.travel(NOW, tick=False):
        brk = a_break(therapist, a_client)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        services.break_update(
            brk=brk, actor=therapist, escalation_enabled=True, escalation_consent_at=NOW
        )
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        services.break_update(brk=brk, actor=therapist, escalation_enabled=False)
        me_services.preferences_update(
            client=a_client, actor=therapist, channels=["inbox"], full_text_opt_in=True
        )
    history = [(r.subject, r.granted, r.recorded_at) for r in consent_history(a_client)]
    assert ("escalation", True, NOW) in history
    assert ("escalation", False, NOW + timedelta(hours=2)) in history
    assert ("email", True) in [(subject, granted) for subject, granted, _ in history]
    assert ("email", False, NOW + timedelta(hours=2)) in history
    assert ("full_text", True, NOW + timedelta(hours=2)) in history
    current = consent_current(a_client)
    assert current["escalation"].granted is False
    assert current["email"].granted is False
    assert current["full_text"].granted is True
    assert current["sms"] is None
    # An edit that does not touch consent writes nothing.
    before = len(history)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        services.break_update(brk=brk, actor=therapist, therapist_note="Still here.")
    assert consent_history(a_client).count() == before


def test_a_consent_record_cannot_be_edited_or_deleted(therapist, a_client):
    from planner.models import ConsentRecord, ImmutableRecordError
    from planner.privacy.consent import consent_record

    record = consent_record(
        client=a_client, subject="sms", granted=True, source="web", actor=therapist
    )
    record.granted = False
    with pytest.raises(ImmutableRecordError):
        record.save()
    with pytest.raises(ImmutableRecordError):
        record.delete()
    with pytest.raises(ImmutableRecordError):
        ConsentRecord.objects.filter(client=a_client).delete()
    assert ConsentRecord.objects.get(pk=record.pk).granted is True
