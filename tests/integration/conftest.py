"""Integration tests: real PostgreSQL, real Redis, real Celery worker processes.

`make test` runs this folder in its own pytest session with DATABASE_URL set from
TEST_DATABASE_URL and REDIS_URL set, so Django and the worker processes share one
PostgreSQL test database and one Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import reachability

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    ours = [item for item in items if Path(str(item.fspath)).is_relative_to(here)]
    for item in ours:
        item.add_marker(pytest.mark.integration)
    missing = reachability.missing_services()
    if not missing or not ours:
        return
    reason = "; ".join(missing)
    if reachability.required():
        raise pytest.UsageError(f"REQUIRE_SERVICES=1 but {reason}")
    for item in ours:
        item.add_marker(pytest.mark.skip(reason=reason))


def _worker_env(database_name: str) -> dict[str, str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}"
        f"/{database_name}"
    )
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "1",
            "PYTHONUNBUFFERED": "1",
            "DB_CONN_MAX_AGE": "0",
            "EMAIL_BACKEND": os.environ.get(
                "WORKER_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
            ),
        }
    )
    return env


class WorkerProcess:
    """A real `celery worker` process against the test database and Redis."""

    def __init__(self, database_name: str, concurrency: int = 2, extra_env=None, name="w1"):
        self.database_name = database_name
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.log_path = ROOT / "var" / f"test-worker-{name}-{os.getpid()}.log"

    def start(self, timeout: float = 30.0) -> WorkerProcess:
        env = _worker_env(self.database_name)
        env.update(self.extra_env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "core",
            "worker",
            "-l",
            "info",
            "-c",
            str(self.concurrency),
            "-n",
            f"{self.name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        from core.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early; see {self.log_path}")
            replies = app.control.ping(timeout=0.5) or []
            if any(self.name in next(iter(reply)) for reply in replies):
                return
        raise RuntimeError(f"worker did not become ready; see {self.log_path}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def test_database_name(transactional_db):
    from django.db import connection

    return connection.settings_dict["NAME"]


@pytest.fixture
def purge_broker():
    from core.celery import app

    app.control.purge()
    yield
    app.control.purge()


@pytest.fixture
def celery_worker_process(test_database_name, purge_broker):
    worker = WorkerProcess(test_database_name).start()
    yield worker
    worker.stop()


@pytest.fixture
def start_worker(test_database_name, purge_broker):
    started: list[WorkerProcess] = []

    def start(**kwargs) -> WorkerProcess:
        kwargs.setdefault("name", f"w{len(started) + 1}")
        worker = WorkerProcess(test_database_name, **kwargs).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@pytest.fixture
def smtp_sink():
    """A real SMTP server on a free local port; pass `smtp_sink.worker_env()` to workers."""
    from tests.integration.smtp_sink import SmtpSink

    sink = SmtpSink().start()
    yield sink
    sink.stop()
