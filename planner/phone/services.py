"""Every write about a client's devices: turning push on for one, removing one.

Turning push on for a device stores the subscription with its own consent record (subject
``push``) and switches the push channel on for the client; removing the last device switches
it off (with a record). A device the push service no longer knows (404/410) is removed by
the channel (``subscription_gone``); when none is left, the outbox's permanent-error rule
switches the channel off. Erasure deletes them all (planner/privacy/services.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from planner import audit
from planner.models import Client, PushSubscription
from planner.phone.validation import check_endpoint, check_keys
from planner.privacy.consent import channel_consent_set

logger = logging.getLogger(__name__)


@transaction.atomic
def push_subscribe(
    *, client: Client, actor: Any, endpoint: Any, p256dh: Any, auth: Any, source: str = "web"
) -> PushSubscription:
    """Store this device's subscription (or renew its keys); the browser asked the client
    for permission after they chose to turn notifications on."""
    endpoint = check_endpoint(endpoint)
    p256dh, auth = check_keys(p256dh, auth)
    existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if existing is not None and existing.client_id == client.pk:
        if (existing.p256dh, existing.auth) != (p256dh, auth):
            existing.p256dh, existing.auth = p256dh, auth
            existing.save(update_fields=["p256dh", "auth"])
        return existing
    if existing is not None:
        # The browser is someone else's now (a shared phone, another login): it is theirs.
        existing.delete()
    record = channel_consent_set(
        client=client, channel="push", granted=True, source=f"{source} device", recorded_by=actor
    )
    subscription = PushSubscription.objects.create(
        client=client, endpoint=endpoint, p256dh=p256dh, auth=auth, consent=record
    )
    audit.record(actor, "push.subscribed", client=client, obj=subscription)
    logger.info("push.subscribed client=%s subscription=%s", client.pk, subscription.pk)
    return subscription


@transaction.atomic
def push_unsubscribe(*, subscription: PushSubscription, actor: Any, source: str = "web") -> None:
    """The client removed this device; the last one switches the push channel off."""
    client = subscription.client
    pk = subscription.pk
    subscription.delete()
    if not PushSubscription.objects.filter(client=client).exists():
        channel_consent_set(
            client=client, channel="push", granted=False, source=source, recorded_by=actor
        )
    audit.record(actor, "push.unsubscribed", client=client)
    logger.info("push.unsubscribed client=%s subscription=%s", client.pk, pk)


def subscription_gone(subscription_id: int) -> None:
    """The push service answered 404/410: the browser dropped it; it can never work again."""
    PushSubscription.objects.filter(pk=subscription_id).delete()
    logger.info("push.subscription_gone subscription=%s", subscription_id)


def subscriptions_erase(client: Client) -> int:
    """Erasure: every device of the client goes (inside the erasure's transaction)."""
    deleted, _ = PushSubscription.objects.filter(client=client).delete()
    return deleted
