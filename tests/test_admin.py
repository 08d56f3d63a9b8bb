"""The Django admin shows what the services write, and changes none of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planner.models import Break, Client
from tests.factories import BreakFactory, ClientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def staff(client, make_user):
    user = make_user("staff", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def robin(therapist):
    return ClientFactory(therapist=therapist, channels=["inbox"])


def test_a_client_is_shown_but_cannot_be_changed_added_or_deleted(client, staff, robin):
    page = client.get(f"/admin/planner/client/{robin.pk}/change/")
    assert page.status_code == 200
    assert b'name="first_name"' not in page.content  # read-only: no input to type into
    changed = client.post(
        f"/admin/planner/client/{robin.pk}/change/",
        {"first_name": "Mallory", "channels": '["inbox", "sms"]'},
    )
    assert changed.status_code == 403
    robin.refresh_from_db()
    assert (robin.first_name, robin.channels) == ("Robin", ["inbox"])
    assert client.get("/admin/planner/client/add/").status_code == 403
    assert (
        client.post(f"/admin/planner/client/{robin.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Client.objects.filter(pk=robin.pk).exists()


def test_a_break_cannot_be_edited_around_its_prompts(client, staff, robin, therapist):
    brk = BreakFactory(client=robin, status=Break.Status.SCHEDULED, now=NOW)
    url = f"/admin/planner/break/{brk.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "cancelled"}).status_code == 403
    brk.refresh_from_db()
    assert brk.status == Break.Status.SCHEDULED


def test_the_prompt_library_stays_editable_configuration(client, staff):
    assert client.get("/admin/planner/prompttemplate/add/").status_code == 200
    assert client.get("/admin/planner/practicecrisisresource/add/").status_code == 200
