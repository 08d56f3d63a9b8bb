"""Absences declared for another therapist (issue 13, point 1).

Only an *unplanned* absence may be declared for another therapist (one rule, in
``services.can_declare_for``), by the API and the pages alike; whoever declared it sees what
they declared (never the plan the therapist writes into it) and can cancel it; for everyone
else it stays a 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils.timezone import now
from rest_framework.test import APIClient

from core.models import Practice
from planner.breaks import services
from planner.models import Break, Client, ScheduledPrompt
from tests.security_helpers import api_token

V = "/api/v1"


@pytest.fixture
def people(make_user, therapist):
    colleague = make_user("therapist", first_name="Mallory", email="mallory@example.com")
    other_colleague = make_user("therapist", first_name="Olive", email="olive@example.com")
    staff = make_user("staff", first_name="Lee", email="lee@example.com", is_staff=True)
    robin = services.client_create(
        therapist=therapist, first_name="Robin", last_name="Example", email="robin@example.com"
    )
    return {
        "therapist": therapist,
        "colleague": colleague,
        "other": other_colleague,
        "staff": staff,
        "robin": robin,
    }


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def absence(people, kind: str, clients=None, **extra) -> dict:
    start = now() + timedelta(hours=1)
    body = {
        "therapist": people["therapist"].pk,
        "clients": clients if clients is not None else [people["robin"].pk],
        "kind": kind,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=7)).isoformat(),
        # "all" is never activated at once: those drafts go through the review step.
        "activate": clients != "all",
        "covering_clinician": {"name": "Mallory"},
        **extra,
    }
    if kind == "ending":
        body.pop("ends_at")
    if kind == "unplanned":
        body.setdefault("sessions_plan", "cancelled_practice")  # required (issue 14)
    return body


@pytest.mark.parametrize("kind", ["ending", "holiday", "gap"])
@pytest.mark.parametrize("who", ["colleague", "staff"])
def test_only_an_unplanned_absence_can_be_declared_for_another_therapist(people, kind, who):
    answer = api(people[who]).post(f"{V}/absences/", absence(people, kind, "all"), format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json() == {
        "kind": ["Only an unplanned absence can be declared for another therapist."]
    }
    assert not Break.objects.exists() and not ScheduledPrompt.objects.exists()


def test_the_rule_is_one_rule_in_the_service(people):
    rule = services.can_declare_for
    therapist, colleague, staff = people["therapist"], people["colleague"], people["staff"]
    assert rule(therapist, therapist, "ending") and rule(therapist, therapist, "holiday")
    assert rule(colleague, therapist, "unplanned") and rule(staff, therapist, "unplanned")
    assert not rule(colleague, therapist, "ending") and not rule(staff, therapist, "holiday")
    outsider = people["other"]
    outsider.practice = Practice.objects.create(name="Elsewhere")
    assert not rule(outsider, therapist, "unplanned")
    with pytest.raises(ValidationError) as error:
        services.absence_plan(
            actor=colleague,
            therapist=therapist,
            clients="all",
            kind="ending",
            starts_at=now(),
        )
    assert "kind" in error.value.message_dict
    # A therapist still plans any absence of their own, ending included.
    own = services.absence_plan(
        actor=therapist, therapist=therapist, clients="all", kind="ending", starts_at=now()
    )
    assert [b.kind for b in own] == ["ending"]


def test_the_declarer_sees_what_they_declared_and_cancels_it(people):
    colleague = api(people["colleague"])
    made = colleague.post(f"{V}/absences/", absence(people, "unplanned"), format="json")
    assert made.status_code == 201, made.content
    [row] = made.json()
    assert row["view"] == "declared" and row["status"] in ("scheduled", "active")
    assert row["therapist"] == people["therapist"].pk and row["client_first_name"] == "Robin"
    brk = Break.objects.get(pk=row["id"])
    assert brk.created_by == people["colleague"]
    # The therapist writes into it afterwards; the declarer never sees that plan.
    services.break_update(
        brk=brk,
        actor=people["therapist"],
        therapist_note="NOTE-OF-THE-THERAPIST",
        warning_signs=["WARN-OF-ROBIN"],
    )
    listed = colleague.get(f"{V}/absences/declared/").json()["results"]
    assert [r["id"] for r in listed] == [brk.pk]
    detail = colleague.get(f"{V}/breaks/{brk.pk}/")
    assert detail.status_code == 200 and detail.json()["view"] == "declared"
    for answer in (detail, made):
        text = answer.content.decode()
        assert "NOTE-OF-THE-THERAPIST" not in text and "WARN-OF-ROBIN" not in text
        assert "robin@example.com" not in text and "Example" not in text
    # Nothing else of the break is theirs: its prompts, deliveries, check-ins, edits.
    for url in ("prompts/", "deliveries/", "check-ins/"):
        assert colleague.get(f"{V}/breaks/{brk.pk}/{url}").status_code == 404
    assert colleague.patch(f"{V}/breaks/{brk.pk}/", {"kind": "gap"}).status_code == 404
    cancelled = colleague.post(f"{V}/breaks/{brk.pk}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["view"] == "declared" and cancelled.json()["status"] == "cancelled"
    brk.refresh_from_db()
    assert brk.status == Break.Status.CANCELLED
    assert not brk.prompts.filter(status=ScheduledPrompt.Status.PENDING).exists()


def test_staff_declare_for_all_clients_and_list_and_cancel_them(people, therapist):
    services.client_create(therapist=therapist, first_name="Sam")
    staff = api(people["staff"])
    made = staff.post(f"{V}/absences/", absence(people, "unplanned", "all"), format="json")
    assert made.status_code == 201, made.content
    assert {r["view"] for r in made.json()} == {"declared"}
    assert {r["status"] for r in made.json()} == {"draft"}
    ids = {r["id"] for r in made.json()}
    # The review step: Sam is phoned instead, Robin's plan is activated.
    sam = next(r["id"] for r in made.json() if r["client_first_name"] == "Sam")
    reviewed = staff.post(
        f"{V}/absences/activate/", {"breaks": sorted(ids), "call_first": [sam]}, format="json"
    )
    assert reviewed.status_code == 200, reviewed.content
    rows = {r["id"]: r for r in reviewed.json()}
    assert {r["view"] for r in rows.values()} == {"declared"}
    assert rows[sam]["status"] == "draft" and rows[sam]["needs_call"] is True
    assert {r["status"] for pk, r in rows.items() if pk != sam} <= {"scheduled", "active"}
    assert {r["id"] for r in staff.get(f"{V}/absences/declared/").json()["results"]} == ids
    for pk in ids:
        assert staff.post(f"{V}/breaks/{pk}/cancel/").status_code == 200


def test_for_anyone_else_a_declared_break_stays_a_404(people):
    made = api(people["colleague"]).post(
        f"{V}/absences/", absence(people, "unplanned"), format="json"
    )
    pk = made.json()[0]["id"]
    for who in ("other", "staff"):
        outsider = api(people[who])
        assert outsider.get(f"{V}/breaks/{pk}/").status_code == 404
        assert outsider.post(f"{V}/breaks/{pk}/cancel/").status_code == 404
        assert outsider.get(f"{V}/absences/declared/").json()["results"] == []
    assert Break.objects.get(pk=pk).status != Break.Status.CANCELLED
    # The therapist keeps their own full view of it.
    mine = api(people["therapist"]).get(f"{V}/breaks/{pk}/").json()
    assert mine["view"] == "therapist"


def test_the_pages_show_the_declarer_what_they_declared_and_let_them_cancel(client, people):
    made = api(people["staff"]).post(f"{V}/absences/", absence(people, "unplanned"), format="json")
    brk = Break.objects.get(pk=made.json()[0]["id"])
    services.break_update(
        brk=brk, actor=people["therapist"], therapist_note="NOTE-OF-THE-THERAPIST"
    )
    client.force_login(people["staff"])
    home = client.get("/").content.decode()
    assert f"/breaks/{brk.pk}/" in home and "Absences you declared for a colleague" in home
    page = client.get(f"/breaks/{brk.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "You declared this absence for a colleague." in html
    assert "NOTE-OF-THE-THERAPIST" not in html and "robin@example.com" not in html
    for prompt in brk.prompts.all():
        assert prompt.text not in html
    assert f'action="/breaks/{brk.pk}/cancel/"' in html
    # Staff are not therapists: only cancelling is theirs, no other action.
    assert client.post(f"/breaks/{brk.pk}/pause/").status_code == 404
    done = client.post(f"/breaks/{brk.pk}/cancel/")
    assert done.status_code == 302
    brk.refresh_from_db()
    assert brk.status == Break.Status.CANCELLED
    client.force_login(people["other"])
    assert client.get(f"/breaks/{brk.pk}/").status_code == 404
    assert client.post(f"/breaks/{brk.pk}/cancel/").status_code == 404


def test_a_colleagues_dashboard_lists_what_they_declared(client, people):
    made = api(people["colleague"]).post(
        f"{V}/absences/", absence(people, "unplanned"), format="json"
    )
    pk = made.json()[0]["id"]
    client.force_login(people["colleague"])
    assert f"/breaks/{pk}/" in client.get("/").content.decode()
    client.force_login(people["other"])
    assert f"/breaks/{pk}/" not in client.get("/").content.decode()


def test_a_deleted_clients_declared_break_is_gone_for_the_declarer(people):
    colleague = api(people["colleague"])
    pk = colleague.post(f"{V}/absences/", absence(people, "unplanned"), format="json").json()[0][
        "id"
    ]
    Client.objects.filter(pk=people["robin"].pk).update(deleted_at=now())
    assert colleague.get(f"{V}/breaks/{pk}/").status_code == 404
    assert colleague.get(f"{V}/absences/declared/").json()["results"] == []
