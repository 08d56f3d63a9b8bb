"""One rule for "the client's break": what My break shows and what a check-in belongs to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from planner.breaks.selectors import break_in_progress, live_break_for_client
from planner.checkins.services import checkin_record
from planner.models import Break
from tests.factories import BreakFactory, ClientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def robin(therapist):
    return ClientFactory(therapist=therapist)


def a_break(client, starts_in_days: int, **fields) -> Break:
    fields.setdefault("status", Break.Status.SCHEDULED)
    # BreakFactory starts a break a day before its `now`.
    return BreakFactory(client=client, now=NOW + timedelta(days=starts_in_days + 1), **fields)


def test_the_break_in_progress_wins_over_the_next_one_coming(robin):
    now_on = a_break(robin, -2, status=Break.Status.ACTIVE)
    a_break(robin, 20)
    assert break_in_progress(robin, at=NOW) == now_on
    assert live_break_for_client(robin, at=NOW) == now_on
    with time_machine.travel(NOW, tick=False):
        assert checkin_record(client=robin, distress=3).check_in.break_obj == now_on


def test_before_a_break_my_break_shows_it_and_a_check_in_belongs_to_none(robin):
    coming = a_break(robin, 5)
    assert break_in_progress(robin, at=NOW) is None
    assert live_break_for_client(robin, at=NOW) == coming
    with time_machine.travel(NOW, tick=False):
        assert checkin_record(client=robin, distress=3).check_in.break_obj is None


def test_drafts_and_finished_breaks_are_never_the_clients_break(robin):
    a_break(robin, -3, status=Break.Status.DRAFT)
    a_break(robin, -30, status=Break.Status.COMPLETED)
    a_break(robin, -1, status=Break.Status.CANCELLED)
    assert live_break_for_client(robin, at=NOW) is None
