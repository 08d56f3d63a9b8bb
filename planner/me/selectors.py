"""Reads for the client's own pages and endpoints: the inbox and the calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router
from django.db.models import F, Model, QuerySet
from django.http import Http404
from django.utils.timezone import now as current_time

from core.converters import parse_id
from core.db.columns import Columns, column_name
from core.db.cursors import prepared_cursor
from core.models import User
from planner.breaks.selectors import breaks_for_client, require_client
from planner.models import (
    Break,
    Client,
    InboxMessage,
    PromptFeedback,
    PromptTemplate,
    ScheduledPrompt,
)


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


# The inbox message's own fields among INBOX_API_COLUMNS, in their order.
_INBOX_FIELDS = ("id", "break_obj", "category", "text", "delivered_at", "acknowledged_at")


class _InboxPage:
    """The API's inbox page as one statement, written once per database from the models'
    own table and column names (values are parameters), and the fields' own converters (on
    SQLite a datetime comes back as text, a boolean as 0 or 1): what
    ``inbox_for_client(client).values(*INBOX_API_COLUMNS)`` reads, in the same order. The
    inbox is the hottest read, and building and compiling that queryset cost the API process
    more than the database spent answering it (docs/benchmarks.md)."""

    def __init__(self, connection: Any) -> None:
        quote = connection.ops.quote_name
        self.values = Columns(
            connection,
            [
                *(("m", InboxMessage._meta.get_field(f)) for f in _INBOX_FIELDS),
                ("t", PromptTemplate._meta.get_field("key")),
                ("f", PromptFeedback._meta.get_field("helpful")),
            ],
        )

        def name(model: type[Model], field: str) -> str:
            return column_name(connection, model, field)

        pk, delivered = name(InboxMessage, "id"), name(InboxMessage, "delivered_at")
        self._from = (
            f"FROM {quote(InboxMessage._meta.db_table)} m "
            f"LEFT JOIN {quote(ScheduledPrompt._meta.db_table)} p "
            f"ON p.{pk} = m.{name(InboxMessage, 'prompt')} "
            f"LEFT JOIN {quote(PromptTemplate._meta.db_table)} t "
            f"ON t.{pk} = p.{name(ScheduledPrompt, 'template')} "
            f"LEFT JOIN {quote(PromptFeedback._meta.db_table)} f "
            f"ON f.{name(PromptFeedback, 'message')} = m.{pk} "
            f"WHERE m.{name(InboxMessage, 'client')} = "
        )
        self._newest_first = f"ORDER BY m.{delivered} DESC, m.{pk} DESC"
        base = self._base("%s")
        position = f"(m.{delivered}, m.{pk})"
        self.newest = self.newest_of("%s")
        self.older = f"{base} AND {position} < (%s, %s) {self._newest_first} LIMIT %s"
        self.newer = f"{base} AND {position} > (%s, %s) ORDER BY m.{delivered}, m.{pk} LIMIT %s"

    def _base(self, client: str) -> str:
        return f"SELECT {', '.join(self.values.sql)} {self._from}{client}"

    def newest_of(self, client: str, *, limit: int | None = None) -> str:
        """The newest page's statement for the client that ``client`` (SQL: a parameter, or
        a column of an outer query) names; the LIMIT is a parameter, or ``limit``."""
        written = "%s" if limit is None else int(limit)
        return f"{self._base(client)} {self._newest_first} LIMIT {written}"

    def read(self, connection: Any, sql: str, params: list) -> list[dict]:
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return self.rows(fetched, connection)

    def rows(self, fetched: list, connection: Any) -> list[dict]:
        """Fetched values (the page's columns, in order) as rows of INBOX_API_COLUMNS."""
        return [
            dict(zip(INBOX_API_COLUMNS, self.values.convert(values, connection), strict=True))
            for values in fetched
        ]


_inbox_pages: dict[str, _InboxPage] = {}

# Where the API's token lookup leaves the newest inbox page it read in the same statement
# (planner/api/authentication.py, ``GET /api/v1/me/inbox/``): on the Client instance, as
# ``(size, rows)``, rows of up to size + 1 messages. ``inbox_page`` takes it once.
PREFETCHED_INBOX = "_prefetched_inbox_page"


def inbox_page_statements(db: str) -> _InboxPage:
    page = _inbox_pages.get(db)
    if page is None:
        page = _inbox_pages[db] = _InboxPage(connections[db])
    return page


Position = tuple[datetime, int]  # an inbox message's (delivered_at, id): its place in the list


def inbox_page(
    client: Client,
    *,
    size: int,
    older_than: Position | None = None,
    newer_than: Position | None = None,
) -> tuple[list[dict], bool]:
    """Up to ``size`` of the client's inbox messages, newest first, as rows of
    INBOX_API_COLUMNS: the newest; or those just older than a position; or those just newer
    than it. And whether more lie beyond them, in the direction read. The newest page of the
    default size may already have been read with the API token (``PREFETCHED_INBOX``)."""
    db = router.db_for_read(InboxMessage)
    connection = connections[db]
    page = inbox_page_statements(db)
    prefetched = client.__dict__.pop(PREFETCHED_INBOX, None)
    if older_than is None and newer_than is None:
        if prefetched is not None and prefetched[0] == size:
            rows = prefetched[1]
        else:
            rows = page.read(connection, page.newest, [client.pk, size + 1])
    else:
        at, pk = older_than or newer_than  # type: ignore[misc]
        at = connection.ops.adapt_datetimefield_value(at)
        sql = page.older if older_than is not None else page.newer
        rows = page.read(connection, sql, [client.pk, at, pk, size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if newer_than is not None and older_than is None:
        rows.reverse()
    return rows, more


def calendar_items_for_client(client: Client) -> list[Break]:
    """Non-draft, non-cancelled breaks, in one query (an ending's booked booster sessions
    are on the break itself: ``Break.booster_sessions``)."""
    return list(
        breaks_for_client(client).exclude(status=Break.Status.CANCELLED).order_by("starts_at", "id")
    )
