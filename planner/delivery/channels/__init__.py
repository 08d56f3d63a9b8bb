"""Delivery channels behind one small interface (``base``): inbox (always on), email, SMS,
Web Push."""

from __future__ import annotations

from planner.delivery.channels.base import (
    EXTERNAL_CHANNELS,
    Channel,
    ChannelError,
    OutboundMessage,
    PermanentChannelError,
    TransientChannelError,
    UnconfirmedChannelError,
)
from planner.delivery.channels.email import EmailChannel
from planner.delivery.channels.inbox import InboxChannel
from planner.delivery.channels.push import PushChannel
from planner.delivery.channels.sms import SmsChannel

__all__ = [
    "EXTERNAL_CHANNELS",
    "Channel",
    "ChannelError",
    "EmailChannel",
    "InboxChannel",
    "OutboundMessage",
    "PermanentChannelError",
    "PushChannel",
    "SmsChannel",
    "TransientChannelError",
    "UnconfirmedChannelError",
    "get_channel",
    "load_templates",
]

# Every template a delivery renders (email: text and HTML; SMS).
TEMPLATES = ("email/prompt.txt", "email/prompt.html", "sms/prompt.txt")


def load_templates() -> None:
    """Load and compile the delivery's templates now (Django's cached loader keeps them), as
    the first message of a process would otherwise: the template engine and every tag
    library imported, then each template parsed."""
    from django.template.loader import get_template

    for name in TEMPLATES:
        get_template(name)


def get_channel(name: str) -> Channel:
    """A fresh channel instance (backends are read from settings at call time)."""
    channels: dict[str, type[Channel]] = {
        "email": EmailChannel,
        "sms": SmsChannel,
        "inbox": InboxChannel,
        "push": PushChannel,
    }
    if name not in channels:
        raise ValueError(f"unknown channel {name!r}")
    return channels[name]()
