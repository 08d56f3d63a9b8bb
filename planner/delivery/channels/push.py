"""Web Push: one message to each of the client's devices, through pywebpush (VAPID-signed).

One ``Delivery`` per (prompt, channel), as for email and SMS: ``send`` goes to every device
the client turned notifications on for and answers for all of them. A device whose push
service answers 404 or 410 has dropped the subscription: it is removed at once (it can never
work again). Then, for the delivery:

- any device took it (201): sent (a retry would reach that device twice);
- else a device's service took the request and gave no answer (read timeout): unconfirmed;
- else a device failed for a while (429, 5xx, no connection): transient, retried with backoff;
- else (every device gone, or none left): permanent, and the outbox switches push off.

The payload is encrypted to each device's key (RFC 8291, aes128gcm): the push service cannot
read it. It holds the neutral line unless the client opted in to the full text, and the
signed link that opens the message in Between when the notification is clicked.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from django.conf import settings
from pywebpush import WebPushException, webpush

from planner.delivery.channels.base import (
    OutboundMessage,
    PermanentChannelError,
    TransientChannelError,
    UnconfirmedChannelError,
)
from planner.models import PushSubscription
from planner.phone.selectors import subscriptions_for_client
from planner.phone.services import subscription_gone
from planner.phone.vapid import VapidKeys, current_keys

logger = logging.getLogger(__name__)

TITLE = "Between"  # neutral: no name, no clinical content


def push_payload(message: OutboundMessage) -> dict[str, str]:
    """What the service worker shows (static/js/sw.js): title, body, and where a click goes."""
    return {
        "title": TITLE,
        "body": message.full_text if message.full_text_allowed else message.neutral_text,
        "url": message.link,
        "tag": f"between-prompt-{message.prompt_id}",
    }


def _outcome(subscription: PushSubscription, data: str, keys: VapidKeys, session) -> str:
    """One device: 'sent', 'gone', 'unconfirmed' or 'transient:<code>'."""
    info = {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }
    try:
        webpush(
            subscription_info=info,
            data=data,
            vapid_private_key=keys.private_key,
            vapid_claims={"sub": keys.subject},  # a new dict each time: "aud" is per service
            ttl=settings.PUSH_TTL_SECONDS,
            timeout=settings.PUSH_TIMEOUT_SECONDS,
            headers={"Urgency": "normal"},
            requests_session=session,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            return "gone"
        if status is None:  # refused before sending (a key pywebpush cannot use)
            return "gone"
        return f"transient:push-{status}"
    except requests.exceptions.ReadTimeout:
        return "unconfirmed"
    except requests.exceptions.RequestException as exc:
        return f"transient:{type(exc).__name__}"
    return "sent"


class PushChannel:
    name = "push"

    def __init__(self) -> None:
        self.session: requests.Session | None = None

    def open(self) -> None:
        self.session = requests.Session()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def send(self, message: OutboundMessage) -> str:
        keys = current_keys()
        if keys is None:
            raise TransientChannelError("push-not-configured")
        devices = list(subscriptions_for_client(message.client))
        if not devices:
            raise PermanentChannelError("no-device")
        if self.session is None:
            self.open()
        data = json.dumps(push_payload(message))
        outcomes: list[str] = []
        for device in devices:
            outcome = _outcome(device, data, keys, self.session)
            if outcome == "gone":
                subscription_gone(device.pk)
            outcomes.append(outcome)
        sent = outcomes.count("sent")
        logger.info(
            "channel.push delivery=%s devices=%s sent=%s gone=%s",
            message.delivery_id,
            len(devices),
            sent,
            outcomes.count("gone"),
        )
        if sent:
            return f"push:{sent}/{len(devices)}"
        if "unconfirmed" in outcomes:
            raise UnconfirmedChannelError("push-no-reply")
        transient: list[Any] = [o for o in outcomes if o.startswith("transient:")]
        if transient:
            raise TransientChannelError(transient[0].removeprefix("transient:"))
        raise PermanentChannelError("push-410")
