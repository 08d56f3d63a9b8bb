"""Follow-ups after an ending: only with the client's own yes on My break; they quote the
blueprint; booster reminders speak of a booster only when one is booked; the calendar feed
carries the booked booster sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from planner.breaks import services
from planner.models import ConsentRecord, ScheduledPrompt
from tests.ending.conftest import BLUEPRINT
from tests.helpers import NOW, draft_break
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db

AFTER_THE_END = {"acknowledgement", "follow_up", "relapse_prevention", "closing"}


def after_last(brk) -> list[ScheduledPrompt]:
    return list(
        ScheduledPrompt.objects.filter(
            break_obj=brk, status="pending", send_at__gt=brk.ends_at
        ).order_by("send_at")
    )


@pytest.fixture
def ending(frozen, therapist, client_record, ending_data):
    brk = draft_break(therapist, client_record, **ending_data)
    services.break_activate(brk=brk, actor=therapist)
    return brk


def test_without_the_clients_yes_only_booster_reminders_follow_the_last_session(ending):
    later = after_last(ending)
    assert [p.category for p in later] == ["booster", "booster"]
    assert all("booster session" in p.text.lower() for p in later)
    assert ScheduledPrompt.objects.filter(break_obj=ending, category="taper").exists()


def test_my_break_asks_and_a_yes_plans_follow_ups_that_quote_the_blueprint(
    ending, as_client, client_record
):
    page = as_client.get("/me/").content.decode()
    assert "Messages after your last session" in page and "Yes, send me follow-ups" in page
    assert "will come less often" not in page  # not before the client said yes
    assert "come only if you say yes to them below" in page
    assert "a reminder a week before each booster session you booked" in page
    response = as_client.post("/me/follow-ups/", {"answer": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("#h-follow-ups")
    ending.refresh_from_db()
    assert ending.follow_ups_opted_in_at == NOW
    record = ConsentRecord.objects.get(client=client_record, subject="follow_ups")
    assert record.granted and record.recorded_by == client_record.user
    later = after_last(ending)
    assert {p.category for p in later} >= AFTER_THE_END
    # The follow-ups at growing intervals quote the client's blueprint, as they wrote it.
    quoted = [
        p
        for p in later
        if p.category in ("follow_up", "relapse_prevention")
        and any(
            f'"{words}"' in p.text
            for name in ("blueprint_learned", "blueprint_early_signs", "blueprint_actions")
            for words in BLUEPRINT[name]
        )
    ]
    assert len(quoted) >= 3, [p.text for p in later]
    assert all(p.text.startswith("From your plan") for p in quoted)
    gaps = [
        (b.send_at - a.send_at).days
        for a, b in zip(
            [p for p in later if p.category == "follow_up"],
            [p for p in later if p.category == "follow_up"][1:],
            strict=False,
        )
    ]
    assert gaps[0] == 7 and min(gaps[1:]) > 14  # growing intervals: a week, then months
    page = as_client.get("/me/").content.decode()
    assert "You said yes to follow-up messages on 1 December 2026" in page
    assert "The messages here will come less often over the months ahead." in page


def test_a_no_takes_the_planned_follow_ups_away(ending, as_client, client_record):
    as_client.post("/me/follow-ups/", {"answer": "yes"})
    as_client.post("/me/follow-ups/", {"answer": "no"})
    ending.refresh_from_db()
    assert ending.follow_ups_opted_in_at is None
    assert [p.category for p in after_last(ending)] == ["booster", "booster"]
    answers = ConsentRecord.objects.filter(client=client_record, subject="follow_ups")
    assert sorted(answers.values_list("granted", flat=True)) == [False, True]


def test_without_a_blueprint_no_follow_up_pretends_to_quote_one(
    frozen, as_client, therapist, client_record, ending_data
):
    empty = {k: [] for k in BLUEPRINT if k != "blueprint_come_back"}
    brk = draft_break(therapist, client_record, **{**ending_data, **empty})
    services.break_activate(brk=brk, actor=therapist)
    as_client.post("/me/follow-ups/", {"answer": "yes"})
    texts = [p.text for p in after_last(brk)]
    assert texts and not any("From your plan" in t for t in texts)
    assert not any("early signs to watch for and what you'd do" in t for t in texts)


def test_booster_prompts_only_when_a_booster_is_booked(
    frozen, as_client, therapist, client_record, ending_data
):
    brk = draft_break(therapist, client_record, **{**ending_data, "booster_sessions": []})
    services.break_activate(brk=brk, actor=therapist)
    page = as_client.get("/me/").content.decode()
    assert "Unless you say yes, nothing is sent after your last session." in page
    as_client.post("/me/follow-ups/", {"answer": "yes"})
    texts = [p.text.lower() for p in ScheduledPrompt.objects.filter(break_obj=brk)]
    assert texts and not any("booster" in t for t in texts)


def test_the_calendar_feed_carries_the_booster_dates(ending, client_record):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(client_record.user)}")
    feed = api.get("/api/v1/me/calendar.ics").content.decode()
    assert feed.count("SUMMARY:Booster session") == 2
    for at in ending.booster_datetimes:
        assert at.astimezone(at.tzinfo).strftime("%Y%m%d") in feed


def test_only_the_client_answers(ending, client, therapist):
    client.force_login(therapist)
    assert client.post("/me/follow-ups/", {"answer": "yes"}).status_code == 404
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(therapist)}")
    answer = api.patch(
        f"/api/v1/breaks/{ending.pk}/", {"follow_ups_opted_in_at": NOW.isoformat()}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["follow_ups_opted_in_at"] is None
    ending.refresh_from_db()
    assert ending.follow_ups_opted_in_at is None


def test_a_holiday_has_no_follow_ups_to_answer(frozen, as_client, therapist, client_record):
    brk = draft_break(therapist, client_record, starts_at=NOW + timedelta(days=2))
    services.break_activate(brk=brk, actor=therapist)
    assert "Messages after your last session" not in as_client.get("/me/").content.decode()
    assert as_client.post("/me/follow-ups/", {"answer": "yes"}).status_code == 404


def test_a_bad_answer_changes_nothing(ending, as_client):
    as_client.post("/me/follow-ups/", {"answer": "perhaps"})
    ending.refresh_from_db()
    assert ending.follow_ups_opted_in_at is None


def test_the_api_takes_the_same_answer(ending, client_record):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(client_record.user)}")
    answer = api.post("/api/v1/me/follow-ups/", {"granted": True}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["follow_ups_opted_in_at"].startswith("2026-12-01T12:00")
    assert {p.category for p in after_last(ending)} >= AFTER_THE_END
    record = ConsentRecord.objects.get(client=client_record, subject="follow_ups")
    assert record.granted and record.source.startswith("api")
    bad = api.post("/api/v1/me/follow-ups/", {"granted": "perhaps"}, format="json")
    assert bad.status_code == 400 and "granted" in bad.json()
    answer = api.post("/api/v1/me/follow-ups/", {"granted": False}, format="json")
    assert answer.json()["follow_ups_opted_in_at"] is None
    assert [p.category for p in after_last(ending)] == ["booster", "booster"]


def test_an_ending_stays_open_for_an_answer_until_after_its_last_session(
    frozen, therapist, client_record, ending_data
):
    brk = draft_break(therapist, client_record, **{**ending_data, "booster_sessions": []})
    services.break_activate(brk=brk, actor=therapist)
    before_last = brk.ends_at - timedelta(hours=12)
    # Every message before the last session went out; nothing is planned after it.
    brk.prompts.update(status="sent", sent_at=before_last, finished_at=before_last)
    services.breaks_advance(at=before_last)
    brk.refresh_from_db()
    assert brk.status == "active"
    services.breaks_advance(at=brk.ends_at + timedelta(days=2))
    brk.refresh_from_db()
    assert brk.status == "completed"
