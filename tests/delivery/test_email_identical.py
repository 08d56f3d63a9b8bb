"""The neutral email is rendered once per batch and each recipient's links substituted: what
goes out is byte for byte the email rendered for that message alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from planner.delivery import links
from planner.delivery.channels import OutboundMessage, get_channel
from planner.delivery.channels.email import build_email
from tests.factories import EmailClientFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def outbound_message(client, n: int, **fields) -> OutboundMessage:
    """Message ``n`` to ``client`` (its ids from ``n``), with its own two signed links."""
    fields.setdefault("link", links.make_url("inbox", "/l/inbox/", user_id=client.user_id or n))
    fields.setdefault(
        "unsubscribe_link",
        links.make_url("unsubscribe", "/l/unsubscribe/", user_id=client.user_id, object_id=n),
    )
    return OutboundMessage(
        client=client,
        prompt_id=n,
        delivery_id=100 + n,
        category="coping",
        full_text="Try the breathing exercise you chose.",
        neutral_text="You have a new message in Between.",
        message_id=f"<delivery-{100 + n}.prompt-{n}@127.0.0.1>",
        **fields,
    )


def _bytes(email) -> bytes:
    raw = email.message().as_bytes()
    # The MIME boundary is random per rendering; everything else must be equal.
    boundaries = set(re.findall(rb'boundary="([^"]+)"', raw))
    for i, boundary in enumerate(sorted(boundaries)):
        raw = raw.replace(boundary, b"BOUNDARY-%d" % i)
    return raw


@pytest.fixture
def messages(therapist):
    clients = [EmailClientFactory(therapist=therapist) for _ in range(3)]
    opted_in = EmailClientFactory(therapist=therapist, full_text_opt_in=True)
    with time_machine.travel(NOW, tick=False):
        made = [outbound_message(c, n) for n, c in enumerate(clients)]
        made.append(outbound_message(opted_in, 3))  # carries the text: rendered for itself
        made.append(outbound_message(clients[0], 4, unsubscribe_link=""))  # no unsubscribe link
        # Characters the HTML template escapes, in case a SITE_URL ever has them.
        made.append(outbound_message(clients[1], 5, link="https://x.example/l/inbox/a&b'c\"d<e>/"))
    return made


def test_the_emails_a_batch_sends_are_byte_identical_to_each_rendered_alone(messages):
    with time_machine.travel(NOW, tick=False):
        channel = get_channel("email")
        channel.open()
        for message in messages:
            channel.send(message)
        channel.close()
        assert len(mail.outbox) == len(messages)
        for sent, message in zip(mail.outbox, messages, strict=True):
            alone = build_email(message)
            assert (sent.body, sent.alternatives) == (alone.body, alone.alternatives)
            assert _bytes(sent) == _bytes(alone)
    # (and the links really are each recipient's own)
    assert len({m.body for m in mail.outbox}) == len(messages)
    assert messages[0].link in mail.outbox[0].body and messages[1].link in mail.outbox[1].body
    assert "a&amp;b&#x27;c&quot;d&lt;e&gt;" in mail.outbox[5].alternatives[0][0]
