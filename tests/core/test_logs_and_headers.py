"""Secrets out of logs, caches and the console (issue 13, points 20 and 21)."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

import pytest

from core.logscrub import ScrubSignedTokens, scrub
from planner.delivery import links
from tests.core.test_settings import PRODUCTION_ENV, ROOT

# --- Signed tokens never reach the logs ---------------------------------------------------


def _console_handler() -> logging.Handler:
    """The handler settings.LOGGING gives the root logger (the production one)."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, ScrubSignedTokens) for f in handler.filters):
            return handler
    raise AssertionError("the root logger has no scrubbing handler")


@pytest.fixture
def console():
    handler = _console_handler()
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


def test_scrub_replaces_the_token_in_paths_queries_and_encoded_next():
    token = links.make_token("inbox", user_id=7)
    assert ":" in token
    lines = [
        f"Not Found: /l/inbox/{token}/",
        f'"GET /l/escalation/{token}/ HTTP/1.1" 302 0',
        f"https://between.example.org/l/unsubscribe/{token}/",
        f"/login/?next=%2Fl%2Fescalation%2F{token.replace(':', '%3A')}%2F",
    ]
    for line in lines:
        cleaned = scrub(line)
        assert token not in cleaned and token.replace(":", "%3A") not in cleaned, cleaned
        assert "[token]" in cleaned
    assert scrub("GET /me/inbox/ 200") == "GET /me/inbox/ 200"


@pytest.mark.django_db
def test_django_request_warnings_carry_no_token(client, console, log_capture):
    token = links.make_token("inbox", user_id=999999)
    client.get(f"/l/inbox/{token}/")  # a 400: the user does not exist
    client.get(f"/l/nothing-here/{token}/")  # a 404: "Not Found: /l/nothing-here/..."
    written = console.getvalue()
    assert "Not Found: /l/nothing-here/[token]/" in written
    assert token not in written


def test_the_development_servers_access_lines_carry_no_token(console):
    token = links.make_token("escalation-ack", user_id=3, object_id=4)
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /l/escalation/{token}/", 200, 9)
    written = console.getvalue()
    assert "GET /l/escalation/[token]/" in written and token not in written


def test_gunicorns_access_log_is_scrubbed_too():
    from datetime import timedelta

    from gunicorn.config import Config

    from core.logscrub import ScrubbingGunicornLogger

    token = links.make_token("inbox", user_id=7)
    config = Config()
    config.set("accesslog", "-")
    logger = ScrubbingGunicornLogger(config)

    class Response:
        status = "200 OK"
        sent = 10
        headers: list = []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/l/inbox/{token}/",
        "PATH_INFO": f"/l/inbox/{token}/",
        "QUERY_STRING": f"next=%2Fl%2Finbox%2F{token}%2F",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://between.example.org/l/inbox/{token}/",
        "REMOTE_ADDR": "192.0.2.1",
    }
    atoms = logger.atoms(Response(), [], environ, timedelta(seconds=1))
    assert token not in repr(atoms)
    assert atoms["r"] == "GET /l/inbox/[token]/ HTTP/1.1"
    assert atoms["f"] == "https://between.example.org/l/inbox/[token]/"


def test_gunicorn_uses_the_scrubbing_logger():
    text = (ROOT / "gunicorn.conf.py").read_text()
    assert 'logger_class = "core.logscrub.ScrubbingGunicornLogger"' in text


# --- The console email backend is refused in production -----------------------------------


def _check(tmp_path, **env_extra: str) -> subprocess.CompletedProcess:
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "EMAIL_BACKEND", "ALLOW_CONSOLE_EMAIL"}
    }
    env.update({"BETWEEN_VAR_DIR": str(tmp_path), **env_extra})
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_debug_the_console_email_backend_stops_start_up_with_one_line(tmp_path):
    production = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_BACKEND"}
    result = _check(tmp_path, **production)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "EMAIL_BACKEND is the console backend" in result.stderr
    assert "Traceback" not in result.stderr
    explicit = _check(
        tmp_path, **production, EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"
    )
    assert explicit.returncode != 0


def test_the_console_backend_starts_when_asked_for_or_with_debug(tmp_path):
    production = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_BACKEND"}
    allowed = _check(tmp_path, **production, ALLOW_CONSOLE_EMAIL="1")
    assert allowed.returncode == 0, allowed.stderr
    debug = _check(tmp_path, DEBUG="1")  # make run
    assert debug.returncode == 0, debug.stderr
    smtp = _check(tmp_path, **PRODUCTION_ENV)  # the documented production variables
    assert smtp.returncode == 0, smtp.stderr


# --- Cache-Control: no-store on everything with personal data -----------------------------


@pytest.mark.django_db
def test_pages_api_and_admin_answers_are_never_stored(client, make_user, therapist):
    from tests.security_helpers import api_token

    staff = make_user("staff", is_staff=True, is_superuser=True)
    pages = [("/login/", None), ("/", therapist), ("/admin/", staff), ("/staff/dispatch/", staff)]
    for url, user in pages:
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    client.logout()
    token = api_token(therapist)
    api = client.get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Token {token}")
    assert api.status_code == 200 and "no-store" in api["Cache-Control"]
    refused = client.get("/api/v1/clients/")
    assert refused.status_code == 401 and "no-store" in refused["Cache-Control"]


def test_static_files_and_health_keep_their_own_cache_headers(rf):
    from django.http import HttpResponse

    from core.middleware import NoStoreMiddleware

    def view(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "max-age=315360000, public, immutable"
        return response

    middleware = NoStoreMiddleware(view)
    for path in ("/static/css/app.css", "/healthz"):
        assert "no-store" not in middleware(rf.get(path))["Cache-Control"]
    assert "no-store" in middleware(rf.get("/me/"))["Cache-Control"]
