"""The channels' one small interface: the message, the channel protocol, and its errors.

The inbox is transactional: dispatch writes the InboxMessage in the same transaction that marks
the delivery sent, so it is delivered exactly once. Email, SMS and Web Push (``push.py``) call
a provider and are used outside any transaction: ``open()``, then ``send(message) -> provider
id`` per message, then ``close()`` (so one SMTP connection serves a whole batch).

A provider error is either permanent (an invalid number or address: fail at once, switch the
channel off for the client, tell the therapist), transient (retry with backoff), or
unconfirmed: the message was handed over and no answer came (the connection dropped or timed
out after SMTP DATA, an HTTP API that timed out reading its reply). The provider may have
accepted it, so it is never sent again: the delivery is ``unconfirmed`` and shown to staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from planner.models import Client


class ChannelError(Exception):
    """A provider refused or failed a message. ``code`` is short and never personal data."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = str(code)[:100]


class PermanentChannelError(ChannelError):
    """Sending again will not help (invalid number, unsubscribed, refused recipient)."""


class TransientChannelError(ChannelError):
    """Sending again later may work (timeout, rate limit, provider down)."""


class UnconfirmedChannelError(ChannelError):
    """The message was handed over and no answer came: it may have been accepted. Sending it
    again could deliver it twice, so it is not sent again."""


@dataclass(frozen=True)
class OutboundMessage:
    client: Client
    prompt_id: int
    delivery_id: int
    category: str
    full_text: str
    neutral_text: str
    link: str
    message_id: str
    unsubscribe_link: str = ""
    break_id: int | None = None

    @property
    def full_text_allowed(self) -> bool:
        return bool(self.client.full_text_opt_in)


class Channel(Protocol):
    name: str

    def open(self) -> None: ...

    def close(self) -> None: ...

    def send(self, message: OutboundMessage) -> str: ...


EXTERNAL_CHANNELS = ("email", "sms", "push")
