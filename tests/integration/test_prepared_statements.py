"""The API's hot reads on real PostgreSQL: the token lookup, the inbox page and the breaks page
are prepared by the server once per connection and answer exactly as unprepared; a
connection the server replaced prepares them again; ``DB_PREPARED_STATEMENTS=0`` (for
connection poolers) prepares nothing; the connection reads timestamptz with the fast
reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from psycopg.pq import Format
from rest_framework.test import APIClient

from core.db.postgresql.base import utc_iso_loader
from tests.factories import BreakFactory, ClientFactory, InboxMessageFactory, TherapistFactory
from tests.helpers import server_pid, terminate_server_connection
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db(transaction=True)

V = "/api/v1"
BASE = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the night the UK's clocks go back


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """Throttle counters in a fresh in-memory cache, as in the API tests."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def people():
    therapist = TherapistFactory()
    client = ClientFactory(therapist=therapist, with_login=True)
    for i in range(25):
        InboxMessageFactory(client=client, text=f"m{i}", delivered_at=BASE + timedelta(hours=i))
    for _ in range(3):
        BreakFactory(client=ClientFactory(therapist=therapist), therapist=therapist)
    return {
        "client": _api(client.user),
        "therapist": _api(therapist),
    }


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return api


def _prepared() -> list[str]:
    """The statements this connection's server session holds prepared."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _hot(statements: list[str]) -> dict[str, bool]:
    return {
        "token lookup": any('"knox_authtoken"' in s for s in statements),
        "inbox page": any('"planner_inboxmessage"' in s for s in statements),
        "breaks page": any("COUNT(*) OVER ()" in s for s in statements),
    }


def _answers(people) -> list:
    inbox = people["client"].get(f"{V}/me/inbox/?page_size=10")
    older = people["client"].get(inbox.json()["next"])
    breaks = people["therapist"].get(f"{V}/breaks/")
    assert [r.status_code for r in (inbox, older, breaks)] == [200, 200, 200]
    return [inbox.json(), older.json(), breaks.json()]


def test_the_hot_reads_are_prepared_once_and_answer_as_unprepared(people, settings):
    settings.DB_PREPARED_STATEMENTS = False
    unprepared = _answers(people)
    assert _hot(_prepared()) == dict.fromkeys(_hot([]), False)

    settings.DB_PREPARED_STATEMENTS = True
    first = _answers(people)
    assert _hot(_prepared()) == dict.fromkeys(_hot([]), True)
    held = len(_prepared())
    again = _answers(people)
    assert len(_prepared()) == held  # executed again, not prepared again
    assert first == again == unprepared
    assert [m["text"] for m in first[0]["results"]] == [f"m{i}" for i in range(24, 14, -1)]
    assert len(first[2]["results"]) == first[2]["count"] == 3


def test_prepared_statements_are_still_counted_as_queries(people):
    _answers(people)
    with CaptureQueriesContext(connection) as queries:
        people["client"].get(f"{V}/me/inbox/")
    # One statement: the token lookup reads the first page (test_inbox_one_statement.py).
    assert len(queries.captured_queries) == 1
    assert '"planner_inboxmessage"' in queries.captured_queries[0]["sql"]
    with CaptureQueriesContext(connection) as queries:
        people["client"].get(f"{V}/me/inbox/?page_size=5")
    assert len(queries.captured_queries) == 2  # the token lookup and the page


def test_a_connection_the_server_replaced_prepares_them_again(people):
    before = _answers(people)
    terminate_server_connection(server_pid())
    connection.close()  # what Django does for a connection found unusable
    assert _answers(people) == before
    assert _hot(_prepared()) == dict.fromkeys(_hot([]), True)


def test_the_connection_reads_timestamptz_with_the_fast_reader(people):
    connection.ensure_connection()
    adapters = connection.connection.adapters
    loader = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    assert issubclass(loader, utc_iso_loader())
    from planner.models import InboxMessage

    read = InboxMessage.objects.order_by("delivered_at").values_list("delivered_at", flat=True)
    assert list(read)[:3] == [BASE, BASE + timedelta(hours=1), BASE + timedelta(hours=2)]
    assert all(value.tzinfo is UTC for value in read)


def test_the_delivery_statements_are_prepared_once_per_connection(settings):
    from planner.delivery.outbox import pg_execute

    sql = "SELECT count(*) FROM planner_delivery WHERE id = ANY(%s)"
    assert pg_execute(sql, [[1, 2, 3]]) == [(0,)]
    assert pg_execute(sql, [[4]]) == [(0,)]
    assert sum("planner_delivery WHERE id = ANY($1)" in s for s in _prepared()) == 1

    settings.DB_PREPARED_STATEMENTS = False
    connection.close()
    assert pg_execute(sql, [[1, 2, 3]]) == [(0,)]  # still bound on the server: an array
    assert _prepared() == []


def test_lists_reach_the_server_as_arrays_of_exactly_their_values():
    from planner.delivery.outbox import pg_execute

    texts = ['a "quoted", {braced} \\ value', "", None, "NULL", "é ü ✓"]
    ids = [1, None, 2**40]
    assert pg_execute("SELECT %s::text[], %s::bigint[], %s::text[]", [texts, ids, []]) == [
        (texts, ids, [])
    ]
