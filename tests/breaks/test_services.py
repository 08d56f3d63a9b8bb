"""Break services: validation, activation, rescheduling, cancelling, caseload absences."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.models import User
from planner.breaks import services
from planner.me import services as me_services
from planner.models import Break, ConsentRecord, ScheduledPrompt
from tests.factories import ClientFactory, PracticeFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def client_of(db):
    """Robin (or another client) of a therapist, in London, quiet from 22:00 to 07:00."""

    def make(therapist, **fields):
        fields.setdefault("timezone", "Europe/London")
        fields.setdefault("quiet_hours_start", time(22, 0))
        fields.setdefault("quiet_hours_end", time(7, 0))
        return ClientFactory(therapist=therapist, **fields)

    return make


def holiday(therapist, client, **extra):
    data = {
        "kind": "holiday",
        "starts_at": NOW + timedelta(days=10),
        "ends_at": NOW + timedelta(days=24),
        "return_session_at": NOW + timedelta(days=25),
        "coping_strategies": ["a walk by the river"],
        "support_contacts": [{"name": "Jamie", "relationship": "friend", "phone": "+4477"}],
        **extra,
    }
    return services.break_create(therapist=therapist, client=client, **data)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_it_creates_a_draft_with_the_clients_defaults(therapist, client_of):
    client = client_of(therapist, prompt_times=["08:30", "18:00"])
    brk = holiday(therapist, client)
    assert brk.status == Break.Status.DRAFT
    assert brk.timezone == "Europe/London"
    assert brk.quiet_hours_start == time(22, 0)
    assert brk.prompt_times == ["08:30", "18:00"]
    assert not brk.prompts.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ends_at": NOW + timedelta(days=5)}, "ends_at"),
        ({"ends_at": None}, "ends_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"return_session_at": NOW + timedelta(days=20)}, "return_session_at"),
        ({"quiet_hours_start": "06:00", "quiet_hours_end": "23:00"}, "quiet_hours_start"),
        ({"prompt_times": ["25:00"]}, "prompt_times"),
        ({"kind": "sabbatical"}, "kind"),
        ({"therapist_note": "x" * 5000}, "therapist_note"),
        ({"support_contacts": [{"relationship": "friend"}]}, "support_contacts"),
        ({"starts_at": datetime(2026, 12, 1, 9, 0)}, "starts_at"),
        ({"ends_at": NOW + timedelta(days=500), "return_session_at": None}, "ends_at"),
    ],
)
def test_it_rejects_bad_plans_naming_the_field(therapist, client_of, extra, field):
    client = client_of(therapist)
    with pytest.raises(ValidationError) as excinfo:
        holiday(therapist, client, **extra)
    assert field in errors_of(excinfo)
    assert not Break.objects.exists()


def test_it_refuses_a_break_for_another_therapists_client(make_user, client_of):
    mine, theirs = make_user("therapist"), make_user("therapist")
    client = client_of(theirs)
    with pytest.raises(ValidationError) as excinfo:
        holiday(mine, client)
    assert errors_of(excinfo) == {"client": ["Unknown client."]}


def test_it_stores_prompts_on_activation(therapist, client_of):
    brk = holiday(therapist, client_of(therapist))
    services.break_activate(brk=brk, actor=therapist, at=NOW)
    brk.refresh_from_db()
    assert brk.status == Break.Status.SCHEDULED
    prompts = list(brk.prompts.all())
    assert len(prompts) > 10
    assert all(p.status == ScheduledPrompt.Status.PENDING for p in prompts)
    assert all(p.due_at == p.send_at and p.valid_until > p.send_at for p in prompts)
    assert {"preparation", "first_contact", "countdown", "return"} <= {p.category for p in prompts}
    # Placeholders are filled: no braces reach the client.
    assert not any("{" in p.text for p in prompts)
    assert any("a walk by the river" in p.text for p in prompts) or any(
        "Jamie" in p.text for p in prompts
    )


def test_it_activates_a_break_that_has_started_as_active(therapist, client_of):
    brk = holiday(therapist, client_of(therapist))
    services.break_activate(brk=brk, actor=therapist, at=NOW + timedelta(days=11))
    assert brk.status == Break.Status.ACTIVE
    assert brk.prompts.order_by("send_at").first().send_at >= NOW + timedelta(days=11)


def test_editing_a_scheduled_break_replans_unsent_prompts_and_keeps_sent_ones(therapist, client_of):
    brk = holiday(therapist, client_of(therapist))
    services.break_activate(brk=brk, actor=therapist, at=NOW)
    first = brk.prompts.order_by("send_at").first()
    ScheduledPrompt.objects.filter(pk=first.pk).update(status="sent", sent_at=first.send_at)
    old_pending = set(brk.prompts.filter(status="pending").values_list("pk", flat=True))

    # The edit is made before the break starts, whatever today's date is.
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        services.break_update(brk=brk, actor=therapist, prompt_times=["10:00"])

    brk.refresh_from_db()
    assert brk.plan_version == 2
    assert ScheduledPrompt.objects.get(pk=first.pk).status == "sent"
    pending = brk.prompts.filter(status="pending")
    assert not old_pending & set(pending.values_list("pk", flat=True))
    assert all(p.plan_version == 2 for p in pending)
    tz_hours = {p.send_at.astimezone(ZoneInfo("Europe/London")).hour for p in pending}
    assert 10 in tz_hours


def test_cancelling_skips_every_pending_prompt(therapist, client_of):
    brk = holiday(therapist, client_of(therapist))
    services.break_activate(brk=brk, actor=therapist, at=NOW)
    services.break_cancel(brk=brk, actor=therapist)
    assert brk.status == Break.Status.CANCELLED
    statuses = set(brk.prompts.values_list("status", "skip_reason"))
    assert statuses == {("skipped", "cancelled")}
    with pytest.raises(ValidationError):
        services.break_cancel(brk=brk, actor=therapist)


def test_a_colleague_declares_an_unplanned_absence_with_a_neutral_first_message(
    make_user, client_of
):
    ill = make_user("therapist", first_name="Morgan")
    colleague = make_user("therapist", first_name="Priya")
    for name in ("Ana", "Ben"):
        client_of(ill, first_name=name, quiet_hours_start=None, quiet_hours_end=None)
    breaks = services.absence_plan(
        actor=colleague,
        therapist=ill,
        clients="all",
        kind="unplanned",
        at=NOW,
        starts_at=NOW,
        ends_at=NOW + timedelta(days=7),
        covering_clinician={"name": "Priya Shah", "phone": "+441", "email": "p@example.com"},
        sessions_plan="cancelled_covering",
    )
    assert {b.status for b in breaks} == {Break.Status.DRAFT}  # "all": the review step first
    services.absence_activate(breaks=breaks, call_first=set(), actor=colleague, at=NOW)
    assert {b.status for b in breaks} == {Break.Status.ACTIVE}
    for brk in breaks:
        first = brk.prompts.order_by("send_at").first()
        assert first.category == "unplanned_notice"
        assert first.send_at - NOW <= timedelta(minutes=10)
        assert "Priya Shah" in first.text and "Morgan" in first.text
        assert "not because of anything you did" in first.text or "nothing you did" in first.text


def test_nobody_outside_the_practice_declares_an_absence(make_user, client_of):

    ill = make_user("therapist")
    client_of(ill)
    outsider = make_user("staff", practice=PracticeFactory(name="Elsewhere"))
    with pytest.raises(ValidationError) as excinfo:
        services.absence_plan(
            actor=outsider,
            therapist=ill,
            clients="all",
            kind="unplanned",
            starts_at=NOW,
            ends_at=NOW + timedelta(days=7),
        )
    assert "therapist" in errors_of(excinfo)
    assert not Break.objects.exists()


def test_absence_plan_rejects_unknown_client_ids(therapist, make_user, client_of):
    other = client_of(make_user("therapist"))
    with pytest.raises(ValidationError) as excinfo:
        services.absence_plan(
            actor=therapist,
            therapist=therapist,
            clients=[other.pk],
            kind="holiday",
            starts_at=NOW,
            ends_at=NOW + timedelta(days=7),
        )
    assert errors_of(excinfo) == {"clients": [f"Unknown client id {other.pk}."]}


def test_a_new_plan_starts_from_the_last_one(therapist, client_of):
    client = client_of(therapist)
    first = holiday(therapist, client, warning_signs=["Not sleeping"])
    services.break_activate(brk=first, actor=therapist, at=NOW)
    services.break_cancel(brk=first, actor=therapist)
    second = services.break_create(
        therapist=therapist,
        client=client,
        kind="gap",
        starts_at=NOW + timedelta(days=40),
        ends_at=NOW + timedelta(days=60),
    )
    assert second.warning_signs == ["Not sleeping"]
    assert second.coping_strategies == ["a walk by the river"]


def test_client_preferences_move_the_schedule_of_a_live_break(therapist, client_of):
    client = client_of(therapist, prompt_times=["09:00", "19:00"])
    brk = holiday(therapist, client)
    services.break_activate(brk=brk, actor=therapist, at=NOW)
    user = User.objects.create_user("robin@example.com", "a-long-test-password-1", role="client")
    me_services.preferences_update(
        client=client,
        actor=user,
        quiet_hours_start="18:00",
        quiet_hours_end="08:00",
        channels=["inbox", "email"],
    )
    brk.refresh_from_db()
    assert brk.quiet_hours_start == time(18, 0)
    london = ZoneInfo("Europe/London")
    hours = {p.send_at.astimezone(london).hour for p in brk.prompts.filter(status="pending")}
    assert 19 not in hours
    consent = ConsentRecord.objects.get(client=client, subject="email")
    assert consent.granted and consent.source == "client"


def test_preferences_refuse_quiet_hours_that_cover_every_prompt_time(therapist, client_of):
    client = client_of(therapist, prompt_times=["09:00"])
    with pytest.raises(ValidationError) as excinfo:
        me_services.preferences_update(
            client=client, actor=therapist, quiet_hours_start="08:00", quiet_hours_end="10:00"
        )
    assert "quiet_hours_start" in errors_of(excinfo)


def test_breaks_advance_from_scheduled_to_active_to_completed(therapist, client_of):
    brk = holiday(therapist, client_of(therapist))
    services.break_activate(brk=brk, actor=therapist, at=NOW)
    services.breaks_advance(at=NOW + timedelta(days=11))
    brk.refresh_from_db()
    assert brk.status == Break.Status.ACTIVE
    services.breaks_advance(at=NOW + timedelta(days=28))
    brk.refresh_from_db()
    assert brk.status == Break.Status.COMPLETED


def test_a_therapist_cannot_set_quiet_hours_that_silence_a_clients_break(therapist, client_of):
    client = client_of(therapist, prompt_times=["09:00", "19:00"])
    brk = holiday(therapist, client, prompt_times=["19:00"])
    services.break_activate(brk=brk, actor=therapist, at=NOW)
    # Covers the break's only time (19:00) though not the client's 09:00.
    with pytest.raises(ValidationError) as excinfo:
        services.client_update(
            client=client, actor=therapist, quiet_hours_start="18:00", quiet_hours_end="08:00"
        )
    assert "quiet_hours_start" in errors_of(excinfo)
    brk.refresh_from_db()
    assert brk.quiet_hours_start == time(22, 0)
