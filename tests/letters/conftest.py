from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.helpers import NOW, draft_break

NOTE = "NOTE-MARK-42: I will be back on the 18th, and I'll be thinking of our work."


@pytest.fixture(autouse=True)
def _audio_in_tmp(settings, tmp_path, monkeypatch):
    """Recordings go to a fresh folder per test (the same FileSystemStorage as by default).
    The field resolved STORAGES["audio"] when the model loaded, so it gets the new one too."""
    from django.core.files.storage import FileSystemStorage

    from planner.models import Break

    location = tmp_path / "audio"
    settings.STORAGES = {
        **settings.STORAGES,
        "audio": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": "/no-public-url/"},
        },
    }
    storage = FileSystemStorage(location=str(location), base_url="/no-public-url/")
    monkeypatch.setattr(Break._meta.get_field("note_audio"), "storage", storage)
    return location


@pytest.fixture(autouse=True)
def _library(db):
    from planner.breaks.prompts import library_load

    library_load()


@pytest.fixture
def live(therapist, client_record):
    """Robin's holiday, with a note: from Friday 4 December 2026 (NOW is Tuesday 1 December)
    for 14 days, messages at 10:00 and 18:00 in London."""
    from planner.breaks import services

    with time_machine.travel(NOW, tick=False):
        brk = draft_break(
            therapist,
            client_record,
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=17),
            return_session_at=NOW + timedelta(days=18),
            prompt_times=["10:00", "18:00"],
            therapist_note=NOTE,
        )
        services.break_activate(brk=brk, actor=therapist)
    return brk
