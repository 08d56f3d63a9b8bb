"""Staff declare (and end) an unplanned absence for a therapist of their practice; only
then does the named colleague see the call list, and record each call (issue 19, point 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from core.models import Practice
from planner.continuity import services
from planner.models import AuditEvent, Break, ContinuityCall, ScheduledPrompt
from tests.factories import StaffFactory
from tests.helpers import NOW
from tests.security_helpers import api_token


def _absence_url(people) -> str:
    return f"/practice/therapists/{people['therapist'].pk}/absence/"


def test_staff_declare_an_absence_on_a_page_and_nothing_is_sent(client, people, plan):
    client.force_login(people["lee"])
    therapist_page = client.get(f"/practice/therapists/{people['therapist'].pk}/")
    assert _absence_url(people) in therapist_page.content.decode()
    form = client.get(_absence_url(people))
    assert form.status_code == 200
    assert 'value="2026-12-01T12:00"' in form.content.decode()  # now, in London
    answer = client.post(
        _absence_url(people),
        {"starts_at": "2026-12-01T09:00", "sessions_plan": "cancelled_practice"},
    )
    assert answer.status_code == 302
    breaks = Break.objects.filter(therapist=people["therapist"]).order_by("client__first_name")
    assert [(b.client.first_name, b.kind, b.status, b.needs_call) for b in breaks] == [
        ("Robin", "unplanned", "draft", False),
        ("Sam", "unplanned", "draft", True),  # marked in the continuity plan
    ]
    assert all(b.created_by == people["lee"] for b in breaks)
    assert breaks[0].starts_at == NOW - timedelta(hours=3)  # 09:00 London is 09:00 UTC
    assert not ScheduledPrompt.objects.exists()
    page = client.get(_absence_url(people)).content.decode()
    assert "Absent since 1 December 2026, 09:00." in page
    assert "Alex Reed, the colleague named" in page
    assert "SCRIPT" not in page  # staff learn who calls, not the words or the list
    assert AuditEvent.objects.filter(action="absence.declared", actor=people["lee"]).exists()


def test_bad_input_on_the_declare_page_is_a_form_error(client, people):
    client.force_login(people["lee"])
    for data, field in (
        ({"starts_at": "soon", "sessions_plan": "cancelled_practice"}, "starts_at"),
        ({"starts_at": "2026-12-01T09:00", "sessions_plan": "whenever"}, "sessions_plan"),
        ({"starts_at": "2027-03-01T09:00", "sessions_plan": "cancelled_practice"}, "starts_at"),
    ):
        answer = client.post(_absence_url(people), data)
        assert answer.status_code == 400, data
        assert f'id="id_{field}_error"' in answer.content.decode(), data
    assert not Break.objects.exists()


def test_only_staff_of_the_practice_reach_the_declare_page(client, people):
    outside = StaffFactory(practice=Practice.objects.create(name="Elsewhere"))
    for user in (people["alex"], people["therapist"], outside):
        client.force_login(user)
        assert client.get(_absence_url(people)).status_code == 404
        data = {"starts_at": "2026-12-01T09:00", "sessions_plan": "cancelled_practice"}
        assert client.post(_absence_url(people), data).status_code == 404
        assert client.post(f"{_absence_url(people)}end/").status_code == 404
    assert not Break.objects.exists()
    with pytest.raises(ValidationError):
        services.absence_declare(
            staff=people["alex"],
            therapist=people["therapist"],
            starts_at=NOW,
            sessions_plan="cancelled_practice",
        )


def test_once_declared_the_colleague_sees_the_list_and_nobody_else(client, people, declared):
    url = f"/continuity/{people['therapist'].pk}/"
    client.force_login(people["alex"])
    home = client.get("/continuity/").content.decode()
    assert url in home
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "SCRIPT: Hello, I am calling from the practice about Morgan." in html
    assert "+447700900123" in html and "robin@example.com" in html and "+447700900456" in html
    # Sam needs a phone call and comes first.
    assert html.index("Sam Stone") < html.index("Robin Example")
    assert "Phone call" in html.split("Sam Stone")[1].split("</tr>")[0]
    assert AuditEvent.objects.filter(action="continuity.read", actor=people["alex"]).count() == 1
    for who in ("olive", "lee", "therapist"):
        client.force_login(people[who])
        assert client.get(url).status_code == 404, who
        assert client.get(f"{url}clients/{people['robin'].pk}/").status_code == 404, who


def test_a_colleague_therapists_own_declaration_does_not_open_the_list(client, people, plan):
    """Only staff open it: the named colleague cannot declare their way in (the API lets a
    colleague declare an unplanned absence)."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(people['alex'])}")
    body = {
        "therapist": people["therapist"].pk,
        "clients": "all",
        "kind": "unplanned",
        "starts_at": (NOW - timedelta(hours=1)).isoformat(),
        "sessions_plan": "cancelled_practice",
    }
    assert api.post("/api/v1/absences/", body, format="json").status_code == 201
    client.force_login(people["alex"])
    assert client.get(f"/continuity/{people['therapist'].pk}/").status_code == 404


def test_an_absence_declared_through_the_api_by_staff_opens_it_too(client, people, plan):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(people['lee'])}")
    body = {
        "therapist": people["therapist"].pk,
        "clients": [people["robin"].pk],
        "kind": "unplanned",
        "starts_at": (NOW - timedelta(hours=1)).isoformat(),
        "sessions_plan": "cancelled_practice",
        "activate": True,
    }
    assert api.post("/api/v1/absences/", body, format="json").status_code == 201
    client.force_login(people["alex"])
    assert client.get(f"/continuity/{people['therapist'].pk}/").status_code == 200


def test_an_absence_declared_to_begin_later_opens_the_list_when_it_begins(client, people, plan):
    services.absence_declare(
        staff=people["lee"],
        therapist=people["therapist"],
        starts_at=NOW + timedelta(hours=6),
        sessions_plan="cancelled_practice",
    )
    client.force_login(people["alex"])
    url = f"/continuity/{people['therapist'].pk}/"
    assert client.get(url).status_code == 404
    with time_machine.travel(NOW + timedelta(hours=7), tick=False):
        assert client.get(url).status_code == 200


def test_the_colleague_records_a_call(client, people, declared):
    url = f"/continuity/{people['therapist'].pk}/clients/{people['sam'].pk}/"
    client.force_login(people["alex"])
    page = client.get(url).content.decode()
    assert "A phone call, not a message" in page and "+447700900456" in page
    answer = client.post(
        url,
        {"called_at": "2026-12-01T11:30", "outcome": "message_left", "note": "NOTE: call back"},
    )
    assert answer.status_code == 302
    call = ContinuityCall.objects.get()
    assert (call.client, call.made_by, call.outcome) == (
        people["sam"],
        people["alex"],
        "message_left",
    )
    assert call.called_at == NOW - timedelta(minutes=30)
    page = client.get(url).content.decode()
    assert (
        "Left a message" in page and "NOTE: call back" in page and "1 December 2026, 11:30" in page
    )
    listing = client.get(f"/continuity/{people['therapist'].pk}/").content.decode()
    assert "Left a message" in listing.split("Sam Stone")[1].split("</tr>")[0]
    event = AuditEvent.objects.get(action="continuity.call_recorded")
    assert event.actor == people["alex"] and event.client_id == people["sam"].pk
    assert event.detail == {"outcome": "message_left"}  # never the note


def test_a_bad_call_record_is_a_form_error(client, people, declared):
    url = f"/continuity/{people['therapist'].pk}/clients/{people['sam'].pk}/"
    client.force_login(people["alex"])
    for data, field in (
        ({"called_at": "2026-12-01T11:30", "outcome": "fine"}, "outcome"),
        ({"called_at": "", "outcome": "reached"}, "called_at"),
        ({"called_at": "2026-12-02T11:30", "outcome": "reached"}, "called_at"),  # not yet
        ({"called_at": "2026-12-01T11:30", "outcome": "reached", "note": "x" * 2001}, "note"),
    ):
        answer = client.post(url, data)
        assert answer.status_code == 400, data
        assert f'id="id_{field}_error"' in answer.content.decode(), data
    assert not ContinuityCall.objects.exists()


def test_staff_end_the_absence_and_the_list_closes(client, people, declared):
    client.force_login(people["lee"])
    answer = client.post(f"{_absence_url(people)}end/")
    assert answer.status_code == 302
    assert set(Break.objects.values_list("status", flat=True)) == {"cancelled"}
    client.force_login(people["alex"])
    assert client.get(f"/continuity/{people['therapist'].pk}/").status_code == 404
    assert "SCRIPT" not in client.get("/continuity/").content.decode()
    client.force_login(people["lee"])
    page = client.get(_absence_url(people)).content.decode()
    assert "Declare an unplanned absence" in page and "Alex" not in page


def test_an_absence_cannot_be_declared_twice_nor_ended_twice(people, declared):
    with pytest.raises(ValidationError) as error:
        services.absence_declare(
            staff=people["lee"],
            therapist=people["therapist"],
            starts_at=NOW,
            sessions_plan="cancelled_practice",
        )
    assert error.value.message_dict == {
        "starts_at": ["An absence is already declared for this therapist."]
    }
    services.absence_end(staff=people["lee"], therapist=people["therapist"])
    with pytest.raises(ValidationError):
        services.absence_end(staff=people["lee"], therapist=people["therapist"])


def test_a_call_note_is_in_the_clients_export_and_goes_with_erasure(people, declared):
    from planner.privacy import services as privacy

    plan = services.selectors.plan_of(people["therapist"])
    assert plan is not None
    services.call_record(
        plan=plan,
        client=people["robin"],
        actor=people["alex"],
        called_at=NOW,
        outcome="reached",
        note="NOTE: spoke about the river",
    )
    exported = privacy.client_export(client=people["robin"], actor=people["robin"].user)
    assert [(c["outcome"], c["note"]) for c in exported["calls"]] == [
        ("reached", "NOTE: spoke about the river")
    ]
    privacy.client_erase(client=people["robin"], actor=people["robin"].user)
    assert ContinuityCall.objects.get().note == ""


def test_without_a_continuity_plan_staff_are_told_nobody_has_a_call_list(client, people):
    client.force_login(people["lee"])
    answer = client.post(
        _absence_url(people),
        {"starts_at": "2026-12-01T09:00", "sessions_plan": "cancelled_practice"},
    )
    assert answer.status_code == 302
    page = client.get(_absence_url(people)).content.decode()
    assert "nobody has a call list for them" in page
    assert not Break.objects.filter(needs_call=True).exists()
