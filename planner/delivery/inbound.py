"""Inbound SMS (the provider's webhook): STOP and START switch the SMS channel, once each.

Twilio signs a webhook request but puts no time in the signature, so a captured request can
be sent again later: a STOP, then an old signed START replayed, switched SMS on again. Every
message is acted on once, by its provider id (``MessageSid``, in ``InboundSms``); a request
without one (Twilio always sends it) is acted on as before, since there is nothing to
recognise it by.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from planner.breaks.validation import phone_for_lookup
from planner.models import Client, InboundSms
from planner.privacy.consent import channel_consent_set

logger = logging.getLogger(__name__)

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
MAX_SID_LENGTH = 64


def keyword_of(body: str) -> str:
    words = (body or "").strip().split(maxsplit=1)
    return words[0].upper() if words else ""


def sms_received(*, message_sid: str, sender: str, body: str) -> str:
    """Act on one inbound SMS; returns what was done: stop, start, other or duplicate."""
    keyword = keyword_of(body)
    granted = True if keyword in START_WORDS else False if keyword in STOP_WORDS else None
    number = phone_for_lookup(sender)  # stored numbers are E.164, as Twilio writes From
    sid = (message_sid or "").strip()[:MAX_SID_LENGTH]
    with transaction.atomic():
        if sid:
            try:
                with transaction.atomic():
                    InboundSms.objects.create(message_sid=sid)
            except IntegrityError:
                return "duplicate"
        if granted is None or number is None:
            return "other"
        source = "sms-start" if granted else "sms-stop"
        for client in Client.objects.filter(phone=number, deleted_at__isnull=True):
            channel_consent_set(client=client, channel="sms", granted=granted, source=source)
    return "start" if granted else "stop"
