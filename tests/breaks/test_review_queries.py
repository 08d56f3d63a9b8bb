"""The review page of a caseload absence costs the same queries for 5 drafts as for 200, and
shows each break what its own schedule shows: the number of prompts and the first one."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from planner.breaks import selectors, services
from tests.helpers import NOW


def _absence(therapist, size: int, *, activate: int = 0) -> list:
    for i in range(size):
        services.client_create(
            therapist=therapist, first_name=f"C{i:03}", timezone="Europe/Paris", country="FR"
        )
    breaks = services.absence_plan(
        actor=therapist,
        therapist=therapist,
        clients="all",
        kind="holiday",
        starts_at=NOW + timedelta(days=20),
        ends_at=NOW + timedelta(days=34),
        return_session_at=NOW + timedelta(days=35),
        covering_clinician={"name": "Priya Shah"},
    )
    if activate:
        services.breaks_activate(breaks=breaks[:activate], actor=therapist)
    return breaks


def _review(client, breaks) -> tuple[int, str]:
    url = "/absences/review/?ids=" + ",".join(str(b.pk) for b in breaks)
    client.get(url)  # reads are audited once in a while: measure the steady state
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_review_costs_the_same_queries_at_5_and_200_drafts(client, make_user):
    counts = []
    with time_machine.travel(NOW, tick=False):
        for size in (5, 200):
            therapist = make_user("therapist")
            breaks = _absence(therapist, size, activate=2)  # some drafts, some activated
            client.force_login(therapist)
            n, page = _review(client, breaks)
            counts.append(n)
            assert page.count('name="call_first"') == size - 2  # one checkbox per draft
    assert counts[0] == counts[1]


def test_each_row_shows_what_the_breaks_own_schedule_shows(client, make_user):
    with time_machine.travel(NOW, tick=False):
        therapist = make_user("therapist")
        breaks = _absence(therapist, 4, activate=2)
        client.force_login(therapist)
        _n, page = _review(client, breaks)
        found = selectors.first_prompts(
            list(type(breaks[0]).objects.filter(pk__in=[b.pk for b in breaks]))
        )
        for brk in breaks:
            brk.refresh_from_db()
            schedule = selectors.schedule_for_break(brk)
            count, first = found[brk.pk]
            assert count == len(schedule) > 0
            assert first == schedule[0]
            assert escape(first.text) in page
        assert {found[b.pk][0] is not None for b in breaks} == {True}
        assert [found[b.pk][1].status for b in breaks[:2]] == ["pending", "pending"]
        assert [found[b.pk][1].status for b in breaks[2:]] == ["preview", "preview"]
