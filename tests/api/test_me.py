from __future__ import annotations

from datetime import timedelta

from django.utils.timezone import now

from tests.factories import InboxMessageFactory

V = "/api/v1"


def test_it_gives_a_token_for_good_credentials_and_a_non_field_error_otherwise(world):
    api = world.api("anonymous")
    email = world.users["therapist_a"].email
    good = api.post(f"{V}/auth/token/", {"username": email, "password": "a-long-test-password-1"})
    assert good.status_code == 200
    token = good.json()["token"]
    wrong = api.post(f"{V}/auth/token/", {"username": email, "password": "nope"})
    unknown = api.post(f"{V}/auth/token/", {"username": "who@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()  # never reveals whether the email exists
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(f"{V}/clients/").status_code == 200


def test_the_inbox_is_newest_first_with_a_cursor(world):
    for i in range(3):
        InboxMessageFactory(
            client=world.client_a,
            category="hope",
            text=f"t{i}",
            delivered_at=now() + timedelta(minutes=i + 1),
        )
    api = world.api("client_a")
    page = api.get(f"{V}/me/inbox/?page_size=2").json()
    assert [m["text"] for m in page["results"]] == ["t2", "t1"]
    rest = api.get(page["next"]).json()
    assert [m["text"] for m in rest["results"]] == ["t0", "INBOX-OF-A"]


def test_acknowledging_is_idempotent(world):
    api = world.api("client_a")
    url = f"{V}/me/inbox/{world.inbox_a.pk}/acknowledge/"
    first = api.post(url).json()["acknowledged_at"]
    assert first is not None
    assert api.post(url).json()["acknowledged_at"] == first


def test_preferences_change_times_channels_and_pause(world):
    api = world.api("client_a")
    until = (now() + timedelta(days=2)).isoformat()
    body = {
        "prompt_times": ["10:00", "18:30"],
        "channels": ["email"],
        "timezone": "America/New_York",
        "paused_until": until,
    }
    answer = api.patch(f"{V}/me/preferences/", body, format="json")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["prompt_times"] == ["10:00", "18:30"]
    assert data["channels"] == ["inbox", "email"]
    assert data["paused_until"] is not None
    resumed = api.patch(f"{V}/me/preferences/", {"paused_until": None}, format="json").json()
    assert resumed["paused_until"] is None


def test_preferences_refuse_quiet_hours_covering_every_prompt(world):
    body = {"quiet_hours_start": "00:00", "quiet_hours_end": "23:59"}
    answer = world.api("client_a").patch(f"{V}/me/preferences/", body, format="json")
    assert answer.status_code == 400
    assert "quiet_hours_start" in answer.json()


def test_my_breaks_carry_the_plan_but_not_drafts(world):
    rows = world.api("client_a").get(f"{V}/me/breaks/").json()["results"]
    assert [r["id"] for r in rows] == [world.break_a.pk]
    assert rows[0]["coping_strategies"] == ["a walk by the river"]
    assert rows[0]["view"] == "client"


def test_the_calendar_has_breaks_return_sessions_and_a_timezone(world):
    from icalendar import Calendar

    answer = world.api("client_a").get(f"{V}/me/calendar.ics")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="between.ics"' in answer["Content-Disposition"]
    cal = Calendar.from_ical(answer.content)
    uids = {str(e["uid"]) for e in cal.walk("VEVENT")}
    assert uids == {f"break-{world.break_a.pk}@between", f"return-{world.break_a.pk}@between"}
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]


def test_the_calendar_lists_booster_sessions_of_an_ending(world):
    from planner.breaks import services
    from planner.me.calendar import calendar_for_client

    start = now().replace(second=0, microsecond=0) + timedelta(days=20)
    booked = [start + timedelta(days=60, hours=2), start + timedelta(days=120, hours=2)]
    ending = services.break_create(
        therapist=world.users["therapist_a"],
        client=world.client_a,
        kind="ending",
        starts_at=start,
        booster_sessions=booked,
    )
    services.break_activate(brk=ending, actor=world.users["therapist_a"])
    text = calendar_for_client(world.client_a).decode()
    # The booked sessions themselves, at their time, whatever the reminders' dates.
    assert text.count(f"UID:booster-{ending.pk}-") == 2
    assert text.count("SUMMARY:Booster session") == 2
    assert f"UID:break-{ending.pk}@between" in text
    unbooked = services.break_create(
        therapist=world.users["therapist_b"],
        client=world.client_b,
        kind="ending",
        starts_at=start,
    )
    services.break_activate(brk=unbooked, actor=world.users["therapist_b"])
    assert "booster" not in calendar_for_client(world.client_b).decode().lower()


def test_the_calendar_works_with_a_session_too(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(world.users["client_a"])
    assert api.get(f"{V}/me/calendar.ics").status_code == 200
