from __future__ import annotations

import pytest


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
