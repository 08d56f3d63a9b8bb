"""No N+1: every list endpoint issues the same number of queries at 1 and at 50 rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from tests.factories import BreakFactory, CheckInFactory, ClientFactory, InboxMessageFactory

V = "/api/v1"


def _grow(world, n: int) -> None:
    """Bring every list of therapist A, client A and the covering clinician to n rows."""
    from planner.models import Break, CheckIn, Client, Delivery, InboxMessage

    a = world.users["therapist_a"]
    brk = world.break_a
    start = now() + timedelta(days=3)
    for i in range(n - Client.objects.filter(therapist=a).count()):
        ClientFactory(therapist=a, first_name=f"C{i}", timezone="Europe/London")
    for _ in range(n - Break.objects.filter(therapist=a, status="scheduled").count()):
        BreakFactory(
            client=world.client_a,
            therapist=a,
            kind="holiday",
            status="scheduled",
            starts_at=start,
            ends_at=start + timedelta(days=7),
            timezone="Europe/London",
            covering_user=world.users["covering"],
            share_check_ins_with_covering=True,
        )
    Break.objects.filter(therapist=a, status="draft").delete()
    for i in range(n - InboxMessage.objects.filter(client=world.client_a).count()):
        InboxMessageFactory(client=world.client_a, category="coping", text=f"m{i}")
    for i in range(n - CheckIn.objects.filter(break_obj=brk).count()):
        CheckInFactory(client=world.client_a, break_obj=brk, distress=5, note=f"n{i}")
    prompts = list(brk.prompts.order_by("id")[:n])
    assert len(prompts) >= n
    for prompt in prompts:
        for channel in ("email",):
            Delivery.objects.get_or_create(prompt=prompt, channel=channel)
    Delivery.objects.filter(prompt__break_obj=brk).exclude(
        prompt__in=prompts[: n if n > 1 else 1]
    ).delete()


LISTS = [
    ("therapist_a", lambda w: f"{V}/clients/"),
    ("therapist_a", lambda w: f"{V}/breaks/"),
    ("therapist_a", lambda w: f"{V}/breaks/?status=scheduled&ordering=-starts_at"),
    ("therapist_a", lambda w: f"{V}/breaks/{w.break_a.pk}/prompts/"),
    ("therapist_a", lambda w: f"{V}/breaks/{w.break_a.pk}/deliveries/"),
    # During the break the covering clinician reads them (the client agreed); the therapist
    # reads them on return (planner.checkins.selectors).
    ("covering", lambda w: f"{V}/breaks/{w.break_a.pk}/check-ins/"),
    ("covering", lambda w: f"{V}/coverage/"),
    ("client_a", lambda w: f"{V}/me/breaks/"),
    ("client_a", lambda w: f"{V}/me/inbox/?page_size=50"),  # 20 a page by default
]


def _count(world, actor, url, expected_rows):
    api = world.api(actor)
    api.get(url(world))  # reads are audited once per ten minutes: measure the steady state
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url(world))
    assert response.status_code == 200, response.content[:300]
    assert len(response.json()["results"]) == expected_rows, url(world)
    return len(queries)


@pytest.mark.parametrize(("actor", "url"), LISTS, ids=[str(i) for i in range(len(LISTS))])
def test_it_issues_the_same_number_of_queries_at_1_and_50_rows(world, actor, url):
    from planner.models import Break, CheckIn, Client, InboxMessage, ScheduledPrompt

    _grow(world, 1)
    # Exactly one row in each list to start with.
    Client.objects.filter(therapist=world.users["therapist_a"]).exclude(
        pk=world.client_a.pk
    ).delete()
    Break.objects.filter(therapist=world.users["therapist_a"]).exclude(pk=world.break_a.pk).delete()
    InboxMessage.objects.filter(client=world.client_a).exclude(pk=world.inbox_a.pk).delete()
    CheckIn.objects.filter(break_obj=world.break_a).exclude(pk=world.check_in_a.pk).delete()
    ScheduledPrompt.objects.filter(break_obj=world.break_a).exclude(
        pk=world.break_a.prompts.order_by("id").first().pk
    ).delete()
    one = _count(world, actor, url, 1)
    # 50 rows (the prompts of a fresh two-week break are fewer: add some).
    prompt = world.break_a.prompts.first()
    for i in range(49):
        prompt.pk = None
        prompt.send_at = prompt.send_at + timedelta(minutes=i + 1)
        prompt.save()
    _grow(world, 50)
    fifty = _count(world, actor, url, 50)
    assert one == fifty, f"{one} queries for 1 row, {fifty} for 50"
    print(f"{url(world)}: {one} queries")
