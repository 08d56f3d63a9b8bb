"""The therapist's continuity plan (issue 19, point 3): a colleague of the same practice,
the words to say, who needs a phone call. Only the therapist sees it before a declaration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.models import Practice
from planner.continuity import services
from planner.models import AuditEvent, ContinuityPlan
from tests.factories import ClientFactory, TherapistFactory


def test_the_therapist_names_a_colleague_writes_the_script_and_marks_calls(client, people):
    client.force_login(people["therapist"])
    page = client.get("/continuity/plan/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Alex Reed" in html and "Olive Park" in html and "Sam Stone" in html
    select = html.split('name="colleague"')[1].split("</select>")[0]
    assert "Alex Reed" in select and "Morgan" not in select  # not themselves
    answer = client.post(
        "/continuity/plan/",
        {
            "colleague": people["alex"].pk,
            "script": "Hello, this is the practice.",
            "call_clients": [people["sam"].pk],
        },
    )
    assert answer.status_code == 302
    plan = ContinuityPlan.objects.get(therapist=people["therapist"])
    assert plan.colleague == people["alex"] and plan.script == "Hello, this is the practice."
    assert list(plan.call_clients.all()) == [people["sam"]]
    assert AuditEvent.objects.filter(action="continuity.saved", actor=people["therapist"]).exists()
    again = client.get("/continuity/plan/").content.decode()
    assert "Hello, this is the practice." in again
    assert (
        "checked" in again.split(f'name="call_clients" value="{people["sam"].pk}"')[1].split(">")[0]
    )
    assert (
        "checked"
        not in again.split(f'name="call_clients" value="{people["robin"].pk}"')[1].split(">")[0]
    )


def test_the_colleague_cannot_be_themselves_or_of_another_practice(client, people):
    elsewhere = TherapistFactory(practice=Practice.objects.create(name="Elsewhere"))
    client.force_login(people["therapist"])
    for wrong in (people["therapist"].pk, elsewhere.pk, people["lee"].pk, 999999):
        answer = client.post("/continuity/plan/", {"colleague": wrong, "script": "x"})
        assert answer.status_code == 400
        assert "Select a valid choice" in answer.content.decode()
    assert not ContinuityPlan.objects.exists()
    with pytest.raises(ValidationError) as error:
        services.plan_save(
            therapist=people["therapist"],
            colleague=people["therapist"],
            script="",
            call_clients=[],
        )
    assert error.value.message_dict == {
        "colleague": ["Choose an active therapist of your practice, not yourself."]
    }
    with pytest.raises(ValidationError):
        services.plan_save(
            therapist=people["therapist"], colleague=elsewhere, script="", call_clients=[]
        )


def test_only_own_clients_can_be_marked_for_a_call(people):
    stranger = ClientFactory(therapist=people["alex"], first_name="Other")
    with pytest.raises(ValidationError) as error:
        services.plan_save(
            therapist=people["therapist"],
            colleague=people["alex"],
            script="",
            call_clients=[stranger],
        )
    assert "call_clients" in error.value.message_dict


def test_a_script_too_long_is_a_form_error(client, people):
    client.force_login(people["therapist"])
    answer = client.post(
        "/continuity/plan/", {"colleague": people["alex"].pk, "script": "x" * 4001}
    )
    assert answer.status_code == 400
    assert "at most 4000 characters" in answer.content.decode()


def test_before_a_declaration_nobody_else_sees_the_list(client, people, plan):
    url = f"/continuity/{people['therapist'].pk}/"
    client_url = f"{url}clients/{people['robin'].pk}/"
    for who in ("alex", "olive", "lee"):
        client.force_login(people[who])
        assert client.get(url).status_code == 404, who
        assert client.get(client_url).status_code == 404, who
        assert client.post(client_url, {"outcome": "reached"}).status_code == 404, who
    client.force_login(people["alex"])
    home = client.get("/continuity/").content.decode()
    assert "SCRIPT" not in home and "Morgan" not in home
    # Staff's page says nothing of the plan before a declaration either.
    client.force_login(people["lee"])
    page = client.get(f"/practice/therapists/{people['therapist'].pk}/absence/").content.decode()
    assert "Alex" not in page and "SCRIPT" not in page


def test_the_plan_page_is_for_therapists(client, people):
    for who in ("lee",):
        client.force_login(people[who])
        assert client.get("/continuity/plan/").status_code == 404
    client.logout()
    assert client.get("/continuity/plan/").status_code == 302  # to the login
