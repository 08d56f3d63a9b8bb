"""The therapist's own message: the note is the first caring message of the break (once), and
a short recording of it, checked by its header and size, stored through the storage API,
played on My break with its transcript, and served only to the break's therapist and client."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from planner.breaks import services as break_services
from planner.models import Break, ScheduledPrompt
from tests.helpers import NOW, draft_break, error_next_to
from tests.letters.conftest import NOTE

pytestmark = pytest.mark.django_db

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 2000


def test_the_note_is_the_first_caring_message_of_the_break(live):
    first = live.prompts.filter(category="first_contact").order_by("send_at").first()
    assert first is not None and first.source == "note"
    assert first.text.startswith("A note from Morgan for your break:") and NOTE in first.text
    assert first.template_id is None
    assert ScheduledPrompt.objects.filter(text__contains=NOTE).count() == 1


def test_an_edit_of_the_plan_keeps_one_note_and_a_sent_note_is_not_sent_again(live, therapist):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        break_services.break_update(brk=live, actor=therapist, coping_strategies=["tea"])
    assert ScheduledPrompt.objects.filter(text__contains=NOTE, status="pending").count() == 1
    ScheduledPrompt.objects.filter(source="note").update(status="sent", sent_at=NOW)
    live.refresh_from_db()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        break_services.break_update(brk=live, actor=therapist, coping_strategies=["a bath"])
    assert ScheduledPrompt.objects.filter(text__contains=NOTE).count() == 1


def test_a_break_without_a_note_keeps_the_librarys_first_message(therapist, client_record):
    with time_machine.travel(NOW, tick=False):
        brk = draft_break(therapist, client_record)
        break_services.break_activate(brk=brk, actor=therapist)
    assert not brk.prompts.filter(source="note").exists()
    assert brk.prompts.filter(category="first_contact").exclude(template=None).exists()


def upload(client, brk, name="note.mp3", data=MP3, transcript="What I say in it."):
    return client.post(
        f"/breaks/{brk.pk}/note/",
        {"audio": SimpleUploadedFile(name, data), "transcript": transcript},
    )


def test_a_recording_is_stored_played_on_my_break_and_served_only_to_the_two(
    client, live, therapist, client_record, make_user, _audio_in_tmp
):
    client.force_login(therapist)
    assert client.get(f"/breaks/{live.pk}/note/").status_code == 200
    assert upload(client, live).status_code == 302
    live.refresh_from_db()
    assert live.note_audio_type == "audio/mpeg" and live.note_transcript == "What I say in it."
    stored = list(_audio_in_tmp.rglob("*"))
    assert any(p.is_file() and p.read_bytes() == MP3 for p in stored)
    assert "note.mp3" not in live.note_audio.name  # a random name
    heard = client.get(f"/breaks/{live.pk}/note/audio/")
    assert heard.status_code == 200 and b"".join(heard.streaming_content) == MP3
    assert heard["Content-Type"] == "audio/mpeg" and "no-store" in heard["Cache-Control"]

    client.force_login(client_record.user)
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        client.force_login(client_record.user)
        html = client.get("/me/").content.decode()
        assert f'<audio controls preload="none" src="/breaks/{live.pk}/note/audio/"' in html
        assert "What I say in it." in html
        assert client.get(f"/breaks/{live.pk}/note/audio/").status_code == 200

    for intruder in (
        make_user("therapist", email="colleague@example.com"),
        make_user("client", email="someone@example.com"),
    ):
        client.force_login(intruder)
        assert client.get(f"/breaks/{live.pk}/note/audio/").status_code == 404
        assert client.get(f"/breaks/{live.pk}/note/").status_code == 404
    client.logout()
    assert client.get(f"/breaks/{live.pk}/note/audio/").status_code == 302  # to the login


@pytest.mark.parametrize(
    ("name", "data", "transcript", "field"),
    [
        ("note.mp3", b"<html><script>alert(1)</script></html>" * 10, "t", "audio"),  # not audio
        ("note.exe", MP3, "t", "audio"),  # audio, wrong name
        ("note.ogg", MP3, "t", "audio"),  # the name says one type, the bytes another
        ("note.mp3", b"", "t", "audio"),
        ("note.mp3", MP3, "", "transcript"),
    ],
)
def test_what_is_not_a_short_recording_is_a_form_error(
    client, live, therapist, name, data, transcript, field
):
    client.force_login(therapist)
    response = upload(client, live, name=name, data=data, transcript=transcript)
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), field)
    assert not Break.objects.get(pk=live.pk).note_audio


def test_a_recording_over_the_size_limit_is_refused(client, live, therapist, settings):
    settings.AUDIO_MAX_BYTES = 1000
    client.force_login(therapist)
    response = upload(client, live)
    assert "up to 0 MB" in response.content.decode() or "up to" in response.content.decode()
    assert not Break.objects.get(pk=live.pk).note_audio


def test_removing_and_erasing_delete_the_file(
    client, live, therapist, client_record, _audio_in_tmp, django_capture_on_commit_callbacks
):
    from planner.privacy import services as privacy

    client.force_login(therapist)
    upload(client, live)
    files = lambda: [p for p in _audio_in_tmp.rglob("*") if p.is_file()]  # noqa: E731
    assert len(files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/breaks/{live.pk}/note/", {"remove": "1"})
    assert files() == []
    upload(client, live)
    assert len(files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        privacy.client_erase(client=client_record, actor=client_record.user)
    assert files() == []
    live.refresh_from_db()
    assert not live.note_audio and live.note_transcript == ""


def test_the_plan_builders_preview_shows_the_note_as_the_first_message(therapist, client_record):
    from planner.breaks.preview import break_preview

    with time_machine.travel(NOW, tick=False):
        brk = draft_break(therapist, client_record, therapist_note=NOTE)
        preview = break_preview(brk)
    firsts = [p for p in preview if p.planned.category.value == "first_contact"]
    assert firsts and NOTE in firsts[0].text
    assert sum(NOTE in p.text for p in preview) == 1


def test_the_note_finds_its_values_where_the_prompt_writer_puts_them():
    """put_note_first edits the rows _store_prompts writes by position: the positions it
    uses are those of the writer's columns."""
    from planner.breaks.services import PROMPT_COLUMNS
    from planner.letters import note

    assert PROMPT_COLUMNS[note.ROW_TEMPLATE] == "template_id"
    assert PROMPT_COLUMNS[note.ROW_CATEGORY] == "category"
    assert PROMPT_COLUMNS[note.ROW_TEXT] == "text"
    assert PROMPT_COLUMNS[note.ROW_SEND_AT] == "send_at"
    assert PROMPT_COLUMNS[note.ROW_SOURCE] == "source"
