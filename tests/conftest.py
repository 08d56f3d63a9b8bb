"""Shared fixtures. Unit tests run on SQLite in-process; see tests/integration for the rest."""

from __future__ import annotations

import pytest

from tests.security_helpers import log_capture  # noqa: F401  (a fixture for every test)


@pytest.fixture(autouse=True)
def _email_locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is slow on purpose; tests that check hashing ask for it explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
