"""A client writes a letter to themselves and finds it kept; the therapist's recorded note
plays on My break, with its transcript (every page axe-checked, CSP respected)."""

from __future__ import annotations

import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.e2e


def a_wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A real, playable WAV file (mono 8-bit silence)."""
    frames = int(seconds * rate)
    header = b"RIFF" + struct.pack("<I", 36 + frames) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    return header + fmt + b"data" + struct.pack("<I", frames) + b"\x80" * frames


@pytest.fixture
def audio_in_tmp(tmp_path, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    from planner.models import Break

    storage = FileSystemStorage(location=str(tmp_path), base_url="/no-public-url/")
    monkeypatch.setattr(Break._meta.get_field("note_audio"), "storage", storage)


def test_a_client_writes_a_letter_and_plays_the_therapists_note(
    journey, client_login, audio_in_tmp
):
    from planner.letters import services
    from planner.models import Letter

    brk = client_login.breaks.get()
    services.note_audio_set(
        brk=brk,
        actor=brk.therapist,
        upload=SimpleUploadedFile("note.wav", a_wav()),
        transcript="I'll see you on the date we agreed.",
    )
    page = journey.page
    journey.login("robin@example.com")
    journey.check("my break with a recording")
    assert page.locator("audio").count() == 1
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const audio = document.querySelector('audio');
            audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
            audio.addEventListener('error', () => reject(new Error('audio did not load')));
            audio.load();
        })"""
    )
    assert 0.4 < duration < 0.6
    page.get_by_text("Transcript", exact=True).first.click()
    assert page.get_by_text("I'll see you on the date we agreed.").first.is_visible()

    page.get_by_role("link", name="Letters", exact=True).click()
    journey.check("letters")
    page.get_by_label("Your letter").fill("Dear me: the river is still there.")
    page.get_by_label("When a check-in is high").check()
    page.get_by_role("button", name="Keep this letter").click()
    page.wait_for_load_state()
    journey.check("letters, one kept")
    assert page.get_by_text("Your letter is kept.").is_visible()
    assert page.get_by_text("Waiting: it arrives when a check-in is at or above").is_visible()
    letter = Letter.objects.get(client=client_login)
    assert letter.arrival == "check_in_high" and not letter.shared
    journey.screenshot("client_letters")
