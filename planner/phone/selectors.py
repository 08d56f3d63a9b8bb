"""Reads: a client's devices, and the access check for one of them (someone else's: 404)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.http import Http404

from core.converters import parse_id
from core.models import User
from planner.breaks.selectors import require_client
from planner.models import Client, PushSubscription
from planner.phone.vapid import current_keys


def subscriptions_for_client(client: Client) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(client=client).order_by("created_at", "id")


def access_push_subscription(user: User, subscription_id: object) -> PushSubscription:
    client = require_client(user)
    pk = parse_id(subscription_id)
    found = None if pk is None else subscriptions_for_client(client).filter(pk=pk).first()
    if found is None:
        raise Http404("No such device.")
    return found


def push_service_name(subscription: PushSubscription) -> str:
    """Which push service a device uses (its browser's), for the list in Preferences."""
    host = urlsplit(subscription.endpoint).hostname or ""
    for part, name in SERVICE_NAMES:
        if host.endswith(part):
            return name
    return host


SERVICE_NAMES = (
    ("fcm.googleapis.com", "Chrome / Android"),
    ("push.services.mozilla.com", "Firefox"),
    ("notify.windows.com", "Edge / Windows"),
    ("push.apple.com", "Safari / Apple"),
)


def push_available() -> bool:
    return current_keys() is not None


def devices_for_preferences(client: Client) -> dict:
    """The Preferences section "Notifications on your devices"."""
    return {
        "push_available": push_available(),
        "devices": [
            {"subscription": s, "service": push_service_name(s)}
            for s in subscriptions_for_client(client)
        ],
    }
