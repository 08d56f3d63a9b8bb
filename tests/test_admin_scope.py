"""The admin and the staff pages are scoped to a practice (issue 13, points 2 and 6).

Practice staff are ``is_staff`` members of a practice with the "Practice staff" group's
permissions; a superuser is the operator of the installation. The full sweep of every admin
page with another practice's objects is in tests/test_idor.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils.timezone import now

from core.models import Practice, User
from planner.admin import PRACTICE_STAFF_GROUP, practice_staff_group
from planner.models import Client, PracticeCrisisResource, PromptTemplate, ScheduledPrompt

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_of(make_user):
    def make(practice, **fields) -> User:
        user = make_user("staff", practice=practice, is_staff=True, **fields)
        user.groups.add(practice_staff_group())
        return user

    return make


@pytest.fixture
def elsewhere():
    return Practice.objects.create(name="Elsewhere Therapy")


def test_the_demo_staff_login_is_practice_staff_not_a_superuser(settings, client):
    settings.DEBUG = True
    call_command("loaddemo")
    settings.DEBUG = False
    staff = User.objects.get(email="staff@example.com")
    assert staff.is_staff and not staff.is_superuser
    assert staff.practice.name == "Riverside Therapy (demo)"
    assert staff.groups.filter(name=PRACTICE_STAFF_GROUP).exists()
    client.force_login(staff)
    assert client.get("/admin/planner/client/").status_code == 200
    assert client.get("/admin/planner/checkin/").status_code == 200
    assert client.get("/admin/core/loginattempt/").status_code == 403  # the operator's
    assert client.get("/admin/auth/group/").status_code == 403


def test_the_group_is_made_by_migrate_with_view_only_rights_on_service_records():
    group = Group_named(PRACTICE_STAFF_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_client", "view_checkin", "view_auditevent", "change_prompttemplate"} <= codenames
    assert not {"change_client", "change_break", "delete_checkin", "change_group"} & codenames
    assert not any(code.endswith("loginattempt") for code in codenames)


def Group_named(name):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=name)


def test_staff_list_only_their_practices_clients(client, staff_of, therapist, make_user, elsewhere):
    own = Client.objects.create(therapist=therapist, first_name="Ownpractice")
    other_therapist = make_user("therapist", practice=elsewhere)
    other = Client.objects.create(therapist=other_therapist, first_name="Otherpractice")
    client.force_login(staff_of(therapist.practice))
    page = client.get("/admin/planner/client/").content.decode()
    assert "Ownpractice" in page or f"/admin/planner/client/{own.pk}/" in page
    assert f"/admin/planner/client/{other.pk}/" not in page
    change = client.get(f"/admin/planner/client/{other.pk}/change/")
    assert change.status_code == 404
    assert "Otherpractice" not in change.content.decode()
    missing = client.get("/admin/planner/client/999999/change/")
    assert missing.status_code == 404  # the same answer: no redirect naming the id


def test_the_operator_sees_every_practice(client, make_user, therapist, elsewhere):
    other = Client.objects.create(
        therapist=make_user("therapist", practice=elsewhere), first_name="Otherpractice"
    )
    operator = make_user("staff", practice=None, is_staff=True, is_superuser=True)
    client.force_login(operator)
    assert client.get(f"/admin/planner/client/{other.pk}/change/").status_code == 200
    assert client.get("/admin/core/loginattempt/").status_code == 200


def test_staff_without_a_practice_see_nothing(client, make_user, therapist):
    Client.objects.create(therapist=therapist, first_name="Ownpractice")
    lost = make_user("staff", practice=None, is_staff=True)
    lost.groups.add(practice_staff_group())
    client.force_login(lost)
    page = client.get("/admin/planner/client/")
    assert page.status_code == 200
    assert "Ownpractice" not in page.content.decode()


def test_staff_cannot_raise_their_own_rights_or_move_someone(
    client, staff_of, therapist, elsewhere
):
    staff = staff_of(therapist.practice)
    client.force_login(staff)
    page = client.get(f"/admin/core/user/{therapist.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for field in ("is_superuser", "is_staff", "groups", "practice"):
        assert f'name="{field}"' not in html, field
    saved = client.post(
        f"/admin/core/user/{staff.pk}/change/",
        {
            "email": staff.email,
            "first_name": "Changed",
            "last_name": "",
            "phone": "",
            "role": "staff",
            "is_active": "on",
            "is_superuser": "on",
            "practice": elsewhere.pk,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert saved.status_code == 302, saved.content[:800]
    staff.refresh_from_db()
    assert staff.first_name == "Changed"  # the form was saved, without the rest
    assert not staff.is_superuser and staff.practice == therapist.practice


def test_staff_never_see_the_operators_accounts(client, staff_of, therapist, make_user):
    operator = make_user("staff", is_staff=True, is_superuser=True)  # in the same practice
    client.force_login(staff_of(therapist.practice))
    assert client.get(f"/admin/core/user/{operator.pk}/change/").status_code == 404
    assert client.get(f"/admin/core/user/{operator.pk}/password/").status_code == 404


def test_a_user_added_by_staff_joins_their_practice(client, staff_of, therapist):
    client.force_login(staff_of(therapist.practice))
    response = client.post(
        "/admin/core/user/add/",
        {
            "email": "new.therapist@example.com",
            "role": "therapist",
            "password1": "a-long-new-password-9",
            "password2": "a-long-new-password-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert User.objects.get(email="new.therapist@example.com").practice == therapist.practice


def test_a_practices_own_prompts_and_crisis_lines_stay_its_own(
    client, staff_of, therapist, elsewhere
):
    library = PromptTemplate.objects.filter(practice__isnull=True).first()
    theirs = PromptTemplate.objects.create(
        key="elsewhere-own", practice=elsewhere, category="coping", kinds=[], text="Theirs."
    )
    client.force_login(staff_of(therapist.practice))
    assert client.get(f"/admin/planner/prompttemplate/{theirs.pk}/change/").status_code == 404
    # The shipped library is shown, and only the operator changes it.
    shown = client.get(f"/admin/planner/prompttemplate/{library.pk}/change/")
    assert shown.status_code == 200 and 'name="text"' not in shown.content.decode()
    assert 'name="disabled_by"' not in shown.content.decode()
    assert (
        client.post(f"/admin/planner/prompttemplate/{library.pk}/delete/", {"post": "yes"})
    ).status_code == 403
    # Its own crisis line is filed under its own practice, whatever the form says.
    response = client.post(
        "/admin/planner/practicecrisisresource/add/",
        {
            "country": "GB",
            "name": "Riverside night line",
            "phone": "+441632960000",
            "hours": "Evenings",
            "source": "https://example.org/night-line",
            "checked_on": "2026-11-01",
            "practice": elsewhere.pk,
        },
    )
    assert response.status_code == 302, response.content[:800]
    assert PracticeCrisisResource.objects.get().practice == therapist.practice


def test_staff_switch_a_library_prompt_off_for_their_practice_only(
    client, staff_of, therapist, elsewhere
):
    library = PromptTemplate.objects.filter(practice__isnull=True).first()
    client.force_login(staff_of(therapist.practice))
    response = client.post(
        "/admin/planner/prompttemplate/",
        {"action": "switch_off_for_my_practice", "_selected_action": [library.pk]},
    )
    assert response.status_code == 302
    assert list(library.disabled_by.all()) == [therapist.practice]


# --- /staff/dispatch/ (point 6) ---------------------------------------------------------------


def _prompt_for(therapist, name: str) -> ScheduledPrompt:
    from planner.models import Break

    client = Client.objects.create(therapist=therapist, first_name=name)
    start = now() - timedelta(hours=2)
    brk = Break.objects.create(
        client=client,
        therapist=therapist,
        kind="holiday",
        status="active",
        starts_at=start,
        ends_at=start + timedelta(days=7),
        timezone="Europe/London",
    )
    return ScheduledPrompt.objects.create(
        break_obj=brk,
        client=client,
        category="coping",
        text="x",
        send_at=start,
        due_at=start,
        valid_until=start + timedelta(days=1),
    )


def test_the_dispatch_page_shows_a_staff_members_own_practice(
    client, staff_of, therapist, make_user, elsewhere
):
    _prompt_for(therapist, "Own")
    for _ in range(3):
        _prompt_for(make_user("therapist", practice=elsewhere), "Other")
    client.force_login(staff_of(therapist.practice))
    page = client.get("/staff/dispatch/").content.decode()
    assert '<dd id="backlog">1</dd>' in page
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))
    page = client.get("/staff/dispatch/").content.decode()
    assert '<dd id="backlog">4</dd>' in page  # the operator sees the installation
    client.force_login(make_user("staff", practice=None, is_staff=True))
    assert client.get("/staff/dispatch/").status_code == 404


def test_the_dispatch_figures_of_one_practice(therapist, make_user, elsewhere):
    from planner.delivery.selectors import dispatch_figures

    _prompt_for(therapist, "Own")
    _prompt_for(make_user("therapist", practice=elsewhere), "Other")
    assert dispatch_figures(practice_id=therapist.practice_id).backlog == 1
    assert dispatch_figures(practice_id=elsewhere.pk).backlog == 1
    assert dispatch_figures().backlog == 2


# --- The continuity plans and calls (issue 19, point 3) ----------------------------------------


def _continuity_of(therapist, colleague, name: str):
    from planner.models import ContinuityCall, ContinuityPlan

    record = Client.objects.create(therapist=therapist, first_name=name)
    plan = ContinuityPlan.objects.create(
        therapist=therapist, colleague=colleague, script=f"SCRIPT-OF-{name}"
    )
    plan.call_clients.add(record)
    call = ContinuityCall.objects.create(
        plan=plan,
        client=record,
        made_by=colleague,
        called_at=now() - timedelta(hours=1),
        outcome="message_left",
        note=f"NOTE-OF-{name}",
    )
    return plan, call


def test_staff_read_their_own_practices_continuity_plans_and_calls_only(
    client, staff_of, therapist, make_user, elsewhere
):
    from planner.models import AuditEvent

    own_plan, own_call = _continuity_of(therapist, make_user("therapist"), "Ownpractice")
    bea = make_user("therapist", practice=elsewhere)
    other_plan, other_call = _continuity_of(
        bea, make_user("therapist", practice=elsewhere), "Otherpractice"
    )
    staff = staff_of(therapist.practice)
    client.force_login(staff)

    plans = client.get("/admin/planner/continuityplan/")
    assert plans.status_code == 200
    html = plans.content.decode()
    assert f"/admin/planner/continuityplan/{own_plan.pk}/change/" in html
    assert f"/admin/planner/continuityplan/{other_plan.pk}/change/" not in html
    calls = client.get("/admin/planner/continuitycall/")
    assert calls.status_code == 200
    html = calls.content.decode()
    assert f"/admin/planner/continuitycall/{own_call.pk}/change/" in html
    assert f"Client {own_call.client_id}" in html and "Left a message" in html
    assert "NOTE-OF-" not in html  # the list never shows a call's note
    assert f"/admin/planner/continuitycall/{other_call.pk}/change/" not in html
    assert f"Client {other_call.client_id}<" not in html

    # One call's page shows its note, and the read is in the audit trail.
    page = client.get(f"/admin/planner/continuitycall/{own_call.pk}/change/").content.decode()
    assert "NOTE-OF-Ownpractice" in page
    assert AuditEvent.objects.filter(
        actor=staff, action="continuity_call.read", client=own_call.client
    ).exists()
    # The plan's page names who calls and who needs a call, never the therapist's script.
    page = client.get(f"/admin/planner/continuityplan/{own_plan.pk}/change/").content.decode()
    assert f"Client {own_call.client_id}" in page and "SCRIPT-OF-" not in page
    assert AuditEvent.objects.filter(actor=staff, action="continuity.read").exists()

    for url in (
        f"/admin/planner/continuityplan/{other_plan.pk}/change/",
        f"/admin/planner/continuitycall/{other_call.pk}/change/",
        "/admin/planner/continuitycall/999999/change/",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "NOTE-OF-Otherpractice" not in answer.content.decode()


def test_the_continuity_records_are_read_only_in_the_admin(client, staff_of, therapist, make_user):
    from planner.models import ContinuityCall, ContinuityPlan

    plan, call = _continuity_of(therapist, make_user("therapist"), "Ownpractice")
    group = Group_named(PRACTICE_STAFF_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_continuityplan", "view_continuitycall"} <= codenames
    assert not {"change_continuityplan", "delete_continuitycall"} & codenames
    client.force_login(staff_of(therapist.practice))
    page = client.get(f"/admin/planner/continuitycall/{call.pk}/change/").content.decode()
    assert 'name="note"' not in page and 'name="outcome"' not in page
    for url, data in (
        ("/admin/planner/continuityplan/add/", {"therapist": therapist.pk}),
        (f"/admin/planner/continuityplan/{plan.pk}/change/", {"colleague": ""}),
        (f"/admin/planner/continuitycall/{call.pk}/change/", {"note": "Changed"}),
        (f"/admin/planner/continuitycall/{call.pk}/delete/", {"post": "yes"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert ContinuityPlan.objects.get().colleague_id is not None
    assert ContinuityCall.objects.get().note == "NOTE-OF-Ownpractice"
