"""The inbox link in an email or SMS (issue 13, point 5): single-use, short-lived, opening a
session that reads the inbox and My break only; a browser logged in as someone else is
asked first."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client as Browser
from django.utils.timezone import now

from core.middleware import LIMITED_SESSION_KEY, LIMITED_SESSION_SECONDS
from planner.breaks import services
from planner.delivery import links
from planner.models import Client, InboxMessage
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-1"


@pytest.fixture
def robin(therapist, make_user):
    user = make_user("client", first_name="Robin", email="robin@example.com")
    client = services.client_create(therapist=therapist, first_name="Robin", channels=["inbox"])
    client.user = user
    client.save(update_fields=["user"])
    InboxMessage.objects.create(client=client, category="hope", text="INBOX-TEXT")
    return client


def link_path(robin: Client) -> str:
    return links.make_url("inbox", "/l/inbox/", user_id=robin.user_id).removeprefix(
        "http://127.0.0.1:8000"
    )


def open_link(browser, robin) -> None:
    response = browser.post(link_path(robin))
    assert response.status_code == 302 and response["Location"] == "/me/inbox/"


def test_the_link_works_once_and_for_a_day(robin):
    path = link_path(robin)
    first = Browser()
    assert first.post(path).status_code == 302
    again = Browser().post(path)
    assert again.status_code == 400 and "_auth_user_id" not in again.wsgi_request.session
    assert Browser().get(path).status_code == 400
    late = link_path(robin)
    with time_machine.travel(now() + timedelta(hours=24, minutes=1)):
        assert Browser().post(late).status_code == 400


def test_a_link_session_reads_the_inbox_and_my_break(client, robin):
    open_link(client, robin)
    assert client.session[LIMITED_SESSION_KEY] is True
    assert client.session.get_expiry_age() <= LIMITED_SESSION_SECONDS
    inbox = client.get("/me/inbox/")
    assert inbox.status_code == 200 and "INBOX-TEXT" in inbox.content.decode()
    for url in ("/", "/me/", "/me/plan/print/"):
        assert client.get(url).status_code == 200, url
    message = InboxMessage.objects.get()
    assert client.post(f"/me/inbox/{message.pk}/acknowledge/").status_code == 302
    message.refresh_from_db()
    assert message.acknowledged_at is not None


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/me/preferences/"),
        ("post", "/me/preferences/"),
        ("get", "/me/data/"),
        ("get", "/me/data/export.json"),
        ("post", "/me/data/delete/"),
        ("get", "/me/check-in/"),
        ("post", "/me/check-in/"),
    ],
)
def test_everything_else_asks_for_the_password_first(client, robin, method, url):
    open_link(client, robin)
    before = Client.objects.filter(pk=robin.pk).values_list().get()
    response = getattr(client, method)(url, {"confirm": "DELETE", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/confirm/?next=")
    assert Client.objects.filter(pk=robin.pk).values_list().get() == before  # nothing changed


def test_the_api_refuses_a_link_session_but_not_a_token(client, robin):
    open_link(client, robin)
    refused = client.get("/api/v1/me/export/")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Enter your password to continue."}
    assert (
        client.post("/api/v1/me/erase/", {"confirm": "DELETE", "password": PASSWORD}).status_code
        == 403
    )
    token = api_token(robin.user)
    assert client.get("/api/v1/me/inbox/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_the_password_makes_it_a_full_session(client, robin):
    open_link(client, robin)
    asked = client.get("/me/preferences/")
    confirm = asked["Location"]
    assert client.get(confirm).status_code == 200
    wrong = client.post(confirm, {"password": "not-it"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.content.decode()
    assert client.get("/me/preferences/").status_code == 302
    key = client.session.session_key
    done = client.post(confirm, {"password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/me/preferences/"
    assert LIMITED_SESSION_KEY not in client.session
    assert client.session.session_key != key  # a new session key with the full rights
    assert client.get("/me/preferences/").status_code == 200
    assert client.get("/me/data/").status_code == 200


def test_a_password_login_is_never_limited(client, robin):
    open_link(client, robin)
    client.post("/login/", {"username": "robin@example.com", "password": PASSWORD})
    assert LIMITED_SESSION_KEY not in client.session
    assert client.get("/me/preferences/").status_code == 200


def test_a_browser_logged_in_as_someone_else_is_asked_first(client, robin, therapist):
    client.force_login(therapist)
    path = link_path(robin)
    asked = client.get(path)
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "logged in as someone else" in html and "INBOX-TEXT" not in html
    assert int(client.session["_auth_user_id"]) == therapist.pk  # not switched
    assert client.get("/").status_code == 200  # the therapist's dashboard, still theirs
    switched = client.post(path)
    assert switched.status_code == 302
    assert int(client.session["_auth_user_id"]) == robin.user_id
    assert client.session[LIMITED_SESSION_KEY] is True


def test_the_client_already_logged_in_keeps_the_link_unused(client, robin):
    client.force_login(robin.user)
    path = link_path(robin)
    assert client.get(path)["Location"] == "/me/inbox/"
    assert LIMITED_SESSION_KEY not in client.session  # their full session stays full
    assert Browser().post(path).status_code == 302  # the link still works once elsewhere


def test_an_erased_or_inactive_client_gets_nothing(robin):
    path = link_path(robin)
    robin.user.is_active = False
    robin.user.save(update_fields=["is_active"])
    assert Browser().post(path).status_code == 400
