"""Who read a client's plan, check-ins and contact details is in the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from planner.models import AuditEvent
from tests.helpers import NOW


def reads(action: str) -> list[tuple[int | None, str]]:
    return list(AuditEvent.objects.filter(action=action).values_list("actor_id", "object_id"))


def test_a_therapist_reading_a_plan_and_contact_details_is_recorded_once(
    client,
    therapist,
    client_with_history,
):
    brk = client_with_history.breaks.get()
    client.force_login(therapist)
    for _ in range(3):
        assert client.get(f"/breaks/{brk.pk}/").status_code == 200
        assert client.get(f"/clients/{client_with_history.pk}/").status_code == 200
    assert reads("break.read") == [(therapist.pk, str(brk.pk))]
    assert reads("client.read") == [(therapist.pk, str(client_with_history.pk))]


def test_the_covering_clinician_reading_shared_check_ins_is_recorded(
    client,
    make_user,
    client_with_history,
):
    from rest_framework.test import APIClient

    brk = client_with_history.breaks.get()
    covering = make_user("therapist", email="covering@example.com")
    brk.covering_user = covering
    brk.share_check_ins_with_covering = True
    brk.save()
    api = APIClient()
    api.force_authenticate(covering)
    assert api.get(f"/api/v1/breaks/{brk.pk}/check-ins/").status_code == 200
    assert (covering.pk, str(brk.pk)) in reads("checkin.read")
    assert (covering.pk, str(brk.pk)) in reads("break.read")


def test_staff_opening_a_record_in_the_admin_is_recorded(
    client,
    make_user,
    client_with_history,
):
    staff = make_user("staff", email="staff@example.com", is_staff=True, is_superuser=True)
    client.force_login(staff)
    check_in = client_with_history.check_ins.get()
    url = f"/admin/planner/checkin/{check_in.pk}/change/"
    assert client.get(url).status_code == 200
    assert reads("checkin.read") == [(staff.pk, str(check_in.pk))]


def test_a_client_reading_their_own_plan_is_not_an_audit_event(
    client,
    client_with_history,
):
    client.force_login(client_with_history.user)
    assert client.get("/me/").status_code == 200
    assert not AuditEvent.objects.filter(action__endswith=".read").exists()


def test_record_read_writes_one_row_per_ten_minutes(therapist, a_client):
    from planner.audit import record_read
    from planner.models import AuditEvent

    with time_machine.travel(NOW, tick=False):
        assert record_read(therapist, "client", a_client, a_client) is not None
        for _ in range(9):
            assert record_read(therapist, "client", a_client, a_client) is None
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert record_read(therapist, "client", a_client, a_client) is not None
    reads = AuditEvent.objects.filter(action="client.read", client=a_client)
    assert reads.count() == 2
    assert reads.first().object_id == str(a_client.pk)


def test_audit_events_cannot_be_changed_in_the_admin_or_the_orm(
    client, make_user, therapist, a_client
):
    from planner.models import AuditEvent, ImmutableRecordError

    event = AuditEvent.objects.filter(client=a_client).first()
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))
    assert client.get("/admin/planner/auditevent/").status_code == 200
    change = client.post(f"/admin/planner/auditevent/{event.pk}/change/", {"action": "x"})
    assert change.status_code in (200, 403)
    assert b'name="action"' not in change.content  # read-only view at most
    assert client.post(f"/admin/planner/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/planner/auditevent/add/").status_code == 403
    event.refresh_from_db()
    assert event.action == "client.created"
    event.action = "tampered"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.all().delete()
