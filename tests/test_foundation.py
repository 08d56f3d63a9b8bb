from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from core.models import Practice, User
from planner.models import Break, Client

ROOT = Path(__file__).resolve().parents[1]


def test_it_logs_in_by_email_with_argon2(db, settings):
    from core import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user = User.objects.create_user("Person@Example.com", "a-long-test-password-1")
    assert user.email == "person@example.com"
    assert user.password.startswith("argon2")


def test_it_loads_the_demo_idempotently(db, settings):
    settings.DEBUG = True
    call_command("loaddemo")
    counts = (
        User.objects.count(),
        Client.objects.count(),
        Break.objects.count(),
        Practice.objects.count(),
    )
    call_command("loaddemo")
    assert counts == (
        User.objects.count(),
        Client.objects.count(),
        Break.objects.count(),
        Practice.objects.count(),
    )
    therapist = User.objects.get(email="therapist@example.com")
    assert therapist.clients.count() == 5
    assert Break.objects.filter(status=Break.Status.ACTIVE).count() == 1
    assert User.objects.get(email="staff@example.com").is_staff
    assert User.objects.get(email="client@example.com").client_profile.first_name == "Robin"


def test_it_refuses_demo_data_without_debug(db, settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("loaddemo")


def test_it_serves_the_login_page_at_the_root(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_it_reports_health_as_json(client, db):
    response = client.get("/healthz")
    assert response.status_code in (200, 503)
    body = response.json()
    assert body["database"] == "ok"
    assert set(body) == {"status", "database", "broker"}


def test_it_answers_503_when_the_broker_is_down(client, db):
    from core.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"


def _run_manage(*args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_fails_with_one_line_without_a_secret_key(tmp_path):
    result = _run_manage("check", env_extra={"BETWEEN_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 60 + "-production-like-secret-key-for-the-deploy-check",
    "ALLOWED_HOSTS": "between.example.org",
    "DEBUG": "0",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def test_it_passes_the_deploy_check_with_the_documented_production_variables(tmp_path):
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={**PRODUCTION_ENV, "BETWEEN_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
