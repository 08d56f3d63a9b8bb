"""The settings: one line without a SECRET_KEY, a clean deploy check with the documented
production variables, secure cookies and HTTPS outside pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


def test_production_settings_are_secure_outside_pytest(tmp_path):
    """The settings module switches secure cookies off under pytest; outside it, on."""
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='core.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.SESSION_COOKIE_HTTPONLY, s.LOGIN_FAILURE_LIMIT, s.LOGIN_IP_FAILURE_LIMIT,"
        " s.LOGIN_LOCKOUT_MINUTES)"
    )
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update({**PRODUCTION_ENV, "BETWEEN_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "True", "True", "31536000", "True", "True", "True", "5", "20", "15"
    ]  # fmt: skip
