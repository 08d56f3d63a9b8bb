"""Django's PostgreSQL backend, with a health check that asks the server only when it has
something to say.

With ``CONN_HEALTH_CHECKS`` Django checks a persistent connection before its first use in
every request with ``SELECT 1``: one more round trip per request, during which a sync worker
does nothing else (measured: a tenth of an inbox request's time in the worker,
docs/benchmarks.md). A server that closes a connection (a restart, ``pg_terminate_backend``,
an idle timeout) first sends an error or the end of the stream, which makes the socket
readable; a healthy idle connection has nothing to read. So the check looks at the socket
first, without waiting, and sends ``SELECT 1`` only when something arrived unasked (or when
psycopg already knows the connection is closed or broken). A connection lost without a word
(a silent network failure) is no better found by ``SELECT 1``, which would wait for the
network's timeout too. Django has no setting for this; the override is this one method.
"""

from __future__ import annotations

import select
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN)
            said = poller.poll(0)
        except (OSError, ValueError):
            return False
        return True if not said else super().is_usable()


@cache
def utc_iso_loader() -> type:
    """PostgreSQL's text of a timestamptz (ISO DateStyle, e.g. "2031-03-14 09:26:53.5+00")
    read by ``datetime.fromisoformat`` (C) instead of psycopg's pure-Python parser, into the
    same value Django's loader gives for a UTC connection (tzinfo ``datetime.UTC``); any
    other text (a year past 9999, another DateStyle) goes to Django's loader as before."""
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader  # type: ignore[import-untyped]

    class UtcIsoLoader(BaseTzLoader):
        timezone = UTC

        def load(self, data: Any) -> datetime:
            try:
                value = datetime.fromisoformat(str(data, "ascii"))
            except ValueError:
                return super().load(data)
            return value if value.tzinfo is UTC else value.astimezone(UTC)

    return UtcIsoLoader
