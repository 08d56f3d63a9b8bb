"""Shared set-up for every test, and the fixtures several rooms use.

Unit and API tests run on SQLite in-process. tests/integration talks to real PostgreSQL,
Redis and Celery worker processes, tests/e2e drives a browser; each has its own conftest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security_helpers import log_capture  # noqa: F401  (a fixture for every test)

HERE = Path(__file__).resolve().parent
# Sessions of their own, where Celery runs as configured (real workers, a live server).
NOT_IN_PROCESS = (HERE / "integration", HERE / "e2e")


@pytest.fixture(autouse=True)
def _email_locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is slow on purpose; tests that check hashing ask for it explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """In the unit and API suite a queued task runs at once, in-process (tasks queued on
    commit run when a test executes the on-commit callbacks). Never for tests/integration,
    whose tasks go through Redis to real workers, nor for tests/e2e."""
    if any(request.path.is_relative_to(folder) for folder in NOT_IN_PROCESS):
        yield
        return
    from core.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def practice(db):
    from core.models import Practice

    return Practice.objects.create(name="Test practice", country="GB", timezone="Europe/London")


@pytest.fixture
def make_user(db, practice):
    from core.models import User

    counter = {"n": 0}

    def make(role: str = "therapist", **fields) -> User:
        counter["n"] += 1
        fields.setdefault("email", f"{role}{counter['n']}@example.com")
        fields.setdefault("practice", practice)
        fields.setdefault("first_name", role.title())
        return User.objects.create_user(password="a-long-test-password-1", role=role, **fields)

    return make


@pytest.fixture
def therapist(make_user):
    return make_user("therapist", first_name="Morgan", last_name="Hale")
