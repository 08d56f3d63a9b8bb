"""IDOR sweep: every URL pattern with an id, as every kind of intruder, by GET and by POST.

Robin (client A of therapist A) has a live break with prompts, inbox messages, a check-in, an
escalation and a review. Each intruder puts Robin's ids into every URL pattern of the project
(pages and API; signed-link routes are covered in tests/delivery/) and must never get a
success, and nothing of Robin's may change.
"""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from planner.models import (
    Break,
    BreakReview,
    CheckIn,
    Client,
    ConsentRecord,
    Escalation,
    InboxMessage,
    ScheduledPrompt,
)
from tests.factories import ClientFactory, PracticeFactory
from tests.security_helpers import url_patterns_with_ids

ID_KINDS = {
    "clients/<": "client",
    "breaks/<": "break",
    "inbox/<": "message",
    "client": "client",
    "break": "break",
    "message": "message",
    "inbox": "message",
    "check": "check_in",
    "prompt": "prompt",
    "escalation": "escalation",
}
BREAK_ACTIONS = ["activate", "cancel", "pause", "resume", "check-ins", "deliveries", "edit"]


def robins_ids(robin: Client) -> dict[str, int]:
    brk = robin.breaks.get()
    return {
        "client": robin.pk,
        "break": brk.pk,
        "message": InboxMessage.objects.filter(client=robin).first().pk,
        "check_in": CheckIn.objects.get(client=robin).pk,
        "prompt": brk.prompts.first().pk,
        "escalation": Escalation.objects.get(client=robin).pk,
    }


def snapshot(robin: Client) -> tuple:
    """Everything of Robin's an intruder's request could change."""
    robin.refresh_from_db()
    return (
        tuple(Client.objects.filter(pk=robin.pk).values_list()),
        tuple(Break.objects.filter(client=robin).values_list()),
        tuple(ScheduledPrompt.objects.filter(client=robin).values_list("id", "status", "text")),
        tuple(InboxMessage.objects.filter(client=robin).values_list()),
        tuple(CheckIn.objects.filter(client=robin).values_list()),
        tuple(Escalation.objects.filter(client=robin).values_list()),
        tuple(BreakReview.objects.filter(break_obj__client=robin).values_list()),
        ConsentRecord.objects.filter(client=robin).count(),
    )


def candidate_urls(ids: dict[str, int]) -> list[str]:
    urls = []
    for pattern in url_patterns_with_ids():
        if any("token" in name for name in pattern.params) or pattern.route.startswith("admin"):
            continue
        options: list[dict[str, object]] = [{}]
        for name in pattern.params:
            # The kind of object from the parameter's name, or for a generic "pk" from the
            # route segment in front of it ("breaks/<int:pk>/").
            segment = pattern.route.split(f"<int:{name}>")[0][-12:] + "<"
            kind = next(
                (
                    v
                    for k, v in ID_KINDS.items()
                    if k in name or (k.endswith("<") and segment.endswith(k))
                ),
                None,
            )
            if name == "action":
                values: list[object] = BREAK_ACTIONS
            elif kind:
                values = [ids[kind]]
            else:  # a generic "pk": try every kind of object
                values = list(ids.values())
            options = [{**o, name: v} for o in options for v in values]
        urls += [pattern.url(**values) for values in options]
    return sorted(set(urls))


@pytest.fixture
def intruders(make_user, client_with_history):
    colleague = make_user("therapist", email="colleague@example.com")  # same practice
    elsewhere = PracticeFactory(name="Elsewhere")
    stranger = make_user("therapist", email="stranger@example.com", practice=elsewhere)
    other_login = make_user("client", email="other-client@example.com")
    ClientFactory(therapist=stranger, user=other_login, first_name="Other")
    outside_staff = make_user(
        "staff", email="staff@elsewhere.example", practice=elsewhere, is_staff=True
    )
    return {
        "colleague therapist": colleague,
        "therapist of another practice": stranger,
        "another client": other_login,
        "staff of another practice": outside_staff,
    }


def _sweep(client, robin, intruders, method: str) -> int:
    ids = robins_ids(robin)
    urls = candidate_urls(ids)
    routes = [p for p in url_patterns_with_ids() if not p.route.startswith("admin")]
    assert len(routes) >= 15, "the sweep should reach every id route of the project"
    before = snapshot(robin)
    checked = 0
    for who, user in intruders.items():
        client.force_login(user)
        token = Token.objects.get_or_create(user=user)[0].key
        for url in urls:
            headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if url.startswith("/api/") else {}
            if method == "get":
                response = client.get(url, **headers)
            else:
                response = client.post(url, {}, content_type="application/json", **headers)
            assert response.status_code not in (200, 201, 204, 302), (
                f"{who}: {method.upper()} {url} answered {response.status_code}"
            )
            checked += 1
        client.logout()
    assert snapshot(robin) == before, f"an intruder's {method.upper()} changed Robin's data"
    return checked


def test_no_intruder_reads_anything_of_robins(client, client_with_history, intruders):
    assert _sweep(client, client_with_history, intruders, "get") >= 60


def test_no_intruder_changes_anything_of_robins(client, client_with_history, intruders):
    assert _sweep(client, client_with_history, intruders, "post") >= 60


def test_the_sweep_would_notice_a_leak(client, client_with_history, therapist):
    """The same requests made by Robin's own therapist do succeed: the sweep can fail."""
    ids = robins_ids(client_with_history)
    client.force_login(therapist)
    answers = {
        url: client.get(url).status_code
        for url in candidate_urls(ids)
        if not url.startswith("/api/")
    }
    assert answers[f"/breaks/{ids['break']}/"] == 200
    assert answers[f"/clients/{ids['client']}/"] == 200
