"""A new installation: createpractice, and the demo data's invited client."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import Practice, User
from planner.models import Client, Invitation

pytestmark = pytest.mark.django_db

PASSWORD = "a-quiet-walk-by-the-river"


def test_createpractice_creates_the_practice_and_prints_the_staff_invitation(client):
    out = StringIO()
    call_command(
        "createpractice", "--name", "Harbour Counselling", "--staff-email", "Lee@Example.com",
        "--country", "IE", stdout=out,
    )  # fmt: skip
    practice = Practice.objects.get(name="Harbour Counselling")
    assert (practice.country, practice.timezone) == ("IE", "Europe/Dublin")
    link = re.search(r"http://\S+/invitations/(\S+)/", out.getvalue())
    assert link, out.getvalue()
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.email, invitation.practice) == (
        "staff", "lee@example.com", practice
    )  # fmt: skip
    response = client.post(
        f"/invitations/{link.group(1)}/",
        {"first_name": "Lee", "last_name": "Quinn", "new_password1": PASSWORD,
         "new_password2": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 302
    lee = User.objects.get(email="lee@example.com")
    assert (lee.role, lee.practice, lee.is_staff) == ("staff", practice, False)
    assert client.get("/practice/").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "X", "--staff-email", "x@example.com", "--country", "ZZ"], "country"),
        (["--name", "X", "--staff-email", "x@example.com", "--timezone", "No/Where"], "time zone"),
        (["--name", "X", "--staff-email", "not-an-address"], "valid email"),
        (["--name", " ", "--staff-email", "x@example.com"], "name"),
    ],
)
def test_createpractice_refuses_bad_input_and_creates_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("createpractice", *args, stdout=StringIO())
    assert not Practice.objects.exists()


def test_createpractice_refuses_a_second_practice_of_the_same_name():
    call_command(
        "createpractice", "--name", "X", "--staff-email", "a@example.com", stdout=StringIO()
    )
    with pytest.raises(CommandError, match="exists already"):
        call_command(
            "createpractice", "--name", "x", "--staff-email", "b@example.com", stdout=StringIO()
        )


def test_the_demo_leaves_one_client_invited_and_stays_idempotent(client, settings):
    settings.DEBUG = True
    first = StringIO()
    call_command("loaddemo", stdout=first)
    call_command("loaddemo", stdout=StringIO())
    second = StringIO()
    call_command("loaddemo", stdout=second)
    sam = Client.objects.get(email="sam.rivers@example.com")
    invitation = Invitation.objects.get()
    assert invitation.client == sam and sam.user_id is None
    old = re.search(r"/invitations/(\S+)/", first.getvalue()).group(1)
    new = re.search(r"/invitations/(\S+)/", second.getvalue()).group(1)
    assert client.get(f"/invitations/{old}/").status_code == 404  # a reload makes a new link
    assert client.get(f"/invitations/{new}/").status_code == 200
    client.force_login(User.objects.get(email="therapist@example.com"))
    page = client.get(f"/clients/{sam.pk}/").content.decode()
    assert "Invited on" in page
