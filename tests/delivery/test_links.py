"""Signed links (issue 9): they expire, an escalation link works once, and a link for another
purpose or a tampered one is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_an_expired_link_is_refused(db):
    from planner.delivery import links

    with time_machine.travel(NOW, tick=False):
        token = links.make_token("inbox", user_id=7)
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        assert links.read(token, "inbox").user_id == 7  # bound to one person
    with (
        time_machine.travel(NOW + timedelta(days=7, seconds=1), tick=False),
        pytest.raises(links.LinkError) as error,
    ):
        links.read(token, "inbox")
    assert error.value.reason == "expired"


def test_an_escalation_link_works_once(db):
    from planner.delivery import links

    token = links.make_token("escalation-ack", user_id=3, object_id=11)
    payload = links.read(token, "escalation-ack")
    assert (payload.user_id, payload.object_id) == (3, 11)
    links.consume(payload)
    with pytest.raises(links.LinkError) as reread:
        links.read(token, "escalation-ack")
    assert reread.value.reason == "used"
    with pytest.raises(links.LinkError):
        links.consume(payload)  # two requests racing: the second one loses


def test_a_link_for_another_purpose_is_refused(db):
    from planner.delivery import links

    token = links.make_token("inbox", user_id=3)
    for purpose in ("escalation-ack", "unsubscribe", "login"):
        with pytest.raises(links.LinkError) as error:
            links.read(token, purpose)
        assert error.value.reason in {"invalid", "purpose"}


def test_a_tampered_link_is_refused(db):
    from django.core import signing

    from planner.delivery import links

    token = links.make_token("inbox", user_id=3)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = signing.TimestampSigner(key="not-the-secret-key", salt="between.link.inbox")
    forged = forged.sign_object({"p": "inbox", "u": 4, "o": None, "n": "x"})
    for bad in (flipped, forged, "garbage", ""):
        with pytest.raises(links.LinkError) as error:
            links.read(bad, "inbox")
        assert error.value.reason == "invalid"
