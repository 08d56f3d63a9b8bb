"""Staff review the declared absence's draft plans on their page and send them, keeping back
the clients to call first (issue 19, point 3): who each plan is for, whether the therapist
marked them "needs a call", when the first message goes out, and none of the plan's
clinical content."""

from __future__ import annotations

from django.contrib.messages import get_messages

from core.models import Practice
from planner.breaks import selectors as break_selectors
from planner.breaks import services as break_services
from planner.models import AuditEvent, Break, ScheduledPrompt
from tests.factories import StaffFactory
from tests.helpers import draft_break


def _absence_url(people) -> str:
    return f"/practice/therapists/{people['therapist'].pk}/absence/"


def _send_url(people) -> str:
    return f"{_absence_url(people)}send/"


def _plans(people) -> dict[str, Break]:
    return {b.client.first_name: b for b in Break.objects.filter(therapist=people["therapist"])}


def _said(answer) -> list[str]:
    return [str(m) for m in get_messages(answer.wsgi_request)]


def test_staff_see_each_draft_with_its_first_date_and_none_of_its_words(client, people, declared):
    plans = _plans(people)
    first = {name: break_selectors.schedule_for_break(brk)[0] for name, brk in plans.items()}
    client.force_login(people["lee"])
    page = client.get(_absence_url(people)).content.decode()
    assert "Review and send the plans" in page
    assert "Robin Example" in page and "Sam Stone" in page
    # Sam is the client Morgan marked: the box is ticked and says so; Robin's is not.
    sam, robin = plans["Sam"].pk, plans["Robin"].pk
    assert f'value="{sam}" id="call-first-{sam}" checked>' in page
    assert f'value="{robin}" id="call-first-{robin}">' in page
    assert page.count("Needs a call") == 1
    for row in first.values():
        assert row.local_send_at.strftime("%a %-d %b %Y, %H:%M") in page
        assert row.text not in page  # the first message's words stay the therapist's
    assert "SCRIPT" not in page
    assert "Send the plans" in page


def test_sending_activates_the_plans_and_keeps_back_those_to_call_first(client, people, declared):
    plans = _plans(people)
    client.force_login(people["lee"])
    answer = client.post(_send_url(people), {"call_first": [str(plans["Sam"].pk)]})
    assert answer.status_code == 302
    assert _said(answer) == [
        "1 plan is activated: its messages go out as planned. 1 client waits for a phone "
        "call: their plan stays a draft and nothing is sent to them."
    ]
    plans = _plans(people)
    assert plans["Robin"].status == Break.Status.ACTIVE
    assert (plans["Sam"].status, plans["Sam"].needs_call) == (Break.Status.DRAFT, True)
    assert ScheduledPrompt.objects.filter(client=people["robin"]).exists()
    assert not ScheduledPrompt.objects.filter(client=people["sam"]).exists()
    assert AuditEvent.objects.filter(action="break.activated", actor=people["lee"]).count() == 1
    page = client.get(_absence_url(people)).content.decode()
    assert "Waits for a call" in page
    assert f'id="call-first-{plans["Robin"].pk}"' not in page  # sent: no box any more

    # After the call, Lee unticks Sam and sends again.
    answer = client.post(_send_url(people), {})
    assert _said(answer) == ["1 plan is activated: its messages go out as planned."]
    assert _plans(people)["Sam"].status == Break.Status.ACTIVE
    assert ScheduledPrompt.objects.filter(client=people["sam"]).exists()
    page = client.get(_absence_url(people)).content.decode()
    assert "Every plan of this absence has been sent." in page
    assert "Send the plans" not in page


def test_staff_may_call_first_a_client_the_therapist_did_not_mark(client, people, declared):
    plans = _plans(people)
    client.force_login(people["lee"])
    ids = [str(plans["Sam"].pk), str(plans["Robin"].pk)]
    answer = client.post(_send_url(people), {"call_first": ids})
    assert _said(answer) == [
        "No plan is activated. 2 clients wait for a phone call: their plans stay drafts and "
        "nothing is sent to them."
    ]
    assert not ScheduledPrompt.objects.exists()
    assert all(b.status == Break.Status.DRAFT and b.needs_call for b in _plans(people).values())
    # The colleague's list then shows Robin as a phone call too, not only the marked Sam.
    client.force_login(people["alex"])
    therapist = people["therapist"].pk
    listed = client.get(f"/continuity/{therapist}/").content.decode()
    assert listed.count('<span class="badge">Phone call</span>') == 2
    robin = client.get(f"/continuity/{therapist}/clients/{people['robin'].pk}/")
    assert "A phone call, not a message" in robin.content.decode()


def test_ids_that_are_not_this_absences_drafts_are_a_form_error(client, people, declared):
    other = break_services.client_create(therapist=people["olive"], first_name="Other")
    elsewhere = draft_break(people["olive"], other)
    client.force_login(people["lee"])
    for value in (str(elsewhere.pk), "999999", "soon", "-1"):
        answer = client.post(_send_url(people), {"call_first": [value]})
        assert answer.status_code == 400, value
        page = answer.content.decode()
        assert 'id="id_call_first_error"' in page, value
        assert "Please check the form" in page
    assert not ScheduledPrompt.objects.exists()
    assert all(b.status == Break.Status.DRAFT for b in _plans(people).values())
    assert Break.objects.get(pk=elsewhere.pk).status == Break.Status.DRAFT


def test_with_nothing_to_send_the_send_is_a_form_error(client, people, plan):
    client.force_login(people["lee"])
    answer = client.post(_send_url(people), {})
    assert answer.status_code == 400
    assert "No plan of this absence is waiting to be sent." in answer.content.decode()


def test_only_staff_of_the_practice_send_the_plans(client, people, declared):
    plans = _plans(people)
    outside = StaffFactory(practice=Practice.objects.create(name="Elsewhere"))
    for user in (people["alex"], people["therapist"], people["olive"], outside):
        client.force_login(user)
        answer = client.post(_send_url(people), {"call_first": [str(plans["Sam"].pk)]})
        assert answer.status_code == 404, user.email
    assert client.get(_send_url(people)).status_code in (404, 405)
    assert not ScheduledPrompt.objects.exists()
    assert all(b.status == Break.Status.DRAFT for b in _plans(people).values())
