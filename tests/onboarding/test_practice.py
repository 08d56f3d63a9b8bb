"""The practice, run by its staff on a page of its own: therapists (invite, hand over,
deactivate), the fallback contact, its own crisis lines, default times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from knox.models import AuthToken

from core.models import Practice, User
from planner.breaks import services
from planner.breaks.prompts import library_load
from planner.models import Break, Client, Invitation, PracticeCrisisResource
from tests.onboarding.helpers import eager_tasks, invitation_token
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PASSWORD = "a-quiet-walk-by-the-river"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(make_user):
    return make_user("staff", first_name="Lee")


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


def settings_data(**overrides) -> dict:
    data = {
        "name": "Riverside",
        "country": "GB",
        "timezone": "Europe/London",
        "fallback_contact_name": "Practice manager",
        "fallback_contact_email": "office@example.com",
        "fallback_contact_phone": "",
        "default_prompt_times": "10:00, 18:00",
        "default_quiet_hours_start": "21:30",
        "default_quiet_hours_end": "08:00",
    }
    data.update(overrides)
    return data


def test_only_the_practices_staff_see_its_page(client, staff, therapist, make_user):
    for outsider in (therapist, make_user("client"), make_user("staff", practice=None)):
        client.force_login(outsider)
        assert client.get("/practice/").status_code == 404
        assert client.post("/practice/", settings_data()).status_code == 404
    # Staff elsewhere see their own practice, never this one.
    client.force_login(make_user("staff", practice=Practice.objects.create(name="Elsewhere")))
    assert "Morgan Hale" not in client.get("/practice/").content.decode()
    client.force_login(staff)
    page = client.get("/practice/").content.decode()
    assert "Morgan Hale" in page and 'href="/practice/"' in page
    assert "Your practice" in client.get("/").content.decode()


def test_staff_save_the_settings(as_staff, practice):
    response = as_staff.post("/practice/", settings_data())
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.name == "Riverside"
    assert practice.fallback_contact_email == "office@example.com"
    assert practice.default_prompt_times == ["10:00", "18:00"]
    assert (practice.default_quiet_hours_start, practice.default_quiet_hours_end) == (
        time(21, 30),
        time(8),
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Moon/Base"}, "timezone"),
        ({"country": "ZZ"}, "country"),
        ({"default_prompt_times": "noon"}, "default_prompt_times"),
        ({"default_quiet_hours_end": ""}, "default_quiet_hours_end"),
        ({"fallback_contact_email": "", "fallback_contact_phone": ""}, "fallback_contact_email"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_settings_are_field_errors(as_staff, practice, overrides, field):
    response = as_staff.post("/practice/", settings_data(**overrides))
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    practice.refresh_from_db()
    assert practice.name == "Test practice"


def test_staff_invite_a_therapist_who_then_logs_in(
    client, as_staff, practice, django_capture_on_commit_callbacks
):
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = as_staff.post(
            "/practice/invite/",
            {"first_name": "Priya", "last_name": "Shah", "email": "priya@example.com"},
        )
    assert response.status_code == 302
    [email] = mail.outbox
    assert email.to == ["priya@example.com"] and practice.name in email.body
    assert "priya@example.com" in as_staff.get("/practice/").content.decode()
    token = invitation_token(email)
    client.logout()
    client.post(
        f"/invitations/{token}/",
        {"first_name": "Priya", "last_name": "Shah", "new_password1": PASSWORD,
         "new_password2": PASSWORD},
    )  # fmt: skip
    client.logout()
    assert (
        client.post("/login/", {"username": "priya@example.com", "password": PASSWORD}).status_code
        == 302
    )
    priya = User.objects.get(email="priya@example.com")
    assert priya.role == "therapist" and priya.practice == practice


def test_inviting_an_address_with_a_login_is_a_field_error(as_staff, therapist):
    response = as_staff.post(
        "/practice/invite/", {"first_name": "M", "email": therapist.email.upper()}
    )
    assert response.status_code == 400
    assert "already belongs to a Between login" in response.content.decode()
    assert not Invitation.objects.exists()


def test_staff_resend_and_withdraw_a_therapist_invitation(
    client, as_staff, practice, django_capture_on_commit_callbacks
):
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        as_staff.post("/practice/invite/", {"first_name": "P", "email": "p@example.com"})
    first = invitation_token()
    invitation = Invitation.objects.get()
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        as_staff.post(f"/practice/invitations/{invitation.pk}/resend/")
    second = invitation_token()
    assert client.get(f"/invitations/{first}/").status_code == 410
    newer = Invitation.objects.exclude(pk=invitation.pk).get()
    as_staff.post(f"/practice/invitations/{newer.pk}/withdraw/")
    assert client.get(f"/invitations/{second}/").status_code == 410


def _live_holiday(therapist, robin):
    brk = services.break_create(
        therapist=therapist,
        client=robin,
        kind="holiday",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=17),
        return_session_at=NOW + timedelta(days=18),
    )
    return services.break_activate(brk=brk, actor=therapist)


def test_a_therapist_with_live_breaks_is_handed_over_before_deactivation(
    as_staff, therapist, make_user
):
    library_load()
    robin = services.client_create(therapist=therapist, first_name="Robin", last_name="Ex")
    brk = _live_holiday(therapist, robin)
    api_token(therapist)
    colleague = make_user("therapist", first_name="Priya", last_name="Shah")
    page = as_staff.get(f"/practice/therapists/{therapist.pk}/").content.decode()
    assert "Robin Ex: Holiday, scheduled" in page
    refused = as_staff.post(f"/practice/therapists/{therapist.pk}/deactivate/", follow=True)
    assert "Hand their clients over to a colleague first" in refused.content.decode()
    therapist.refresh_from_db()
    assert therapist.is_active
    moved = as_staff.post(
        f"/practice/therapists/{therapist.pk}/hand-over/", {"to": colleague.pk}, follow=True
    )
    assert "1 clients, with their breaks, now belong to Priya Shah" in moved.content.decode()
    robin.refresh_from_db()
    brk.refresh_from_db()
    assert robin.therapist == colleague and brk.therapist == colleague
    as_staff.post(f"/practice/therapists/{therapist.pk}/deactivate/")
    therapist.refresh_from_db()
    assert not therapist.is_active and not AuthToken.objects.filter(user=therapist).exists()
    as_staff.logout()
    response = as_staff.post(
        "/login/", {"username": therapist.email, "password": "a-long-test-password-1"}
    )
    assert response.status_code == 200  # refused
    as_staff.force_login(User.objects.get(role="staff"))
    as_staff.post(f"/practice/therapists/{therapist.pk}/reactivate/")
    therapist.refresh_from_db()
    assert therapist.is_active
    as_staff.force_login(therapist)
    assert as_staff.get(f"/breaks/{brk.pk}/").status_code == 404
    assert as_staff.get(f"/clients/{robin.pk}/").status_code == 404


def test_hand_over_only_to_an_active_colleague_of_the_practice(as_staff, therapist, make_user):
    elsewhere = make_user("therapist", practice=Practice.objects.create(name="Elsewhere"))
    response = as_staff.post(
        f"/practice/therapists/{therapist.pk}/hand-over/", {"to": elsewhere.pk}
    )
    assert response.status_code == 400
    assert as_staff.get(f"/practice/therapists/{elsewhere.pk}/").status_code == 404


def test_staff_add_and_remove_their_own_crisis_lines(as_staff, practice, therapist):
    line = {
        "country": "GB",
        "name": "Riverside night line",
        "phone": "+44 20 7946 0000",
        "sms": "",
        "text_line": "",
        "hours": "Every night 20:00-02:00",
        "source": "https://riverside.example.org/night-line",
        "checked_on": "2026-02-20",
    }
    assert as_staff.post("/practice/crisis-lines/", line).status_code == 302
    row = PracticeCrisisResource.objects.get()
    assert (row.practice, row.checked_on) == (practice, date(2026, 2, 20))
    # A client of the practice in that country sees it.
    from planner.crisis import resources_for_client

    robin = Client.objects.create(therapist=therapist, first_name="Robin", country="GB")
    assert "Riverside night line" in [r["name"] for r in resources_for_client(robin)["resources"]]
    bad = as_staff.post(
        "/practice/crisis-lines/", {**line, "phone": "call us", "source": "http://x.example"}
    )
    assert bad.status_code == 400 and PracticeCrisisResource.objects.count() == 1
    as_staff.post(f"/practice/crisis-lines/{row.pk}/remove/")
    assert not PracticeCrisisResource.objects.exists()


def test_another_practices_staff_cannot_touch_a_line(client, practice, make_user):
    row = PracticeCrisisResource.objects.create(
        practice=practice, country="GB", name="L", phone="+442079460000", hours="24/7",
        source="https://l.example.org", checked_on=date(2026, 1, 1),
    )  # fmt: skip
    client.force_login(make_user("staff", practice=Practice.objects.create(name="Elsewhere")))
    assert client.post(f"/practice/crisis-lines/{row.pk}/remove/").status_code == 404
    assert PracticeCrisisResource.objects.exists()


def test_deactivated_therapists_breaks_need_no_hand_over_once_finished(as_staff, therapist):
    library_load()
    robin = services.client_create(therapist=therapist, first_name="Robin")
    brk = _live_holiday(therapist, robin)
    services.break_cancel(brk=brk, actor=therapist)
    as_staff.post(f"/practice/therapists/{therapist.pk}/deactivate/")
    therapist.refresh_from_db()
    assert not therapist.is_active
    assert Break.objects.get().therapist == therapist
