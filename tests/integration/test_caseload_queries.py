"""On PostgreSQL (as in production), planning a caseload costs a fixed number of queries.

SQLite caps the parameters of one statement, so there bulk inserts split into batches; these
tests run where the product runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from planner.breaks import services
from planner.models import Break, ScheduledPrompt

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _absence_queries(therapist, count: int) -> int:
    for i in range(count):
        services.client_create(
            therapist=therapist, first_name=f"C{i}", timezone="Europe/Paris", country="FR"
        )
    with CaptureQueriesContext(connection) as ctx:
        breaks = services.absence_plan(
            actor=therapist,
            therapist=therapist,
            clients="all",
            kind="holiday",
            starts_at=NOW + timedelta(days=20),
            ends_at=NOW + timedelta(days=48),
            return_session_at=NOW + timedelta(days=49),
        )
    assert len(breaks) == count
    assert all(b.pk and b.status == Break.Status.DRAFT for b in breaks)
    return len(ctx.captured_queries)


def test_absence_plan_uses_the_same_number_of_queries_for_5_and_50_clients(make_user):
    five = _absence_queries(make_user("therapist"), 5)
    fifty = _absence_queries(make_user("therapist"), 50)
    assert five == fifty


def test_activating_a_caseload_uses_the_same_number_of_queries(make_user):
    counts = []
    for size in (3, 30):
        therapist = make_user("therapist")
        for i in range(size):
            services.client_create(therapist=therapist, first_name=f"C{i}", country="GB")
        breaks = services.absence_plan(
            actor=therapist,
            therapist=therapist,
            clients="all",
            kind="gap",
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=17),
        )
        with CaptureQueriesContext(connection) as ctx:
            services.breaks_activate(breaks=breaks, actor=therapist, at=NOW)
        counts.append(len(ctx.captured_queries))
        assert ScheduledPrompt.objects.filter(break_obj__in=breaks).count() > size * 5
    assert counts[0] == counts[1]


def test_copy_stores_the_same_prompts_as_the_orm(make_user, monkeypatch):
    """On PostgreSQL activation writes the prompts with COPY; the rows are those the ORM's
    bulk insert (the other databases' path) writes for the same drafts."""
    from django.db import transaction

    from planner.models import Break

    therapist = make_user("therapist")
    for i in range(3):
        services.client_create(therapist=therapist, first_name=f"C{i}", country="GB")
    drafts = services.absence_plan(
        actor=therapist,
        therapist=therapist,
        clients="all",
        kind="holiday",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=17),
        return_session_at=NOW + timedelta(days=18),
    )
    ids = [b.pk for b in drafts]
    columns = [f.attname for f in ScheduledPrompt._meta.concrete_fields if f.attname != "id"]

    class Rollback(Exception):
        pass

    def activate_and_read() -> list[tuple]:
        try:
            with transaction.atomic():
                breaks = list(Break.objects.filter(pk__in=ids).order_by("id"))
                services.breaks_activate(breaks=breaks, actor=therapist, at=NOW)
                rows = list(
                    ScheduledPrompt.objects.filter(break_obj_id__in=ids)
                    .order_by("break_obj_id", "send_at")
                    .values_list(*columns)
                )
                raise Rollback
        except Rollback:
            return rows

    copied = activate_and_read()
    monkeypatch.setattr(type(connection), "vendor", "other", raising=False)
    inserted = activate_and_read()
    assert len(copied) > 3 * 5
    assert copied == inserted
