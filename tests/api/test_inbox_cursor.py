"""The inbox's cursor: following ``next`` and ``previous`` shows every message once, in the
order of the inbox page, while new messages arrive; a bad cursor is a 404."""

from __future__ import annotations

from base64 import b64encode
from datetime import UTC, datetime, timedelta

import pytest

from planner.api.serializers import InboxMessageSerializer
from planner.me.selectors import inbox_for_client
from planner.models import InboxMessage, PromptFeedback, PromptTemplate
from tests.factories import InboxMessageFactory, ScheduledPromptFactory

V = "/api/v1"
BASE = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night the UK's clocks go forward


def _fill(client, count: int, *, tied: int = 0) -> list[int]:
    """``count`` messages a minute apart, the last ``tied`` of them delivered at the same
    instant (only their ids tell them apart); the inbox's ids, newest first."""
    for i in range(count):
        minute = min(i, count - tied) if tied else i
        InboxMessageFactory(
            client=client, text=f"m{i}", delivered_at=BASE + timedelta(minutes=minute)
        )
    return list(inbox_for_client(client).values_list("id", flat=True))


def _walk(api, url: str, link: str) -> list[list[int]]:
    pages = []
    while url:
        answer = api.get(url)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        pages.append([m["id"] for m in body["results"]])
        url = body[link]
    return pages


def test_next_then_previous_walk_the_whole_inbox_once_each_way(world):
    expected = _fill(world.client_a, 33, tied=9)
    api = world.api("client_a")
    forward = _walk(api, f"{V}/me/inbox/?page_size=7", "next")
    assert [pk for page in forward for pk in page] == expected
    assert [len(page) for page in forward] == [7, 7, 7, 7, 6]  # 33 and world's own message

    last = api.get(f"{V}/me/inbox/?page_size=7").json()
    while last["next"]:
        last = api.get(last["next"]).json()
    backward = _walk(api, last["previous"], "previous")
    assert backward == forward[-2::-1]
    assert api.get(f"{V}/me/inbox/?page_size=7").json()["previous"] is None


def test_messages_arriving_while_reading_are_neither_repeated_nor_skipped(world):
    InboxMessage.objects.filter(client=world.client_a).delete()
    older = _fill(world.client_a, 10)
    api = world.api("client_a")
    first = api.get(f"{V}/me/inbox/?page_size=4").json()
    arrived = [
        InboxMessageFactory(
            client=world.client_a, delivered_at=BASE + timedelta(hours=5, minutes=i)
        )
        for i in range(3)
    ]
    second = api.get(first["next"]).json()
    rest = _walk(api, second["next"], "next")
    seen = [m["id"] for m in first["results"] + second["results"]] + [pk for p in rest for pk in p]
    assert seen == older
    # Back from the second page: the first page as it was read, then what arrived since.
    back = api.get(second["previous"]).json()
    assert [m["id"] for m in back["results"]] == [m["id"] for m in first["results"]]
    newest = api.get(back["previous"]).json()
    assert [m["id"] for m in newest["results"]] == [m.pk for m in reversed(arrived)]
    assert newest["previous"] is None


def test_a_message_reads_as_the_serializer_writes_it(world):
    template = PromptTemplate.objects.filter(practice__isnull=True).first()
    prompt = ScheduledPromptFactory(break_obj=world.break_a, template=template)
    message = InboxMessageFactory(
        client=world.client_a,
        prompt=prompt,
        break_obj=world.break_a,
        delivered_at=BASE + timedelta(days=400, microseconds=250),
        acknowledged_at=BASE + timedelta(days=401),
    )
    PromptFeedback.objects.create(
        message=message, client=world.client_a, break_obj=world.break_a, helpful=False
    )
    plain = InboxMessageFactory(client=world.client_a, delivered_at=BASE)
    shown = {m["id"]: m for m in world.api("client_a").get(f"{V}/me/inbox/").json()["results"]}
    for each in (message, plain, world.inbox_a):
        stored = InboxMessage.objects.get(pk=each.pk)
        assert shown[each.pk] == InboxMessageSerializer(stored).data
    assert shown[message.pk]["template"] == template.key and shown[message.pk]["feedback"] is False
    assert shown[plain.pk]["template"] == "" and shown[plain.pk]["feedback"] is None


def _cursor(text: str) -> str:
    return b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        _cursor("p=2026-03-29T00:30:00%2B00:00&i=5"),  # no direction
        _cursor("p=2026-03-29T00:30:00&i=5&r=0"),  # a time without its zone
        _cursor("p=yesterday&i=5&r=0"),
        _cursor("p=2026-03-29T00:30:00%2B00:00&i=0&r=0"),
        _cursor("p=2026-03-29T00:30:00%2B00:00&i=99999999999999999999&r=1"),
        _cursor("x" * 300),
        "é",
    ],
)
def test_a_bad_cursor_is_a_404_that_says_so(world, cursor):
    answer = world.api("client_a").get(f"{V}/me/inbox/", {"cursor": cursor})
    assert answer.status_code == 404
    assert answer.json()["detail"] == "Invalid cursor"


def test_one_clients_cursor_shows_another_client_nothing_of_the_first(world):
    _fill(world.client_a, 5)
    first = world.api("client_a").get(f"{V}/me/inbox/?page_size=2").json()
    theirs = world.api("client_b").get(first["next"]).json()
    assert {m["id"] for m in theirs["results"]} <= set(
        InboxMessage.objects.filter(client=world.client_b).values_list("id", flat=True)
    )
