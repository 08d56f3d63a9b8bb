"""Reads for the client's own pages and endpoints: the inbox and the calendar."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, QuerySet
from django.http import Http404
from django.utils.timezone import now as current_time

from core.converters import parse_id
from core.models import User
from planner.breaks.selectors import breaks_for_client, require_client
from planner.models import Break, Client, InboxMessage


def inbox_for_client(client: Client) -> QuerySet[InboxMessage]:
    return InboxMessage.objects.filter(client=client).order_by("-delivered_at", "-id")


def inbox_with_feedback(client: Client) -> QuerySet[InboxMessage]:
    """The inbox with each message's feedback (``helpful``: True, False or None)."""
    return inbox_for_client(client).annotate(helpful=F("feedback__helpful"))


def access_inbox_message(user: User, message_id: object) -> InboxMessage:
    client = require_client(user)
    pk = parse_id(message_id)
    message = None if pk is None else inbox_for_client(client).filter(pk=pk).first()
    if message is None:
        raise Http404("No such message.")
    return message


def todays_message(client: Client) -> InboxMessage | None:
    return (
        inbox_with_feedback(client)
        .filter(delivered_at__gte=current_time() - timedelta(hours=24))
        .first()
    )


def recent_messages(client: Client, *, besides: InboxMessage | None, count: int = 3) -> list:
    """The last few messages before today's (My break shows them, and so its offline copy)."""
    messages = inbox_for_client(client)
    if besides is not None:
        messages = messages.exclude(pk=besides.pk)
    return list(messages[:count])


INBOX_API_COLUMNS = (
    "id",
    "break_obj_id",
    "category",
    "text",
    "delivered_at",
    "acknowledged_at",
    "prompt__template__key",
    "feedback__helpful",
)


def api_inbox_for_client(client: Client) -> QuerySet:
    """The inbox as plain rows of the columns the API shows (the inbox is the hottest read;
    model instances and a ModelSerializer cost more than the query: docs/benchmarks.md)."""
    return inbox_for_client(client).values(*INBOX_API_COLUMNS)


def calendar_items_for_client(client: Client) -> list[Break]:
    """Non-draft, non-cancelled breaks, in one query (an ending's booked booster sessions
    are on the break itself: ``Break.booster_sessions``)."""
    return list(
        breaks_for_client(client).exclude(status=Break.Status.CANCELLED).order_by("starts_at", "id")
    )
