"""Helpers for the onboarding tests: run queued tasks in-process and read the emailed link."""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.core import mail

LINK = re.compile(r"https?://[^\s]+/invitations/([A-Za-z0-9_-]+)/")
RESET_LINK = re.compile(r"https?://[^\s]+(/reset/[^\s/]+/[^\s/]+/)")


@contextmanager
def eager_tasks():
    """Celery tasks queued by name run in-process (as planner.enqueue documents)."""
    from core.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


def invitation_token(message=None) -> str:
    message = message or mail.outbox[-1]
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def reset_path(message=None) -> str:
    message = message or mail.outbox[-1]
    match = RESET_LINK.search(message.body)
    assert match, message.body
    return match.group(1)
