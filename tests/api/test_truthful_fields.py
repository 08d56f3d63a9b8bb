"""The API's side of issue 14: booked booster sessions, how many prompts, the topics to
leave out, the sessions plan and open-ended unplanned absences on breaks; the template key
of each prompt; how many prompts on the client's own preferences."""

from __future__ import annotations

from datetime import timedelta

from django.utils.timezone import now

from planner.models import Break, PromptTemplate

V = "/api/v1"


def test_an_ending_takes_its_booked_booster_sessions(world, plan):
    api = world.api("therapist_a")
    last = now().replace(microsecond=0) + timedelta(days=40)
    booster = last + timedelta(days=60)
    body = {
        **plan(kind="ending", ends_at=last, client=world.client_a.pk),
        "booster_sessions": [booster.isoformat()],
        "return_session_at": None,
    }
    made = api.post(f"{V}/breaks/", body, format="json")
    assert made.status_code == 201, made.content
    shown = made.json()["booster_sessions"]
    assert len(shown) == 1 and shown[0].endswith("Z")
    brk = Break.objects.get(pk=made.json()["id"])
    assert brk.booster_datetimes == [booster]
    early = api.patch(
        f"{V}/breaks/{brk.pk}/",
        {"booster_sessions": [(last - timedelta(days=1)).isoformat()]},
        format="json",
    )
    assert early.status_code == 400 and "booster_sessions" in early.json()
    holiday = api.post(
        f"{V}/breaks/",
        {**plan(client=world.client_a.pk), "booster_sessions": [booster.isoformat()]},
        format="json",
    )
    assert holiday.status_code == 400 and "booster_sessions" in holiday.json()


def test_a_break_takes_how_many_prompts_and_the_topics_to_leave_out(world, plan):
    api = world.api("therapist_a")
    body = {
        **plan(client=world.client_a.pk),
        "prompt_amount": "fewer",
        "avoid_topics": ["food", "body"],
    }
    made = api.post(f"{V}/breaks/", body, format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["prompt_amount"], made.json()["avoid_topics"]) == (
        "fewer",
        ["body", "food"],
    )
    bad = api.post(
        f"{V}/breaks/",
        {**plan(client=world.client_a.pk), "avoid_topics": ["spiders"]},
        format="json",
    )
    assert bad.status_code == 400 and "avoid_topics" in bad.json()
    bad = api.post(
        f"{V}/breaks/", {**plan(client=world.client_a.pk), "prompt_amount": "lots"}, format="json"
    )
    assert bad.status_code == 400 and "prompt_amount" in bad.json()


def test_an_unplanned_absence_may_be_open_ended_and_says_what_happens_to_sessions(world, plan):
    api = world.api("therapist_a")
    body = {
        **plan(kind="unplanned", ends_at=None, client=world.client_a.pk),
        "return_session_at": None,
    }
    missing = api.post(f"{V}/breaks/", body, format="json")
    assert missing.status_code == 400 and "sessions_plan" in missing.json()
    made = api.post(f"{V}/breaks/", {**body, "sessions_plan": "cancelled_practice"}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["ends_at"] is None and made.json()["return_session_at"] is None
    prompts = api.get(f"{V}/breaks/{made.json()['id']}/prompts/").json()["results"]
    categories = {p["category"] for p in prompts}
    assert "unplanned_notice" in categories and "countdown" not in categories
    holiday = api.post(
        f"{V}/breaks/", {**plan(client=world.client_a.pk), "ends_at": None}, format="json"
    )
    assert holiday.status_code == 400 and "ends_at" in holiday.json()


def test_every_prompt_names_its_library_template(world):
    api = world.api("therapist_a")
    keys = set(PromptTemplate.objects.values_list("key", flat=True))
    for brk in (world.draft_a, world.break_a):  # a preview, and the stored schedule
        rows = api.get(f"{V}/breaks/{brk.pk}/prompts/").json()["results"]
        # The therapist's note (NOTE-OF-A) is the therapist's own words, from no template.
        notes = [row for row in rows if "NOTE-OF-A" in row["text"]]
        assert len(notes) == 1 and notes[0]["template"] == "", brk.status
        library = [row for row in rows if row not in notes]
        assert library and all(row["template"] in keys for row in library), brk.status


def test_the_client_chooses_how_many_prompts_and_their_breaks_follow(world):
    api = world.api("client_a")
    before = world.break_a.prompts.filter(status="pending").count()
    answer = api.patch(f"{V}/me/preferences/", {"prompt_amount": "fewer"}, format="json")
    assert answer.status_code == 200 and answer.json()["prompt_amount"] == "fewer"
    world.break_a.refresh_from_db()
    assert world.break_a.prompt_amount == "fewer"
    after = world.break_a.prompts.filter(
        status="pending", plan_version=world.break_a.plan_version
    ).count()
    assert after < before
