"""/breaks/<id>/check-ins/ follows the one rule the API follows (check_ins_visible_to)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from planner.models import AuditEvent, Break, Client
from tests.factories import BreakFactory, BreakReviewFactory, CheckInFactory, ClientFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def covering(make_user):
    return make_user("therapist", first_name="Priya")


@pytest.fixture
def brk(therapist, covering):
    robin = ClientFactory(therapist=therapist, with_login=True)
    brk = BreakFactory(
        client=robin, now=START, covering_user=covering, share_check_ins_with_covering=True
    )
    CheckInFactory(client=robin, break_obj=brk, distress=8, note="NOTE-1", created_at=START)
    BreakReviewFactory(break_obj=brk, what_helped="REVIEW-1")
    return brk


def test_the_covering_clinician_sees_shared_check_ins_but_never_the_review(client, brk, covering):
    with time_machine.travel(START, tick=False):
        client.force_login(covering)
        html = client.get(f"/breaks/{brk.pk}/check-ins/").content.decode()
    assert "NOTE-1" in html
    assert "REVIEW-1" not in html
    read = AuditEvent.objects.get(action="checkin.read", actor=covering)
    assert (read.object_type, read.object_id) == ("break", str(brk.pk))


def test_without_sharing_the_page_is_a_404_for_the_covering_clinician(client, brk, covering):
    Break.objects.filter(pk=brk.pk).update(share_check_ins_with_covering=False)
    with time_machine.travel(START, tick=False):
        client.force_login(covering)
        assert client.get(f"/breaks/{brk.pk}/check-ins/").status_code == 404


def test_a_soft_deleted_clients_check_ins_are_a_404_like_the_api(client, brk, therapist):
    Client.objects.filter(pk=brk.client_id).update(deleted_at=START)
    with time_machine.travel(START + timedelta(days=20), tick=False):
        client.force_login(therapist)
        assert client.get(f"/breaks/{brk.pk}/check-ins/").status_code == 404
        assert client.get(f"/api/v1/breaks/{brk.pk}/check-ins/").status_code == 404
