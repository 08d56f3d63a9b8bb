"""Passwords: Django's reset views (the same answer for every address, throttled like the
login, the email sent by a task) and changing a password when logged in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from tests.onboarding.helpers import eager_tasks, reset_path

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OLD = "a-long-test-password-1"
NEW = "a-brand-new-secret-phrase"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ask(client, email: str, capture):
    with eager_tasks(), capture(execute=True):
        return client.post("/password-reset/", {"email": email})


def test_the_login_page_links_to_the_reset(client):
    html = client.get("/login/").content.decode()
    assert 'href="/password-reset/"' in html and "Forgot your password?" in html


def test_the_same_answer_whether_or_not_the_address_exists(
    client, therapist, django_capture_on_commit_callbacks
):
    known = ask(client, therapist.email.upper(), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    unknown = ask(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/password-reset/done/"
    done = client.get("/password-reset/done/").content.decode()
    assert "If the address you gave has a Between login" in done


def test_a_forgotten_password_is_reset_by_its_email_link(
    client, therapist, log_capture, django_capture_on_commit_callbacks
):
    ask(client, therapist.email, django_capture_on_commit_callbacks)
    [email] = mail.outbox
    assert email.to == [therapist.email]
    assert "Between" in email.subject and "Morgan" not in email.body
    path = reset_path(email)
    response = client.get(path)
    assert response.status_code == 302  # Django swaps the token into the session
    form_page = client.get(response["Location"])
    assert 'name="new_password1"' in form_page.content.decode()
    weak = client.post(response["Location"], {"new_password1": "1234", "new_password2": "1234"})
    assert 'id="id_new_password1_error"' in weak.content.decode() or (
        'id="id_new_password2_error"' in weak.content.decode()
    )
    done = client.post(response["Location"], {"new_password1": NEW, "new_password2": NEW})
    assert done["Location"] == "/reset/done/"
    therapist.refresh_from_db()
    assert therapist.check_password(NEW)
    # The link works once.
    client.cookies.clear()
    again = client.get(path, follow=True).content.decode()
    assert "This link cannot be used" in again and 'name="new_password1"' not in again
    assert client.post("/login/", {"username": therapist.email, "password": NEW}).status_code == 302
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert token not in log_capture.text and therapist.email not in log_capture.text


def test_reset_requests_are_throttled_alike_for_known_and_unknown_addresses(
    client, therapist, settings, django_capture_on_commit_callbacks, _frozen
):
    for email in (therapist.email, "nobody@example.com"):
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            assert ask(client, email, django_capture_on_commit_callbacks).status_code == 302
        refused = ask(client, email, django_capture_on_commit_callbacks)
        assert refused.status_code == 200
        assert "Too many failed attempts. Try again in 15 minutes." in refused.content.decode()
    assert len(mail.outbox) == settings.LOGIN_FAILURE_LIMIT
    _frozen.shift(timedelta(minutes=15, seconds=1))
    assert ask(client, therapist.email, django_capture_on_commit_callbacks).status_code == 302


def test_an_address_is_throttled_across_emails(
    client, settings, django_capture_on_commit_callbacks
):
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    for n in range(3):
        ask(client, f"guess{n}@example.com", django_capture_on_commit_callbacks)
    refused = ask(client, "another@example.com", django_capture_on_commit_callbacks)
    assert "Too many failed attempts" in refused.content.decode()


def test_no_reset_for_an_inactive_login(client, make_user, django_capture_on_commit_callbacks):
    gone = make_user("therapist", is_active=False)
    assert ask(client, gone.email, django_capture_on_commit_callbacks).status_code == 302
    assert not mail.outbox


def test_a_logged_in_user_changes_their_password(client, therapist):
    client.force_login(therapist)
    assert 'href="/password-change/"' in client.get("/").content.decode()
    wrong = client.post(
        "/password-change/",
        {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW},
    )
    assert 'id="id_old_password_error"' in wrong.content.decode()
    weak = client.post(
        "/password-change/",
        {"old_password": OLD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert "entirely numeric" in weak.content.decode()
    done = client.post(
        "/password-change/", {"old_password": OLD, "new_password1": NEW, "new_password2": NEW}
    )
    assert done["Location"] == "/password-change/done/"
    therapist.refresh_from_db()
    assert therapist.check_password(NEW)
    assert client.get("/").status_code == 200  # still logged in


def test_guessing_the_old_password_is_locked_out_like_the_login(client, therapist, settings):
    client.force_login(therapist)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(
            "/password-change/",
            {"old_password": "guess", "new_password1": NEW, "new_password2": NEW},
        )
    locked = client.post(
        "/password-change/", {"old_password": OLD, "new_password1": NEW, "new_password2": NEW}
    )
    assert "Too many failed attempts" in locked.content.decode()
    therapist.refresh_from_db()
    assert therapist.check_password(OLD)


def test_password_change_needs_a_login(client):
    response = client.get("/password-change/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
