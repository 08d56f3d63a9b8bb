from __future__ import annotations

from datetime import timedelta

from django.utils.timezone import now

V = "/api/v1"


def test_a_therapist_plans_previews_activates_and_cancels_a_break(world, plan):
    api = world.api("therapist_a")
    body = {"client": world.client_a.pk, **plan(coping_strategies=["tea"])}
    created = api.post(f"{V}/breaks/", body, format="json")
    assert created.status_code == 201, created.content
    brk = created.json()
    assert brk["status"] == "draft" and brk["timezone"] == "Europe/London"
    preview = api.get(f"{V}/breaks/{brk['id']}/prompts/").json()["results"]
    assert preview and {p["status"] for p in preview} == {"preview"}
    assert preview[0]["local_send_at"][-6:] in ("+00:00", "+01:00")
    assert api.post(f"{V}/breaks/{brk['id']}/activate/").json()["status"] == "scheduled"
    stored = api.get(f"{V}/breaks/{brk['id']}/prompts/").json()["results"]
    assert stored[0]["id"] is not None
    again = api.post(f"{V}/breaks/{brk['id']}/activate/")
    assert again.status_code == 400 and "status" in again.json()
    assert api.post(f"{V}/breaks/{brk['id']}/cancel/").json()["status"] == "cancelled"


def test_editing_a_scheduled_break_reschedules_its_prompts(world):
    api = world.api("therapist_a")
    answer = api.patch(
        f"{V}/breaks/{world.break_a.pk}/", {"prompt_times": ["11:00"]}, format="json"
    )
    assert answer.status_code == 200, answer.content
    prompts = api.get(f"{V}/breaks/{world.break_a.pk}/prompts/?page_size=200").json()
    pending = [p for p in prompts["results"] if p["status"] == "pending"]
    assert pending and all(p["local_send_at"][11:16] >= "11:00" for p in pending)


def test_breaks_filter_by_status_kind_and_date_and_order(world):
    api = world.api("therapist_a")
    ids = lambda q: [b["id"] for b in api.get(f"{V}/breaks/?{q}").json()["results"]]  # noqa: E731
    assert ids("status=draft") == [world.draft_a.pk]
    assert ids("kind=gap") == [world.draft_a.pk]
    soon = (now() + timedelta(days=1)).date().isoformat()
    assert set(ids(f"starts_after={soon}")) == {world.break_a.pk, world.draft_a.pk}
    assert ids(f"starts_before={soon}") == []
    assert ids("ordering=created_at") == [world.break_a.pk, world.draft_a.pk]
    assert ids("ordering=-created_at") == [world.draft_a.pk, world.break_a.pk]


def test_deliveries_show_status_attempts_and_last_error(world):
    rows = world.api("therapist_a").get(f"{V}/breaks/{world.break_a.pk}/deliveries/").json()
    row = rows["results"][0]
    assert (row["channel"], row["status"], row["attempts"], row["last_error"]) == (
        "email",
        "failed",
        2,
        "smtp timeout",
    )


def test_an_absence_creates_one_draft_per_client(world, plan):
    from planner.breaks import services

    services.client_create(therapist=world.users["therapist_a"], first_name="Second", country="GB")
    body = {**plan(), "clients": "all"}
    answer = world.api("therapist_a").post(f"{V}/absences/", body, format="json")
    assert answer.status_code == 201, answer.content
    assert [b["status"] for b in answer.json()] == ["draft", "draft"]


def test_a_colleague_declares_an_open_ended_unplanned_absence_then_reviews_it(world, plan):
    """Issue 14: no made-up end, what happens to booked sessions, no activation of "all" at
    once, and a client to phone rather than message."""
    from planner.breaks import services

    second = services.client_create(
        therapist=world.users["therapist_a"], first_name="Second", country="GB"
    )
    body = {
        **plan(kind="unplanned", starts_at=now() + timedelta(hours=1)),
        "clients": "all",
        "therapist": world.users["therapist_a"].pk,
        "ends_at": None,
        "sessions_plan": "cancelled_practice",
    }
    body.pop("return_session_at")
    api = world.api("therapist_b")
    refused = api.post(f"{V}/absences/", {**body, "activate": True}, format="json")
    assert refused.status_code == 400 and "activate" in refused.json()
    answer = api.post(f"{V}/absences/", body, format="json")
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert {b["status"] for b in made} == {"draft"}
    assert {b["ends_at"] for b in made} == {None}
    assert {b["sessions_plan"] for b in made} == {"cancelled_practice"}
    assert {b["client"] for b in made} == {world.client_a.pk, second.pk}
    ids = [b["id"] for b in made]
    call = next(b["id"] for b in made if b["client"] == second.pk)
    reviewed = api.post(
        f"{V}/absences/activate/", {"breaks": ids, "call_first": [call]}, format="json"
    )
    assert reviewed.status_code == 200, reviewed.content
    statuses = {b["id"]: (b["status"], b["needs_call"]) for b in reviewed.json()}
    assert statuses[call] == ("draft", True)
    assert {v for k, v in statuses.items() if k != call} == {("scheduled", False)}
    stranger = world.api("therapist_a").post(
        f"{V}/absences/activate/", {"breaks": [999999]}, format="json"
    )
    assert stranger.status_code == 400 and "breaks" in stranger.json()


def test_the_breaks_list_gives_summaries_and_the_detail_the_plan(world):
    from planner.api.serializers import BreakSummarySerializer
    from planner.models import Break

    api = world.api("therapist_a")
    world.break_a.paused_at = now()
    world.break_a.save()
    rows = {b["id"]: b for b in api.get(f"{V}/breaks/").json()["results"]}
    listed = rows[world.break_a.pk]
    assert listed["view"] == "summary" and listed["paused"] is True
    # Built from value rows, the same JSON as the serializer the schema describes.
    assert listed == dict(BreakSummarySerializer(Break.objects.get(pk=world.break_a.pk)).data)
    for plan_field in ("prompt_times", "coping_strategies", "therapist_note", "warning_signs"):
        assert plan_field not in listed
    detail = api.get(f"{V}/breaks/{world.break_a.pk}/").json()
    assert detail["view"] == "therapist" and "NOTE-OF-A" in detail["therapist_note"]
    assert {k: detail[k] for k in listed if k != "view"} == {
        k: v for k, v in listed.items() if k != "view"
    }


def test_the_breaks_list_counts_in_the_page_query(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import BreakFactory

    a = world.users["therapist_a"]
    for _ in range(4):
        BreakFactory(client=world.client_a, therapist=a, kind="holiday", status="completed")
    api = world.api("therapist_a")
    with CaptureQueriesContext(connection) as queries:
        first = api.get(f"{V}/breaks/?page_size=2").json()
    assert len(queries) == 2  # the token, then the page with its count
    assert first["count"] == 6 and len(first["results"]) == 2
    assert first["previous"] is None and first["next"].endswith("page=2&page_size=2")
    last = api.get(f"{V}/breaks/?page_size=2&page=last").json()
    assert last["next"] is None and "page_size=2" in last["previous"]
    assert len(last["results"]) == 2 and last["count"] == 6
    assert (
        api.get(f"{V}/breaks/?page_size=2&page=3").json()["previous"].endswith("page=2&page_size=2")
    )
    seen = [
        b["id"]
        for p in (1, 2, 3)
        for b in api.get(f"{V}/breaks/?page_size=2&page={p}").json()["results"]
    ]
    assert len(set(seen)) == 6
    for beyond in ("4", "0", "x"):
        gone = api.get(f"{V}/breaks/?page_size=2&page={beyond}")
        assert gone.status_code == 404 and gone.json() == {"detail": "Invalid page."}
    assert api.get(f"{V}/breaks/?status=cancelled").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
