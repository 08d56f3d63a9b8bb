"""If the therapist will not return (staff say so), the colleague hands each client over to
another therapist of the practice: plan and history follow, the client is told, the old
therapist's access ends (issue 19, point 3)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from planner.continuity import services
from planner.delivery import notify
from planner.models import AuditEvent, Break, CheckIn, Client, InboxMessage
from tests.factories import CheckInFactory, InboxMessageFactory
from tests.helpers import NOW, a_break


def _hand_over_url(people, client_key="robin") -> str:
    return f"/continuity/{people['therapist'].pk}/clients/{people[client_key].pk}/hand-over/"


@pytest.fixture
def history(people):
    """Robin's earlier holiday (with a check-in and a message) before the absence."""
    brk = a_break(
        people["therapist"],
        people["robin"],
        starts_at=NOW - timedelta(days=30),
        ends_at=NOW - timedelta(days=20),
        return_session_at=NOW - timedelta(days=19),
    )
    CheckInFactory(client=people["robin"], break_obj=brk, distress=3, note="Calmer today.")
    InboxMessageFactory(client=people["robin"], break_obj=brk, category="coping", text="Breathe.")
    return brk


@pytest.fixture
def will_not_return(client, people, declared):
    client.force_login(people["lee"])
    answer = client.post(f"/practice/therapists/{people['therapist'].pk}/absence/will-not-return/")
    assert answer.status_code == 302
    page = client.get(f"/practice/therapists/{people['therapist'].pk}/absence/").content.decode()
    assert "Recorded: the therapist will not return." in page
    client.logout()


def test_no_hand_over_before_staff_say_the_therapist_will_not_return(client, people, declared):
    client.force_login(people["alex"])
    page = client.get(f"/continuity/{people['therapist'].pk}/clients/{people['robin'].pk}/")
    assert "Hand over this client" not in page.content.decode()
    answer = client.post(_hand_over_url(people), {"to": people["olive"].pk})
    assert answer.status_code == 400
    assert "once staff say the therapist will not return" in answer.content.decode()
    assert Client.objects.get(pk=people["robin"].pk).therapist == people["therapist"]


def test_will_not_return_needs_a_declared_absence(people, plan):
    with pytest.raises(ValidationError) as error:
        services.will_not_return_mark(staff=people["lee"], therapist=people["therapist"])
    assert error.value.message_dict == {"therapist": ["Declare the absence first."]}


def test_the_colleague_hands_a_client_over_and_the_history_follows(
    client, people, history, will_not_return, django_capture_on_commit_callbacks
):
    robin = people["robin"]
    declared_break = Break.objects.get(client=robin, kind="unplanned")
    client.force_login(people["alex"])
    page = client.get(f"/continuity/{people['therapist'].pk}/clients/{robin.pk}/").content.decode()
    assert "Hand over this client" in page
    select = page.split('name="to"')[1].split("</select>")[0]
    assert "Olive Park" in select and "Alex Reed" in select and "Morgan" not in select
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(_hand_over_url(people), {"to": people["olive"].pk})
    assert answer.status_code == 302
    robin.refresh_from_db()
    assert robin.therapist == people["olive"]
    # The plan and history follow: the breaks now belong to Olive, check-ins and messages stay.
    assert set(Break.objects.filter(client=robin).values_list("therapist", flat=True)) == {
        people["olive"].pk
    }
    history.refresh_from_db()
    assert history.status != "cancelled"
    declared_break.refresh_from_db()
    assert declared_break.status == "cancelled"  # the absence was Morgan's
    assert CheckIn.objects.filter(client=robin, note="Calmer today.").exists()
    assert InboxMessage.objects.filter(client=robin, text="Breathe.").exists()
    # The client is told: in their inbox...
    told = InboxMessage.objects.get(client=robin, category="handover")
    assert "Olive Park" in told.text and "Test practice" in told.text
    assert "+441632960000" in told.text  # how to reach the practice
    assert not re.search(r"\d{1,2} \w+ 20\d\d|return", told.text)  # no return date
    # ... and by their usual channel (email), with a neutral line and a link only.
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["robin@example.com"]
    assert "You have a new message in Between." in email.body and "/l/inbox/" in email.body
    assert "Olive" not in email.body and "Morgan" not in email.body
    client.force_login(robin.user)
    inbox = client.get("/me/inbox/")
    assert inbox.status_code == 200 and "Olive Park" in inbox.content.decode()
    # Morgan's access ends; Olive has it.
    client.force_login(people["therapist"])
    assert client.get(f"/clients/{robin.pk}/").status_code == 404
    assert client.get(f"/breaks/{history.pk}/").status_code == 404
    client.force_login(people["olive"])
    assert client.get(f"/clients/{robin.pk}/").status_code == 200
    assert client.get(f"/breaks/{history.pk}/").status_code == 200
    # Robin leaves the call list; Sam is still on it.
    client.force_login(people["alex"])
    listing = client.get(f"/continuity/{people['therapist'].pk}/").content.decode()
    assert "Robin Example" not in listing and "Sam Stone" in listing
    assert (
        client.get(f"/continuity/{people['therapist'].pk}/clients/{robin.pk}/").status_code == 404
    )
    event = AuditEvent.objects.get(action="client.handed_over")
    assert event.actor == people["alex"] and event.client_id == robin.pk
    assert event.detail == {"from": people["therapist"].pk, "to": people["olive"].pk}


def test_a_client_who_wants_sms_is_told_by_sms(
    people, will_not_return, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []

    class Backend:
        def send(self, *, to, body):
            sent.append((to, body))
            return "SM1"

    monkeypatch.setattr(notify, "get_sms_backend", lambda: Backend())
    sam = people["sam"]
    Client.objects.filter(pk=sam.pk).update(channels=["inbox", "sms"])
    sam.refresh_from_db()
    plan = services.selectors.plan_of(people["therapist"])
    assert plan is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.client_hand_over(plan=plan, client=sam, to=people["olive"], actor=people["alex"])
    assert len(sent) == 1 and sent[0][0] == "+447700900456"
    assert sent[0][1].startswith("You have a new message in Between.")
    assert "Olive" not in sent[0][1]
    assert mail.outbox == []


def test_a_hand_over_to_the_absent_therapist_or_a_non_therapist_is_refused(
    client, people, will_not_return
):
    client.force_login(people["alex"])
    for wrong in (people["therapist"].pk, people["lee"].pk, 999999, "x"):
        answer = client.post(_hand_over_url(people), {"to": wrong})
        assert answer.status_code == 400, wrong
        assert "Select a valid choice" in answer.content.decode()
    assert Client.objects.get(pk=people["robin"].pk).therapist == people["therapist"]
    plan = services.selectors.plan_of(people["therapist"])
    assert plan is not None
    with pytest.raises(ValidationError):
        services.client_hand_over(
            plan=plan, client=people["robin"], to=people["therapist"], actor=people["alex"]
        )


def test_only_the_named_colleague_hands_over(client, people, will_not_return):
    for who in ("olive", "lee", "therapist"):
        client.force_login(people[who])
        assert client.post(_hand_over_url(people), {"to": people["olive"].pk}).status_code == 404
    assert Client.objects.get(pk=people["robin"].pk).therapist == people["therapist"]


def test_ending_the_absence_clears_will_not_return(people, will_not_return):
    services.absence_end(staff=people["lee"], therapist=people["therapist"])
    services.absence_declare(
        staff=people["lee"],
        therapist=people["therapist"],
        starts_at=NOW,
        sessions_plan="cancelled_practice",
    )
    plan = services.selectors.plan_of(people["therapist"])
    assert plan is not None and not services.selectors.hand_over_open(plan)
