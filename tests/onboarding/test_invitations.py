"""Invitations: a therapist invites a client, the client sets a password from the emailed
link (once, within INVITATION_DAYS), and every bad link gets a clear page and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from core.models import Practice, User
from planner.breaks import services
from planner.models import Client, ConsentRecord, Invitation
from planner.onboarding import services as onboarding
from planner.onboarding.selectors import token_hash
from tests.onboarding.helpers import eager_tasks, invitation_token

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PASSWORD = "a-quiet-walk-by-the-river"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def robin(therapist):
    return services.client_create(
        therapist=therapist,
        first_name="Robin",
        last_name="Example",
        email="robin@example.com",
        phone="+447700900123",
        country="GB",
        timezone="Europe/London",
    )


@pytest.fixture
def as_therapist(client, therapist):
    client.force_login(therapist)
    return client


def invite(as_therapist, robin, django_capture_on_commit_callbacks):
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = as_therapist.post(f"/clients/{robin.pk}/invite/")
    assert response.status_code == 302
    return as_therapist.get(response["Location"])


def join_data(**overrides) -> dict:
    data = {
        "new_password1": PASSWORD,
        "new_password2": PASSWORD,
        "country": "GB",
        "timezone": "Europe/London",
        "email": "on",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_client_page_invites_by_a_neutral_email(
    as_therapist, robin, practice, django_capture_on_commit_callbacks
):
    page = as_therapist.get(f"/clients/{robin.pk}/").content.decode()
    assert "Not invited." in page
    assert f'action="/clients/{robin.pk}/invite/"' in page
    response = invite(as_therapist, robin, django_capture_on_commit_callbacks)
    html = response.content.decode()
    assert "The invitation is on its way to robin@example.com" in html
    assert "Invited on 2 March 2026; the link works until 9 March 2026." in html
    [email] = mail.outbox
    assert email.to == ["robin@example.com"]
    assert email.subject == f"Your invitation to Between from {practice.name}"
    assert practice.name in email.body
    for word in ("Robin", "therap", "break", "client", "plan"):
        assert word.lower() not in email.body.lower(), word
    token = invitation_token(email)
    invitation = Invitation.objects.get()
    assert invitation.token_hash == token_hash(token) and token not in invitation.token_hash
    assert invitation.expires_at == NOW + timedelta(days=7) and invitation.sent_at == NOW


def test_the_link_lasts_as_long_as_the_setting_says(
    as_therapist, robin, settings, django_capture_on_commit_callbacks
):
    settings.INVITATION_DAYS = 3
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    assert Invitation.objects.get().expires_at == NOW + timedelta(days=3)
    assert "within 3 days" in mail.outbox[0].body


def test_the_client_sets_a_password_and_lands_on_my_break_logged_in(
    client, as_therapist, robin, django_capture_on_commit_callbacks
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    token = invitation_token()
    as_therapist.logout()
    page = client.get(f"/invitations/{token}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'type="password"' in html
    assert '<option value="GB" selected>' in html and 'value="Europe/London"' in html
    response = client.post(f"/invitations/{token}/", join_data(), follow=True)
    assert response.redirect_chain[-1][0] == "/me/"
    assert "Welcome to Between" in response.content.decode()
    robin.refresh_from_db()
    user = robin.user
    assert user is not None and user.email == "robin@example.com"
    assert (user.role, user.practice_id) == (User.Role.CLIENT, robin.therapist.practice_id)
    assert user.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert robin.channels == ["inbox", "email"]
    assert (robin.quiet_hours_start, robin.quiet_hours_end) == (time(22), time(7, 30))
    consents = {
        c.subject: c for c in ConsentRecord.objects.filter(client=robin, source="invitation")
    }
    assert consents["email"].granted and not consents["sms"].granted
    assert all(c.recorded_at == NOW and c.recorded_by == user for c in consents.values())
    assert Invitation.objects.get().accepted_at == NOW
    # The therapist's page now says so.
    as_therapist.force_login(robin.therapist)
    assert "Joined on 2 March 2026." in as_therapist.get(f"/clients/{robin.pk}/").content.decode()


def test_the_link_then_no_longer_works(
    client, as_therapist, robin, django_capture_on_commit_callbacks
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    token = invitation_token()
    client.post(f"/invitations/{token}/", join_data())
    client.logout()
    for method in (client.get, client.post):
        response = method(f"/invitations/{token}/", join_data(new_password1="x", new_password2="x"))
        html = response.content.decode()
        assert response.status_code == 410
        assert 'type="password"' not in html
        assert "already been used" in html and "Ask your therapist for a new invitation" in html
    assert User.objects.get(email="robin@example.com").check_password(PASSWORD)


def test_an_expired_link_shows_the_clear_page(
    client, as_therapist, robin, django_capture_on_commit_callbacks, _frozen
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    token = invitation_token()
    _frozen.shift(timedelta(days=7, seconds=1))
    response = client.post(f"/invitations/{token}/", join_data())
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not User.objects.filter(email="robin@example.com").exists()
    as_therapist.force_login(robin.therapist)
    page = as_therapist.get(f"/clients/{robin.pk}/").content.decode()
    assert "the link has expired" in page and "Send a new invitation" in page


@pytest.mark.parametrize("token", ["nonsense", "a" * 43, "x" * 500, "%00", "..."])
def test_a_malformed_token_is_a_404_page_without_a_password_form(client, token):
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'type="password"' not in html and "for a new invitation" in html


def test_resending_kills_the_old_link(
    client, as_therapist, robin, django_capture_on_commit_callbacks
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    first = invitation_token()
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    second = invitation_token()
    assert first != second and len(mail.outbox) == 2
    assert client.get(f"/invitations/{first}/").status_code == 410
    assert client.get(f"/invitations/{second}/").status_code == 200


def test_changing_the_clients_address_withdraws_the_link(
    client, as_therapist, robin, django_capture_on_commit_callbacks
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    token = invitation_token()
    services.client_update(client=robin, actor=robin.therapist, email="robin@elsewhere.example")
    assert client.get(f"/invitations/{token}/").status_code == 410
    as_therapist.force_login(robin.therapist)
    assert "Not invited." in as_therapist.get(f"/clients/{robin.pk}/").content.decode()


def test_a_weak_password_is_refused_and_nothing_changes(
    client, as_therapist, robin, django_capture_on_commit_callbacks
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    token = invitation_token()
    for weak in ("12345678", "password", "robinexample", "short"):
        response = client.post(
            f"/invitations/{token}/", join_data(new_password1=weak, new_password2=weak)
        )
        assert response.status_code == 400
        assert 'id="id_new_password1_error"' in response.content.decode(), weak
    response = client.post(f"/invitations/{token}/", join_data(new_password2="other-thing-99"))
    assert 'id="id_new_password2_error"' in response.content.decode()
    assert not User.objects.filter(email="robin@example.com").exists()
    assert Invitation.objects.get().accepted_at is None


def test_quiet_hours_that_leave_no_time_are_refused_and_nothing_changes(
    client, as_therapist, robin, django_capture_on_commit_callbacks
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    token = invitation_token()
    response = client.post(
        f"/invitations/{token}/", join_data(quiet_hours_start="06:00", quiet_hours_end="23:00")
    )
    assert response.status_code == 400 and "quiet hours cover every" in response.content.decode()
    assert not User.objects.filter(email="robin@example.com").exists()
    robin.refresh_from_db()
    assert robin.user_id is None and not ConsentRecord.objects.filter(source="invitation")


def test_inviting_a_client_with_no_email_is_a_clear_message(as_therapist, therapist):
    sam = services.client_create(therapist=therapist, first_name="Sam")
    page = as_therapist.get(f"/clients/{sam.pk}/").content.decode()
    assert "Add an email address to invite them." in page
    response = as_therapist.post(f"/clients/{sam.pk}/invite/", follow=True)
    assert "Add an email address for this client before inviting them." in (
        response.content.decode()
    )
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_joined_or_archived_client_is_not_invited(as_therapist, robin, make_user):
    services.client_archive(client=robin, actor=robin.therapist)
    response = as_therapist.post(f"/clients/{robin.pk}/invite/", follow=True)
    assert "archived" in response.content.decode()
    services.client_restore(client=robin, actor=robin.therapist)
    robin.user = make_user("client", email="robin@example.com")
    robin.save()
    response = as_therapist.post(f"/clients/{robin.pk}/invite/", follow=True)
    assert "already joined" in response.content.decode()
    assert not Invitation.objects.exists()


def test_another_therapist_can_neither_invite_nor_claim_the_client(
    client, as_therapist, robin, make_user, django_capture_on_commit_callbacks
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    token = invitation_token()
    # A colleague cannot (re)invite Robin: a 404, on the page and in the API.
    colleague = make_user("therapist")
    client.force_login(colleague)
    assert client.post(f"/clients/{robin.pk}/invite/").status_code == 404
    # A therapist elsewhere with a client at the same address cannot invite them meanwhile.
    elsewhere = make_user("therapist", practice=Practice.objects.create(name="Elsewhere"))
    twin = services.client_create(therapist=elsewhere, first_name="R", email="robin@example.com")
    with pytest.raises(Exception, match="pending invitation for someone else"):
        onboarding.invitation_client_send(client=twin, actor=elsewhere)
    # Accepting while logged in as the colleague makes Robin's login, not the colleague's.
    response = client.post(f"/invitations/{token}/", join_data())
    assert response.status_code == 302
    robin.refresh_from_db()
    assert robin.user.email == "robin@example.com" and robin.user != colleague
    twin.refresh_from_db()
    assert twin.user_id is None
    with pytest.raises(Exception, match="already belongs to a Between login"):
        onboarding.invitation_client_send(client=twin, actor=elsewhere)


def test_tokens_never_reach_the_logs(
    client, as_therapist, robin, log_capture, django_capture_on_commit_callbacks
):
    invite(as_therapist, robin, django_capture_on_commit_callbacks)
    token = invitation_token()
    client.get(f"/invitations/{token}/")
    client.post(f"/invitations/{token}/", join_data())
    client.get(f"/invitations/{token}/")  # a 410, which django.request logs with its path
    assert "invitation.sent" in log_capture.text
    assert token not in log_capture.text
    assert "robin@example.com" not in log_capture.text


def test_a_therapist_invitation_makes_a_therapist_login(client, practice):
    invitation = onboarding.invitation_member_send(
        practice=practice, actor=None, email="Priya@Example.com", first_name="Priya", send=False
    )
    token = onboarding.invitation_mint(invitation=invitation)
    html = client.get(f"/invitations/{token}/").content.decode()
    assert 'value="Priya"' in html
    response = client.post(
        f"/invitations/{token}/",
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    priya = User.objects.get(email="priya@example.com")
    assert (priya.role, priya.practice, priya.last_name) == ("therapist", practice, "Shah")
    assert "Hello, Priya" in client.get("/").content.decode()
    assert not Client.objects.exists()


# --- The API ------------------------------------------------------------------------------------


def test_the_api_invites_with_202_and_shows_the_status(world, django_capture_on_commit_callbacks):
    api = world.api("therapist_a")
    sam = services.client_create(
        therapist=world.client_a.therapist, first_name="Sam", email="sam@example.com"
    )
    before = api.get(f"/api/v1/clients/{sam.pk}/").json()["invitation"]
    assert before == {
        "status": "not_invited",
        "invited_at": None,
        "expires_at": None,
        "joined_at": None,
    }
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/clients/{sam.pk}/invite/")
    assert response.status_code == 202 and response.json()["status"] == "sending"
    after = api.get(f"/api/v1/clients/{sam.pk}/").json()["invitation"]
    assert after["status"] == "invited" and after["expires_at"].startswith("2026-03-09")
    assert len(mail.outbox) == 1
    joined = api.get(f"/api/v1/clients/{world.client_a.pk}/").json()["invitation"]
    assert joined["status"] == "joined" and joined["joined_at"]


def test_the_api_refuses_bad_invitations(world):
    api = world.api("therapist_a")
    nobody = services.client_create(therapist=world.client_a.therapist, first_name="No")
    response = api.post(f"/api/v1/clients/{nobody.pk}/invite/")
    assert response.status_code == 400 and "email" in response.json()
    response = api.post(f"/api/v1/clients/{world.client_a.pk}/invite/")
    assert response.status_code == 400 and "already joined" in str(response.json())
    assert world.api("therapist_b").post(f"/api/v1/clients/{nobody.pk}/invite/").status_code == 404
    assert world.api("client_a").post(f"/api/v1/clients/{nobody.pk}/invite/").status_code == 403
    assert not Invitation.objects.exists()


def test_the_log_filter_masks_the_tokens_of_links_in_paths():
    from core.logfilters import redact

    assert (
        redact('"GET /invitations/abc-DEF_1/ HTTP/1.1" 200') == '"GET /invitations/…/ HTTP/1.1" 200'
    )
    assert redact("Not Found: /reset/MQ/c3x-1a2b/") == "Not Found: /reset/…/…/"
    assert redact("Gone: /l/inbox/eyJ.x:y/") == "Gone: /l/inbox/…/"
    assert redact("GET /reset/done/ and /clients/12/") == "GET /reset/done/ and /clients/12/"
