"""Shared set-up for every test, and the fixtures several rooms use.

Unit and API tests run on SQLite in-process. tests/integration talks to real PostgreSQL,
Redis and Celery worker processes, tests/e2e drives a browser; each has its own conftest.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest
import time_machine

from tests.factories import (
    BreakReviewFactory,
    CheckInFactory,
    ClientFactory,
    DeliveryFactory,
    EscalationFactory,
    InboxMessageFactory,
    PracticeFactory,
    UserFactory,
)
from tests.helpers import NOW, a_break
from tests.security_helpers import log_capture  # noqa: F401  (a fixture for every test)

HERE = Path(__file__).resolve().parent
# Sessions of their own, where Celery runs as configured (real workers, a live server).
NOT_IN_PROCESS = (HERE / "integration", HERE / "e2e")


@pytest.fixture(autouse=True)
def _email_locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _no_throttle_shares_from_other_tests():
    """A web process's unused share of a rate limit (planner.api.throttling) lives in the
    process; each test starts as a fresh process would, without one."""
    from planner.api.throttling import SHARES

    SHARES.clear()


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
def frozen():
    """The clock stopped at NOW for the whole test (its data and its requests)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def practice(db):
    return PracticeFactory()


@pytest.fixture
def make_user(db, practice):
    """Users of the test's practice: ``make_user("client", first_name="Robin")``."""

    def make(role: str = "therapist", **fields):
        fields.setdefault("practice", practice)
        return UserFactory(role=role, **fields)

    return make


@pytest.fixture
def therapist(make_user):
    return make_user("therapist", first_name="Morgan", last_name="Hale")


@pytest.fixture
def a_client(therapist):
    from planner.breaks import services

    # Made before the frozen NOW of the tests that use it, whatever today's date is.
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        return services.client_create(
            therapist=therapist,
            first_name="Robin",
            last_name="Example",
            country="GB",
            email="robin@example.com",
            phone="+447700900123",
            channels=["inbox", "email"],
        )


@pytest.fixture
def client_with_history(therapist, make_user, a_client):
    """Robin, with a login, an active break with prompts, inbox, check-ins, escalation, review."""
    from planner.breaks import services
    from planner.models import ScheduledPrompt

    login = make_user(
        "client", email="robin@example.com", first_name="Robin", phone="+447700900123"
    )
    a_client.user = login
    a_client.save(update_fields=["user"])
    with time_machine.travel(NOW, tick=False):
        brk = a_break(therapist, a_client, escalation_enabled=True, escalation_consent_at=NOW)
        services.break_activate(brk=brk, actor=therapist)
    prompts = list(brk.prompts.order_by("send_at"))
    assert len(prompts) > 3
    sent = prompts[:2]
    ScheduledPrompt.objects.filter(pk__in=[p.pk for p in sent]).update(
        status="sent", sent_at=NOW + timedelta(days=10), finished_at=NOW + timedelta(days=10)
    )
    ScheduledPrompt.objects.filter(pk=prompts[2].pk).update(status="failed")
    for prompt in sent:
        DeliveryFactory(prompt=prompt, channel="inbox", status="sent")
        InboxMessageFactory(
            client=a_client,
            prompt=prompt,
            break_obj=brk,
            category=prompt.category,
            text=prompt.text,
        )
    check_in = CheckInFactory(
        client=a_client, break_obj=brk, distress=8, note="A hard night on the bridge."
    )
    EscalationFactory(check_in=check_in, client=a_client, acknowledge_by=NOW + timedelta(hours=2))
    BreakReviewFactory(break_obj=brk, what_helped="The river walks.")
    from planner.letters import services as letters

    with time_machine.travel(NOW, tick=False):
        letters.letter_create(
            client=a_client, actor=login, text="Dear me: the river is still there.", arrival="date",
            arrive_on=(NOW + timedelta(days=12)).date(),
        )  # fmt: skip
    return a_client


@pytest.fixture
def client_record(therapist):
    """Robin Example, a client of the therapist with a login, an email address and a phone,
    quiet from 22:00 to 08:00."""
    return ClientFactory(
        therapist=therapist,
        with_login=True,
        contactable=True,
        last_name="Example",
        quiet_hours_start=time(22, 0),
        quiet_hours_end=time(8, 0),
    )


@pytest.fixture
def as_client(client, client_record):
    client.force_login(client_record.user)
    return client
