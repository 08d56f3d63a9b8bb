"""Issue 14 on the therapist's pages: the plan builder records the client's consent, the
notice date, booster sessions, the topics to leave out and an open-ended unplanned absence;
the dashboard warns about short notice; a caseload absence is reviewed before anything is
sent, with the clients to phone kept back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils.timezone import now

from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.models import Break, ConsentRecord, PromptTemplate
from tests.breaks.test_views import local, plan_data
from tests.factories import BreakFactory, ClientFactory
from tests.helpers import draft_break, error_next_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _library(db):
    library_load()


@pytest.fixture
def as_therapist(client, therapist):
    client.force_login(therapist)
    return client


def day(days: int) -> str:
    return (now() + timedelta(days=days)).strftime("%Y-%m-%d")


# --- Point 5: consent to escalation and to sharing check-ins, from the plan builder ------


def test_ticking_escalation_and_sharing_records_the_clients_consent(
    as_therapist, therapist, client_record
):
    data = plan_data(escalation_enabled="on", share_check_ins_with_covering="on")
    as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data)
    brk = Break.objects.get(client=client_record)
    assert brk.escalation_enabled and brk.escalation_consent_at is not None
    assert brk.share_check_ins_with_covering
    records = ConsentRecord.objects.filter(client=client_record).order_by("subject")
    assert {(r.subject, r.granted, r.recorded_by_id) for r in records} == {
        ("escalation", True, therapist.pk),
        ("share_check_ins", True, therapist.pk),
    }
    page = as_therapist.get(f"/breaks/{brk.pk}/").content.decode()
    assert "on, with the client's consent of" in page
    # Unticking is a withdrawal, recorded as well; the form shows the break's own state.
    edit = as_therapist.get(f"/breaks/{brk.pk}/edit/").content.decode()
    assert re.search(r'<input type="checkbox" name="escalation_enabled"[^>]* checked', edit)
    as_therapist.post(f"/breaks/{brk.pk}/edit/", plan_data())
    brk.refresh_from_db()
    assert not brk.escalation_enabled and brk.escalation_consent_at is None
    latest = ConsentRecord.objects.filter(client=client_record, subject="escalation").first()
    assert latest is not None and not latest.granted


def test_a_new_plan_never_carries_consent_over(as_therapist, therapist, client_record):
    old = draft_break(therapist, client_record, escalation_enabled=True)
    services.break_cancel(brk=old, actor=therapist)
    page = as_therapist.get(f"/clients/{client_record.pk}/breaks/new/").content.decode()
    assert not re.search(r'<input type="checkbox" name="escalation_enabled"[^>]* checked', page)


# --- Point 7: notice is the day the client was told --------------------------------------


def test_notice_given_is_the_day_entered_and_activation_does_not_set_it(
    as_therapist, therapist, client_record
):
    as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", plan_data())
    brk = Break.objects.get(client=client_record)
    as_therapist.post(f"/breaks/{brk.pk}/activate/")
    brk.refresh_from_db()
    assert brk.status == "scheduled" and brk.notice_given_at is None
    assert "not yet" in as_therapist.get(f"/breaks/{brk.pk}/").content.decode()
    as_therapist.post(f"/breaks/{brk.pk}/edit/", plan_data(notice_given_at=day(-3)))
    brk.refresh_from_db()
    told = brk.notice_given_at.astimezone(brk.notice_given_at.tzinfo)
    assert told.strftime("%Y-%m-%d") == day(-3)
    # No preparation message about the break reaches the client before the day after.
    first = brk.prompts.filter(category="preparation").order_by("send_at").first()
    assert first is None or first.send_at >= brk.notice_given_at + timedelta(days=1)


def test_a_notice_after_the_start_is_refused_next_to_the_field(as_therapist, client_record):
    html = as_therapist.post(
        f"/clients/{client_record.pk}/breaks/new/", plan_data(notice_given_at=day(12))
    ).content.decode()
    assert "before the break starts" in error_next_to(html, "notice_given_at")


def test_the_dashboard_flags_a_holiday_with_under_four_weeks_notice(
    as_therapist, therapist, client_record, settings
):
    sam = ClientFactory(therapist=therapist, first_name="Sam", last_name="Short")
    alex = ClientFactory(therapist=therapist, first_name="Alex", last_name="Ample")
    start = now() + timedelta(days=10)
    for client, notice in ((sam, 15), (alex, 40)):
        BreakFactory(
            client=client,
            status="scheduled",
            starts_at=start,
            ends_at=start + timedelta(days=14),
            notice_given_at=start - timedelta(days=notice),
        )
    html = as_therapist.get("/").content.decode()
    assert "Sam Short in 9 days, with only 15 days' notice" in html
    assert "Alex Ample in 9 days, with only" not in html
    assert "less than 28 days" in html
    settings.NOTICE_WARNING_DAYS = 42
    assert (
        "Alex Ample in 9 days, with only 40 days' notice" in as_therapist.get("/").content.decode()
    )


# --- Points 2 and 13: an open-ended absence, booked boosters --------------------------------


def test_the_plan_builder_takes_an_open_ended_unplanned_absence(as_therapist, client_record):
    data = plan_data(
        kind="unplanned",
        starts_at=local(0, hour=23),
        ends_at="",
        return_session_at="",
        sessions_plan="cancelled_covering",
    )
    html = as_therapist.post(
        f"/clients/{client_record.pk}/breaks/new/", {**data, "sessions_plan": ""}
    )
    assert "booked sessions" in error_next_to(html.content.decode(), "sessions_plan")
    as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data)
    brk = Break.objects.get(client=client_record)
    assert brk.ends_at is None and brk.return_session_at is None
    page = as_therapist.get(f"/breaks/{brk.pk}/").content.decode()
    assert "not known yet: no countdown is sent" in page
    assert "countdown" not in {row.category for row in brk.prompts.all()}


def test_booster_sessions_are_entered_and_only_booked_ones_are_spoken_of(
    as_therapist, client_record
):
    data = plan_data(
        kind="ending",
        starts_at=local(1),
        ends_at=local(60),
        return_session_at="",
        booster_1=local(150),
    )
    as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data)
    brk = Break.objects.get(client=client_record)
    assert len(brk.booster_datetimes) == 1
    schedule = as_therapist.get(f"/breaks/{brk.pk}/").content.decode()
    assert "Booster sessions" in schedule
    bad = as_therapist.post(
        f"/breaks/{brk.pk}/edit/", {**data, "booster_1": local(30)}
    ).content.decode()
    assert "after the last session" in error_next_to(bad, "booster_1")


def test_the_starts_help_is_right_for_an_ending(as_therapist, client_record):
    page = as_therapist.get(f"/clients/{client_record.pk}/breaks/new/").content.decode()
    assert "The last session before it." not in page
    assert "An ending: when the ending phase begins" in page


# --- Point 15: topics left out for one client -----------------------------------------------


def test_body_and_food_prompts_can_be_left_out_for_one_client(
    as_therapist, therapist, client_record
):
    tagged = set(PromptTemplate.objects.exclude(topics=[]).values_list("key", flat=True))
    assert tagged
    data = plan_data(avoid_topics=["body", "food"], ends_at=local(60), return_session_at=local(61))
    as_therapist.post(f"/clients/{client_record.pk}/breaks/new/", data)
    brk = Break.objects.get(client=client_record)
    assert brk.avoid_topics == ["body", "food"]
    services.break_activate(brk=brk, actor=therapist)
    used = set(brk.prompts.values_list("template__key", flat=True))
    assert used and not used & tagged
    # The next plan for this client starts with the same topics left out.
    services.break_cancel(brk=brk, actor=therapist)
    page = as_therapist.get(f"/clients/{client_record.pk}/breaks/new/").content.decode()
    assert 'value="body" id="id_avoid_topics_0" checked' in page


# --- Point 14: a caseload absence is reviewed, and some clients get a phone call ----------


def test_an_unplanned_absence_is_reviewed_with_each_first_message_and_phone_calls(
    as_therapist, therapist, client_record
):
    sam = ClientFactory(therapist=therapist, first_name="Sam", last_name="Rivers")
    archived = ClientFactory(therapist=therapist, first_name="Ari", archived_at=now())
    former = ClientFactory(therapist=therapist, first_name="Fern")
    BreakFactory(client=former, kind="ending", starts_at=now() - timedelta(days=30), ends_at=None)
    data = {
        "kind": "unplanned",
        "starts_at": local(0, hour=23),
        "ends_at": "",
        "covering_name": "Priya Shah",
        "sessions_plan": "cancelled_covering",
        "all_clients": "on",
    }
    response = as_therapist.post("/absences/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    drafts = Break.objects.filter(status="draft", kind="unplanned")
    assert {b.client_id for b in drafts} == {client_record.pk, sam.pk}  # no archived, no former
    assert archived.pk not in {b.client_id for b in drafts}
    review = as_therapist.get(response["Location"]).content.decode()
    assert "Nothing has been sent yet." in review
    # Each client's first message, as it will read: booked sessions, who will be in touch,
    # and that it is nobody's fault.
    assert review.count("not because of anything you did") + review.count("nothing you did") == 2
    assert (
        review.count("Your booked sessions are cancelled for now, and Priya Shah will contact you.")
        == 2
    )
    assert 'name="call_first"' in review
    sams = drafts.get(client=sam)
    ids = response["Location"].split("ids=")[1]
    done = as_therapist.post("/absences/activate/", {"ids": ids, "call_first": [str(sams.pk)]})
    assert done.status_code == 302
    sams.refresh_from_db()
    assert sams.status == "draft" and sams.needs_call and not sams.prompts.exists()
    robin = Break.objects.get(client=client_record, kind="unplanned")
    assert robin.status in ("scheduled", "active") and robin.prompts.exists()
    again = as_therapist.get(response["Location"]).content.decode()
    assert "1 client waits for a phone call" in again
    assert f'value="{sams.pk}" id="call-{sams.pk}" checked' in again
