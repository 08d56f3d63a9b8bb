"""Accounts: login by email with Argon2, the login page at the root, and weak passwords
refused, in the admin too (issue 9)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from core.models import User


def test_it_logs_in_by_email_with_argon2(db, settings):
    from core import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user = User.objects.create_user("Person@Example.com", "a-long-test-password-1")
    assert user.email == "person@example.com"
    assert user.password.startswith("argon2")


def test_it_serves_the_login_page_at_the_root(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


@pytest.mark.parametrize("weak", ["password", "12345678", "short", "between"])
def test_a_weak_password_is_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_the_admin_refuses_a_weak_password_for_a_new_user(client, make_user):
    staff = make_user("staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/core/user/add/",
        {
            "email": "new@example.com",
            "role": "client",
            "password1": "password",
            "password2": "password",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    from core.models import User

    assert not User.objects.filter(email="new@example.com").exists()


def test_the_admin_password_change_refuses_a_weak_password(client, make_user):
    staff = make_user("staff", is_staff=True, is_superuser=True)
    other = make_user("client")
    client.force_login(staff)
    response = client.post(
        f"/admin/core/user/{other.pk}/password/",
        {"password1": "12345678", "password2": "12345678", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "entirely numeric" in response.content.decode()
