"""Letters to self: written on a page, kept for the client alone, arriving as chosen (a date,
the first weekend, a high check-in) through the outbox as an inbox message, with only a
neutral line by email unless the client opted in to full text."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from planner.checkins.services import checkin_record
from planner.delivery import outbox
from planner.letters import services
from planner.models import InboxMessage, Letter, ScheduledPrompt
from planner.schedule.localtime import localize
from tests.helpers import NOW

pytestmark = pytest.mark.django_db

MARK = "LETTER-MARK-7731: you got through the last one."
LONDON = ZoneInfo("Europe/London")


def deliver_at(moment, django_capture_on_commit_callbacks) -> int:
    """What the beat does at ``moment``: release due letters, then sweep and deliver."""
    with time_machine.travel(moment, tick=False):
        released = services.letters_release()
        with django_capture_on_commit_callbacks(execute=True):
            outbox.sweep()
    return released


def test_a_letter_for_a_date_arrives_that_day_in_the_inbox_and_email_stays_neutral(
    as_client, live, client_record, django_capture_on_commit_callbacks
):
    client_record.channels = ["inbox", "email"]
    client_record.save(update_fields=["channels"])
    day = (NOW + timedelta(days=5)).date()
    with time_machine.travel(NOW, tick=False):
        response = as_client.post(
            "/me/letters/", {"text": MARK, "arrival": "date", "arrive_on": day.isoformat()}
        )
    assert response.status_code == 302
    letter = Letter.objects.get()
    assert letter.arrives_at == localize(day, time(10), LONDON)  # the first message time
    assert (
        deliver_at(letter.arrives_at - timedelta(minutes=5), django_capture_on_commit_callbacks)
        == 0
    )
    assert not InboxMessage.objects.filter(prompt__letter=letter).exists()

    assert deliver_at(letter.arrives_at, django_capture_on_commit_callbacks) == 1
    message = InboxMessage.objects.get(prompt__letter=letter)
    assert MARK not in message.text  # the words stay in the letter
    with time_machine.travel(letter.arrives_at + timedelta(minutes=1), tick=False):
        as_client.force_login(client_record.user)
        html = as_client.get("/me/inbox/").content.decode()
        assert MARK in html
        page = as_client.get("/me/letters/").content.decode()
    assert "Arrived on" in page
    assert mail.outbox and all(MARK not in m.body for m in mail.outbox)
    # Once: the next run finds it delivered.
    assert (
        deliver_at(letter.arrives_at + timedelta(minutes=2), django_capture_on_commit_callbacks)
        == 0
    )


def test_with_full_text_the_email_carries_the_letter(
    as_client, live, client_record, django_capture_on_commit_callbacks
):
    client_record.full_text_opt_in = True
    client_record.channels = ["inbox", "email"]
    client_record.save(update_fields=["full_text_opt_in", "channels"])
    with time_machine.travel(NOW, tick=False):
        letter = services.letter_create(
            client=client_record, actor=None, text=MARK, arrival="first_weekend"
        )
    deliver_at(letter.arrives_at, django_capture_on_commit_callbacks)
    assert any(MARK in m.body for m in mail.outbox)


def test_the_first_weekend_is_the_first_saturday_of_the_break(client_record, live):
    with time_machine.travel(NOW, tick=False):
        letter = services.letter_create(
            client=client_record, actor=None, text=MARK, arrival="first_weekend"
        )
    local = letter.arrives_at.astimezone(LONDON)
    assert local.date().isoformat() == "2026-12-05" and local.time() == time(10)
    # Written on the Saturday afternoon, after its message times: the Sunday.
    with time_machine.travel(NOW + timedelta(days=4, hours=7), tick=False):
        later = services.letter_create(
            client=client_record, actor=None, text=MARK, arrival="first_weekend"
        )
    assert later.arrives_at.astimezone(LONDON).date().isoformat() == "2026-12-06"


def test_a_high_check_in_brings_the_letter_once(
    client_record, live, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        letter = services.letter_create(
            client=client_record, actor=None, text=MARK, arrival="check_in_high"
        )
    assert letter.arrives_at is None
    during = NOW + timedelta(days=4)  # Saturday, 12:00 in London: not in quiet hours
    with time_machine.travel(during, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            checkin_record(client=client_record, distress=3)
        assert not ScheduledPrompt.objects.filter(letter=letter).exists()  # not high
        with django_capture_on_commit_callbacks(execute=True):
            checkin_record(client=client_record, distress=live.distress_threshold)
        assert ScheduledPrompt.objects.filter(letter=letter).count() == 1
        with django_capture_on_commit_callbacks(execute=True):
            checkin_record(client=client_record, distress=10)
        assert ScheduledPrompt.objects.filter(letter=letter).count() == 1


def test_a_letter_released_in_quiet_hours_waits_for_the_morning(client_record, live):
    with time_machine.travel(NOW, tick=False):
        letter = services.letter_create(
            client=client_record, actor=None, text=MARK, arrival="check_in_high"
        )
    night = NOW + timedelta(days=4, hours=11)  # 23:00 in London, quiet from 22:00
    with time_machine.travel(night, tick=False):
        checkin_record(client=client_record, distress=9)
        assert services.letters_release() == 0
    with time_machine.travel(night + timedelta(hours=10), tick=False):
        assert services.letters_release() == 1
    assert ScheduledPrompt.objects.get(letter=letter).send_at == night + timedelta(hours=10)


def test_a_plan_edit_keeps_a_released_letter_waiting_for_the_morning(
    client_record, live, django_capture_on_commit_callbacks
):
    """The therapist changes the plan while a released letter waits out the quiet hours: the
    letter is not part of the plan, and still arrives, once, in the morning."""
    from planner.breaks.services import reschedule

    with time_machine.travel(NOW, tick=False):
        letter = services.letter_create(
            client=client_record, actor=None, text=MARK, arrival="check_in_high"
        )
    night = NOW + timedelta(days=4, hours=11)
    with time_machine.travel(night, tick=False):
        checkin_record(client=client_record, distress=9)
        assert services.letters_release() == 0
    morning = night + timedelta(hours=10)
    with time_machine.travel(morning, tick=False):
        assert services.letters_release() == 1
        reschedule(live)
    prompt = ScheduledPrompt.objects.get(letter=letter)
    live.refresh_from_db()
    assert prompt.status == ScheduledPrompt.Status.PENDING
    assert prompt.plan_version == live.plan_version
    deliver_at(morning + timedelta(minutes=1), django_capture_on_commit_callbacks)
    prompt.refresh_from_db()
    assert prompt.status == ScheduledPrompt.Status.SENT
    assert InboxMessage.objects.filter(prompt=prompt).count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "", "arrival": "first_weekend"}, "text"),
        ({"text": MARK, "arrival": "date"}, "arrive_on"),
        ({"text": MARK, "arrival": "date", "arrive_on": "2027-06-01"}, "arrive_on"),
        ({"text": MARK, "arrival": "tomorrow"}, "arrival"),
    ],
)
def test_bad_letters_are_form_errors_next_to_the_field(as_client, live, data, field):
    from tests.helpers import error_next_to

    with time_machine.travel(NOW, tick=False):
        response = as_client.post("/me/letters/", data)
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), field)
    assert not Letter.objects.exists()


def test_without_a_break_the_page_says_so_and_keeps_nothing(as_client):
    with time_machine.travel(NOW, tick=False):
        html = as_client.get("/me/letters/").content.decode()
        response = as_client.post("/me/letters/", {"text": MARK, "arrival": "first_weekend"})
    assert "no break is planned" in html
    assert response.status_code == 200 and not Letter.objects.exists()


def test_editing_and_deleting_a_letter(
    as_client, live, client_record, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        letter = services.letter_create(
            client=client_record, actor=None, text="first words", arrival="first_weekend"
        )
        as_client.post(
            f"/me/letters/{letter.pk}/", {"text": MARK, "arrival": "first_weekend", "shared": "on"}
        )
    letter.refresh_from_db()
    assert letter.text == MARK and letter.shared
    deliver_at(letter.arrives_at, django_capture_on_commit_callbacks)
    with time_machine.travel(letter.arrives_at + timedelta(minutes=1), tick=False):
        as_client.force_login(client_record.user)
        moved = as_client.post(
            f"/me/letters/{letter.pk}/", {"text": MARK, "arrival": "check_in_high"}
        )
        assert "has arrived already" in moved.content.decode()
        as_client.post(f"/me/letters/{letter.pk}/delete/")
    assert not Letter.objects.exists()
    assert not InboxMessage.objects.filter(client=client_record, text=services.LETTER_LINE).exists()


def test_the_therapist_sees_that_letters_exist_never_their_words_unless_shared(
    client, live, client_record, therapist, make_user, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with time_machine.travel(NOW, tick=False):
        letter = services.letter_create(
            client=client_record, actor=None, text=MARK, arrival="first_weekend"
        )
        services.letter_create(
            client=client_record, actor=None, text="SHARED-WORDS-9", arrival="check_in_high",
            shared=True,
        )  # fmt: skip
    deliver_at(letter.arrives_at, django_capture_on_commit_callbacks)
    from tests.security_helpers import api_token

    client.force_login(therapist)
    pages = [
        f"/breaks/{live.pk}/",
        f"/clients/{client_record.pk}/",
        f"/breaks/{live.pk}/deliveries/",
        f"/breaks/{live.pk}/check-ins/",
        "/",
    ]
    texts = [client.get(url).content.decode() for url in pages]
    assert "wrote 2 letters" in texts[0] and "SHARED-WORDS-9" in texts[0]
    headers = {"HTTP_AUTHORIZATION": f"Token {api_token(therapist)}"}
    for url in (f"/api/v1/breaks/{live.pk}/", f"/api/v1/breaks/{live.pk}/prompts/",
                f"/api/v1/breaks/{live.pk}/deliveries/", f"/api/v1/clients/{client_record.pk}/",
                "/api/v1/breaks/", "/api/v1/clients/"):  # fmt: skip
        texts.append(client.get(url, **headers).content.decode())
    admin = make_user("staff", email="root@example.com", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for url in (
        "/admin/planner/scheduledprompt/",
        "/admin/planner/inboxmessage/",
        f"/admin/planner/break/{live.pk}/change/",
        "/admin/planner/auditevent/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404)
        texts.append(response.content.decode())
    assert all(MARK not in text for text in texts)
    assert MARK not in caplog.text and "SHARED-WORDS-9" not in caplog.text
    assert MARK not in str(list(ScheduledPrompt.objects.values_list("text", flat=True)))


def test_the_clients_export_holds_the_letter_and_erasure_removes_it(as_client, live, client_record):
    from planner.privacy import services as privacy

    with time_machine.travel(NOW, tick=False):
        services.letter_create(client=client_record, actor=None, text=MARK, arrival="first_weekend")
        data = privacy.client_export(client=client_record, actor=client_record.user)
    assert [row["text"] for row in data["letters"]] == [MARK]
    privacy.client_erase(client=client_record, actor=client_record.user)
    assert not Letter.objects.exists()
