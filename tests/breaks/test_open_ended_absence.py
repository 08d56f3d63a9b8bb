"""Point 2 of issue 14 through the services: an unplanned absence may be open-ended; when a
return is booked the client hears it once and the countdown is planned; when the absence
goes on longer than they were told, an honest "still away" replaces the countdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.models import ScheduledPrompt
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _library(db):
    library_load()


def pending(brk) -> list[str]:
    return list(
        brk.prompts.filter(status=ScheduledPrompt.Status.PENDING, plan_version=brk.plan_version)
        .order_by("send_at")
        .values_list("category", flat=True)
    )


def send_everything_due(brk, at) -> None:
    brk.prompts.filter(status="pending", send_at__lte=at).update(status="sent", sent_at=at)


@pytest.fixture
def absence(therapist):
    robin = ClientFactory(therapist=therapist, timezone="Europe/London")
    with time_machine.travel(NOW, tick=False):
        brk = services.break_create(
            therapist=therapist,
            client=robin,
            kind="unplanned",
            starts_at=NOW,
            sessions_plan="cancelled_practice",
        )
        services.break_activate(brk=brk, actor=therapist)
        send_everything_due(brk, NOW + timedelta(hours=1))
    return brk


def test_an_open_ended_absence_has_no_countdown_and_no_made_up_return(absence):
    assert absence.ends_at is None and absence.return_session_at is None
    categories = set(absence.prompts.values_list("category", flat=True))
    assert "unplanned_notice" in categories
    assert not categories & {"countdown", "return", "review"}
    notice = absence.prompts.get(category="unplanned_notice").text
    assert "cancelled for now" in notice and "Test practice will contact you" in notice


def test_booking_the_return_tells_the_client_once_and_plans_the_countdown(absence, therapist):
    back = NOW + timedelta(days=20)
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        services.break_update(brk=absence, actor=therapist, return_session_at=back)
    absence.refresh_from_db()
    assert absence.ends_at == back  # the absence ends with the booked return
    upcoming = pending(absence)
    assert upcoming[0] == "return_booked"
    assert "countdown" in upcoming and upcoming[-1] in ("return", "review")
    assert upcoming.count("return_booked") == 1
    first = absence.prompts.filter(category="return_booked").first()
    assert "first session back" in first.text


def test_a_longer_absence_says_still_away_instead_of_counting_down(absence, therapist):
    back = NOW + timedelta(days=10)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        services.break_update(brk=absence, actor=therapist, return_session_at=back)
        send_everything_due(absence, NOW + timedelta(days=1, hours=1))
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        services.break_update(brk=absence, actor=therapist, return_session_at=None, ends_at=None)
    absence.refresh_from_db()
    upcoming = pending(absence)
    assert upcoming and upcoming[0] == "still_away"
    assert "countdown" not in upcoming and "return" not in upcoming
