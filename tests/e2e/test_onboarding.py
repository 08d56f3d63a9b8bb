"""Onboarding in Chromium: a therapist adds and invites a client who sets a password from the
emailed link (read from Django's test outbox: the live server runs in this process); a
forgotten password is reset by its email link; staff invite a therapist who then logs in."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a-quiet-walk-by-the-river"


@pytest.fixture(autouse=True)
def _eager_tasks(settings):
    """Tasks queued on commit run in the live server's thread; email goes to mail.outbox."""
    from core.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def emailed_path(pattern: str) -> str:
    assert mail.outbox, "no email was sent"
    match = re.search(rf"https?://[^/\s]+({pattern})", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def log_out(journey) -> None:
    journey.page.get_by_role("button", name="Log out").click()
    journey.page.wait_for_load_state()


def test_a_therapist_adds_and_invites_a_client_who_joins_once(journey, therapist, library):
    from planner.models import Client

    page = journey.page
    journey.login(therapist.email)
    journey.check("dashboard")
    page.get_by_role("link", name="Add a client").first.click()
    journey.check("add a client")
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Example")
    page.get_by_role("textbox", name="Email").fill("robin@example.com")
    page.get_by_label("Country").select_option("IE")
    assert page.get_by_label("Time zone").input_value() == "Europe/Dublin"  # the small script
    page.get_by_role("button", name="Add the client").click()
    page.wait_for_load_state()
    assert page.get_by_text("The client is added.").is_visible()
    assert page.get_by_text("Not invited.").is_visible()
    journey.check("client page")

    page.get_by_role("button", name="Send an invitation").click()
    page.wait_for_load_state()
    assert page.get_by_text("The invitation is on its way to robin@example.com").is_visible()
    assert page.locator(".invitation-status").text_content().strip().startswith("Invited on")
    journey.screenshot("client_invited")
    link = emailed_path(r"/invitations/[^/\s]+/")
    log_out(journey)

    journey.go(link)
    journey.check("invitation")
    assert page.get_by_label("Country you live in").input_value() == "IE"
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("The same password again").fill(NEW_PASSWORD)
    page.get_by_label("Also by email").check()
    page.get_by_label("Quiet from").fill("22:00")
    page.get_by_label("Quiet until").fill("07:30")
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_load_state()
    assert page.url.endswith("/me/")
    assert page.get_by_text("Welcome to Between. Your password is set.").is_visible()
    assert page.get_by_role("link", name="My break").is_visible()
    journey.check("my break after joining")
    robin = Client.objects.get(email="robin@example.com")
    assert robin.user is not None and robin.channels == ["inbox", "email"]

    log_out(journey)
    journey.go(link)
    assert page.get_by_role("heading", name="This invitation link cannot be used").is_visible()
    assert page.get_by_text("Ask your therapist for a new invitation.").is_visible()
    assert page.locator("input[type=password]").count() == 0
    journey.check("used invitation")
    journey.login("robin@example.com", NEW_PASSWORD)
    assert page.url.endswith("/")
    assert page.get_by_role("link", name="My break").is_visible()


def test_a_forgotten_password_is_reset_by_its_email_link(journey, therapist):
    page = journey.page
    journey.go("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    journey.check("password reset")
    page.get_by_label("Email").fill(therapist.email)
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    journey.check("check your email")
    journey.go(emailed_path(r"/reset/[^/\s]+/[^/\s]+/"))
    journey.check("set a new password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your new password is set").is_visible()
    journey.login(therapist.email, NEW_PASSWORD)
    assert page.get_by_role("heading", name="Hello, Morgan").is_visible()


def test_staff_invite_a_therapist_who_then_logs_in(journey, practice):
    from core.models import User

    User.objects.create_user(
        "lee@example.com", PASSWORD, role=User.Role.STAFF, first_name="Lee", practice=practice
    )
    page = journey.page
    journey.login("lee@example.com")
    page.get_by_role("link", name="Practice", exact=True).click()
    journey.check("practice page")
    form = page.locator("form[action='/practice/invite/']")
    form.get_by_label("First name").fill("Priya")
    form.get_by_label("Last name").fill("Shah")
    form.get_by_label("Email").fill("priya@example.com")
    form.get_by_role("button", name="Send the invitation").click()
    page.wait_for_load_state()
    assert page.get_by_text("The invitation is on its way to priya@example.com.").is_visible()
    journey.screenshot("practice_page")
    link = emailed_path(r"/invitations/[^/\s]+/")
    log_out(journey)

    journey.go(link)
    journey.check("therapist invitation")
    assert page.get_by_label("First name").input_value() == "Priya"
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("The same password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Hello, Priya").is_visible()
    log_out(journey)
    journey.login("priya@example.com", NEW_PASSWORD)
    assert page.get_by_role("heading", name="Hello, Priya").is_visible()
    assert page.get_by_role("link", name="Add a client").first.is_visible()
    journey.check("new therapist's dashboard")
