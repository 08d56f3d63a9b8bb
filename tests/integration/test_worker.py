"""A task goes through Redis to a real Celery worker process, which writes to PostgreSQL."""

from __future__ import annotations

from django.db import connection

from core.models import WorkerHeartbeat
from tests.integration.conftest import wait_for


def test_it_runs_a_task_in_a_real_worker_that_writes_to_postgres(celery_worker_process):
    from core.tasks import worker_heartbeat

    assert connection.vendor == "postgresql"
    worker_heartbeat.delay()

    # The worker creates the row, then counts the beat: wait for the count.
    row = wait_for(
        lambda: WorkerHeartbeat.objects.filter(hostname__startswith="w1-", beats__gte=1).first()
    )
    assert row is not None, f"no heartbeat row; worker log: {celery_worker_process.log_path}"
    assert row.beats == 1


def test_it_runs_the_dispatch_sweep_task_in_a_real_worker(celery_worker_process):
    from core.celery import app

    # The sweep is registered under its explicit name and runs without error.
    result = app.send_task("planner.dispatch_sweep")
    assert result.id
    log = celery_worker_process.log_path
    assert wait_for(
        lambda: "planner.dispatch_sweep" in log.read_text() and "succeeded" in log.read_text(),
        timeout=30,
    )
