"""``GET /api/v1/me/inbox/`` on real PostgreSQL: the token lookup reads the first inbox page in
the same statement (planner/api/authentication.py). The answer is byte for byte the one the
two-statement path gives (a session login takes that path), a client only ever sees their own
messages, and every refusal of a token still holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework.test import APIClient

from core.tokens import revoke_tokens
from planner.models import PromptFeedback, PromptTemplate
from tests.factories import (
    BreakFactory,
    ClientFactory,
    InboxMessageFactory,
    ScheduledPromptFactory,
    TherapistFactory,
)
from tests.security_helpers import api_token

pytestmark = pytest.mark.django_db(transaction=True)

V = "/api/v1"
INBOX = f"{V}/me/inbox/"
BASE = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night the UK's clocks go forward


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def _by_token(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return api


def _by_session(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def _inbox(client, count: int, *, tag: str) -> list[int]:
    """``count`` messages, some sharing a delivery time, some with a template, an
    acknowledgement and feedback, across the DST change; their ids."""
    break_obj = BreakFactory(client=client, therapist=client.therapist)
    template = PromptTemplate.objects.create(
        key=f"one-statement-{tag}", category="coping", text="Breathe in for four."
    )
    ids = []
    for i in range(count):
        prompt = ScheduledPromptFactory(break_obj=break_obj, template=template) if i % 3 else None
        message = InboxMessageFactory(
            client=client,
            break_obj=break_obj,
            prompt=prompt,
            text=f"{tag} message {i} ✓ \u2028 <b>",
            delivered_at=BASE + timedelta(minutes=40 * (i // 2), microseconds=i % 2),
            acknowledged_at=BASE + timedelta(days=1) if i % 4 == 0 else None,
        )
        if i % 5:
            PromptFeedback.objects.create(
                message=message, client=client, break_obj=break_obj, helpful=bool(i % 2)
            )
        ids.append(message.pk)
    return ids


@pytest.mark.parametrize("prepared", [True, False])
def test_the_first_page_is_byte_for_byte_the_two_statement_answer(settings, prepared):
    settings.DB_PREPARED_STATEMENTS = prepared
    client = ClientFactory(therapist=TherapistFactory(), with_login=True)
    ids = _inbox(client, 25, tag="own")
    by_token, by_session = _by_token(client.user), _by_session(client.user)

    with CaptureQueriesContext(connection) as one:
        fast = by_token.get(INBOX)
    with CaptureQueriesContext(connection) as two:
        usual = by_session.get(INBOX)

    assert fast.status_code == usual.status_code == 200
    assert fast.content == usual.content
    body = fast.json()
    assert len(body["results"]) == 20 and body["next"] and body["previous"] is None
    assert {m["id"] for m in body["results"]} <= set(ids)
    assert len(one.captured_queries) == 1  # the token, its client and the page
    assert len([q for q in two.captured_queries if "planner_inboxmessage" in q["sql"]]) == 1
    # The next page (a cursor: the usual path) follows on from it, as with a session.
    assert by_token.get(body["next"]).content == by_session.get(body["next"]).content


def test_a_cursor_or_a_page_size_reads_the_page_the_usual_way():
    client = ClientFactory(therapist=TherapistFactory(), with_login=True)
    _inbox(client, 8, tag="own")
    api = _by_token(client.user)
    first = api.get(f"{INBOX}?page_size=3")
    with CaptureQueriesContext(connection) as queries:
        older = api.get(first.json()["next"])
    assert first.status_code == older.status_code == 200
    assert len(queries.captured_queries) == 2
    assert older.content == _by_session(client.user).get(first.json()["next"]).content


def test_a_client_sees_only_their_own_messages():
    therapist = TherapistFactory()
    alice = ClientFactory(therapist=therapist, with_login=True)
    bea = ClientFactory(therapist=therapist, with_login=True)
    alices, beas = _inbox(alice, 6, tag="alice"), _inbox(bea, 6, tag="bea")
    for person, own in ((alice, alices), (bea, beas)):
        results = _by_token(person.user).get(INBOX).json()["results"]
        assert sorted(m["id"] for m in results) == sorted(own)


def test_an_empty_inbox_and_a_login_without_a_client_answer_as_before():
    client = ClientFactory(therapist=TherapistFactory(), with_login=True)
    therapist = TherapistFactory()
    for user in (client.user, therapist):
        fast, usual = _by_token(user).get(INBOX), _by_session(user).get(INBOX)
        assert (fast.status_code, fast.content) == (usual.status_code, usual.content)
    assert _by_token(client.user).get(INBOX).json() == {
        "next": None,
        "previous": None,
        "results": [],
    }
    assert _by_token(therapist).get(INBOX).status_code == 403


def test_a_revoked_expired_or_inactive_token_is_still_refused():
    client = ClientFactory(therapist=TherapistFactory(), with_login=True)
    _inbox(client, 3, tag="own")
    revoked = _by_token(client.user)
    revoke_tokens(client.user)
    assert revoked.get(INBOX).status_code == 401

    expired = _by_token(client.user)
    AuthToken.objects.filter(user=client.user).update(expiry=datetime.now(UTC) - timedelta(1))
    assert expired.get(INBOX).status_code == 401

    inactive = _by_token(client.user)
    client.user.is_active = False
    client.user.save(update_fields=["is_active"])
    response = inactive.get(INBOX)
    assert response.status_code == 401
    assert "results" not in response.json()


@pytest.mark.parametrize("swap", [False, True])
def test_tokens_that_share_a_key_each_read_their_own_clients_inbox(swap):
    """The lookup finds tokens by their first 15 characters; two that share them return one
    row per message each, and the digest picks the caller's, with their client's page."""
    therapist = TherapistFactory()
    alice = ClientFactory(therapist=therapist, with_login=True)
    bea = ClientFactory(therapist=therapist, with_login=True)
    alices, beas = _inbox(alice, 4, tag="alice"), _inbox(bea, 5, tag="bea")
    text = api_token(alice.user)
    key = text[: CONSTANTS.TOKEN_KEY_LENGTH]
    # Another token with the same key, whose digest sorts before or after Alice's.
    for n in range(100):
        twin = key + f"{n:02x}" + text[CONSTANTS.TOKEN_KEY_LENGTH + 2 :]
        if (hash_token(twin) < hash_token(text)) != swap:
            break
    AuthToken.objects.bulk_create(
        [AuthToken(digest=hash_token(twin), token_key=key, user=bea.user, expiry=None)]
    )
    for token, own in ((text, alices), (twin, beas)):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        results = api.get(INBOX).json()["results"]
        assert sorted(m["id"] for m in results) == sorted(own)


def _clients_without_login(therapist, count: int) -> None:
    """``count`` clients with no login (user_id NULL), as after a morning peak's seed; in SQL,
    then analysed, so the planner's statistics know them."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO planner_client
              (therapist_id, first_name, last_name, email, phone, country, timezone,
               prompt_times, channels, full_text_opt_in, prompt_amount, created_at)
            SELECT %s, 'Client ' || g, '', 'many-' || g || '@example.invalid', '', 'GB',
                   'Europe/London', '["09:00"]', '["inbox"]', false, 'usual', now()
            FROM generate_series(1, %s) AS g
            """,
            [therapist.pk, count],
        )
        cursor.execute("ANALYZE planner_client")


def _plan_rows(plan: dict) -> list[float]:
    """The estimated rows of each branch of the statement's UNION ALL (under its sort)."""
    node = plan
    while node["Node Type"] != "Append":
        node = node["Plans"][0]
    return [branch["Plan Rows"] for branch in node["Plans"]]


def test_the_planner_counts_one_client_per_token_even_with_many_clients_without_a_login():
    """Clients without a login share user_id NULL. Joined to the token, a generic plan counted
    thousands of clients for one token and a page read for each: after a morning peak's
    100,000 clients, a cost past jit_above_cost, and PostgreSQL compiled the statement on
    every request (29 ms). The token's client is a scalar subquery: one page's rows."""
    from planner.api.authentication import _lookup_with_inbox

    therapist = TherapistFactory()
    client = ClientFactory(therapist=therapist, with_login=True)
    _inbox(client, 3, tag="own")
    _clients_without_login(therapist, 100_000)
    key = api_token(client.user)[: CONSTANTS.TOKEN_KEY_LENGTH]
    sql = _lookup_with_inbox(connection.alias, 20).sql
    for n in range(1, sql.count("%s") + 1):
        sql = sql.replace("%s", f"${n}", 1)
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(f"PREPARE one_statement (text, timestamptz, text, timestamptz) AS {sql}")
            cursor.execute(
                "EXPLAIN (FORMAT JSON) EXECUTE one_statement (%s, now(), %s, now())",
                [key, key],
            )
            (plan,) = cursor.fetchone()
            cursor.execute("SHOW jit_above_cost")
            (jit_above,) = cursor.fetchone()
        finally:
            cursor.execute("DEALLOCATE ALL")
            cursor.execute("RESET plan_cache_mode")
    top = plan[0]["Plan"]
    page_rows = _plan_rows(top)[1]
    assert page_rows <= 21  # one client's page
    assert top["Total Cost"] < float(jit_above)


def test_the_server_plans_the_statement_once_and_then_reuses_its_plan():
    """PostgreSQL reuses a prepared statement's generic plan when it costs no more than a plan
    made for the values. With the page's LIMIT a parameter, in the benchmark's database after
    a morning peak, it did not (0 generic plans in 20 requests) and planned this join afresh
    on every request; the LIMIT is now written into the statement."""
    therapist = TherapistFactory()
    client = ClientFactory(therapist=therapist, with_login=True)
    _inbox(client, 25, tag="own")
    _clients_without_login(therapist, 100_000)
    api = _by_token(client.user)
    for _ in range(12):
        assert api.get(INBOX).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%UNION ALL%planner_inboxmessage%"],
        )
        ((generic, custom),) = cursor.fetchall()
    assert custom <= 5 and generic >= 7
