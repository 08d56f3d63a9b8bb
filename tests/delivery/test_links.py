"""Signed links (issue 9): they expire, an escalation link works once, and a link for another
purpose or a tampered one is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

URLSAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_an_expired_link_is_refused(db):
    from planner.delivery import links

    with time_machine.travel(NOW, tick=False):
        token = links.make_token("inbox", user_id=7)
    with time_machine.travel(NOW + timedelta(hours=23), tick=False):
        assert links.read(token, "inbox").user_id == 7  # bound to one person
    with (
        time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False),
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


@pytest.mark.parametrize(
    ("purpose", "fields"),
    [
        ("inbox", {"user_id": 7}),
        ("unsubscribe", {"user_id": 7, "object_id": 12}),
        ("escalation-ack", {"user_id": None, "object_id": 3, "recipient": "cover@example.com"}),
    ],
)
def test_a_link_token_is_the_one_djangos_signer_makes(db, monkeypatch, purpose, fields):
    from django.core import signing

    from planner.delivery import links

    monkeypatch.setattr(links._NONCES, "take", lambda: "nonce-0123456")
    payload = {"p": purpose, "u": fields["user_id"], "o": fields.get("object_id")}
    payload["n"] = "nonce-0123456"
    if "recipient" in fields:
        payload["r"] = fields["recipient"]
    signer = signing.TimestampSigner(salt=f"between.link.{purpose}")
    with time_machine.travel(NOW, tick=False):
        token = links.make_token(purpose, **fields)
        assert token == signer.sign_object(payload)
        assert links.read(token, purpose).nonce == "nonce-0123456"


def test_a_compressed_link_from_before_still_opens(db):
    from django.core import signing

    from planner.delivery import links

    signer = signing.TimestampSigner(salt="between.link.inbox")
    payload = {"p": "inbox", "u": 7, "o": None, "n": "n" * 40}  # long enough to compress
    with time_machine.travel(NOW, tick=False):
        token = signer.sign_object(payload, compress=True)
        assert token.startswith(".")
        assert links.read(token, "inbox").user_id == 7


def test_link_nonces_are_random_distinct_and_not_shared_with_a_forked_process(
    tmp_path, monkeypatch
):
    import os

    from planner.delivery import links

    monkeypatch.setattr(links._NONCES, "_nonces", [])
    nonces = [links._NONCES.take() for _ in range(3 * links._NoncePool.DRAW - 1)]
    assert len(set(nonces)) == len(nonces)
    assert all(len(n) == 16 and set(n) <= URLSAFE for n in nonces)
    parent_next = links._NONCES._nonces[-1]  # what this process hands out next
    out = tmp_path / "child"
    pid = os.fork()
    if pid == 0:  # the child: a Celery worker forked from a process that had drawn nonces
        try:
            out.write_text(links._NONCES.take())
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child = out.read_text()
    assert len(child) == 16 and child != parent_next
    assert links._NONCES.take() == parent_next


def test_a_link_signed_with_another_secret_key_is_refused(db, settings):
    from planner.delivery import links

    with time_machine.travel(NOW, tick=False):
        token = links.make_token("inbox", user_id=7)
        settings.SECRET_KEY = "another-secret-key-of-sufficient-length-0123456789"
        with pytest.raises(links.LinkError) as error:
            links.read(token, "inbox")
    assert error.value.reason == "invalid"


def test_link_nonces_taken_from_many_threads_at_once_are_all_distinct(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from planner.delivery import links

    monkeypatch.setattr(links._NONCES, "_nonces", [])

    def take_many(_):
        return [links._NONCES.take() for _ in range(2_000)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = [n for batch in pool.map(take_many, range(8)) for n in batch]
    assert len(taken) == 16_000 and len(set(taken)) == 16_000
