"""SMS through a backend chosen by settings.SMS_BACKEND (read at call time).

Every backend has ``send(*, to: str, body: str) -> str`` (the provider's message id) and raises
PermanentChannelError for a number that can never work and TransientChannelError otherwise.
Other code (escalation) calls ``get_sms_backend().send(to=..., body=...)`` directly.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from planner.delivery.channels.base import (
    OutboundMessage,
    PermanentChannelError,
    TransientChannelError,
    UnconfirmedChannelError,
)

logger = logging.getLogger(__name__)

# Twilio error codes that no retry can fix: invalid 'To' number, not a mobile number,
# unsubscribed recipient (STOP), unreachable/blocked destinations, number not SMS-capable.
TWILIO_PERMANENT_CODES = frozenset(
    {21211, 21214, 21217, 21407, 21408, 21610, 21612, 21614, 30003, 30004, 30005, 30006}
)


class ConsoleSmsBackend:
    """Development: logs the length only, never the number or the text."""

    def send(self, *, to: str, body: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("sms.console id=%s length=%s", provider_id, len(body))
        return provider_id


class TwilioSmsBackend:
    """Twilio with the official client, configured by TWILIO_* environment variables."""

    def __init__(self) -> None:
        from twilio.rest import Client as TwilioClient

        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise TransientChannelError("twilio-not-configured")
        self.client = TwilioClient(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        self.from_number = settings.TWILIO_FROM_NUMBER

    def send(self, *, to: str, body: str) -> str:
        import requests
        from twilio.base.exceptions import TwilioRestException

        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except requests.exceptions.ReadTimeout as exc:
            # The request was sent; Twilio may have queued the message: never send it again.
            raise UnconfirmedChannelError("twilio-no-reply") from exc
        except TwilioRestException as exc:
            if exc.code in TWILIO_PERMANENT_CODES:
                raise PermanentChannelError(f"twilio-{exc.code}") from exc
            raise TransientChannelError(f"twilio-{exc.code or exc.status}") from exc
        except Exception as exc:  # network errors and the like: try again later
            raise TransientChannelError(type(exc).__name__) from exc
        return str(message.sid)


# Until 2026-12 the channels lived in planner/channels/; a deployment's SMS_BACKEND may still
# name them there.
LEGACY_PREFIX = "planner.channels."


def get_sms_backend():
    """The configured SMS backend, resolved now (tests and deployments may change it)."""
    path = settings.SMS_BACKEND
    if path.startswith(LEGACY_PREFIX):
        path = "planner.delivery.channels." + path.removeprefix(LEGACY_PREFIX)
    return import_string(path)()


def render_sms(message: OutboundMessage) -> str:
    context = {
        "text": message.full_text if message.full_text_allowed else "",
        "neutral_text": message.neutral_text,
        "link": message.link,
    }
    return render_to_string("sms/prompt.txt", context).strip()


class SmsChannel:
    name = "sms"

    def __init__(self) -> None:
        self.backend = None

    def open(self) -> None:
        self.backend = get_sms_backend()

    def close(self) -> None:
        self.backend = None

    def send(self, message: OutboundMessage) -> str:
        if not message.client.phone:
            raise PermanentChannelError("no-number")
        backend = self.backend or get_sms_backend()
        self.backend = backend
        provider_id = backend.send(to=message.client.phone, body=render_sms(message))
        logger.info("channel.sms.sent delivery=%s", message.delivery_id)
        return str(provider_id)[:128]
