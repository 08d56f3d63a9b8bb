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
network's timeout too. Django has no setting for this; hence ``is_usable`` below.

Two more things the hot statements (the API's token lookup, the inbox and breaks pages; the
delivery's ``pg_execute``) need:

* ``prepared_cursor()``: a cursor whose statements the server prepares once per connection
  and then only executes. Planning a join of three or four tables cost PostgreSQL several
  times what running it did (measured here: the inbox page 0.72 ms to plan, 0.16 ms to
  run; the token lookup 0.27 and 0.04 ms), on every request, because Django binds
  parameters on the client and never prepares (``prepare_threshold`` None, for connection
  poolers). Only the statements that ask for it are prepared, with server-side binding;
  every other query keeps Django's defaults. ``DB_PREPARED_STATEMENTS=0`` turns preparing
  off, binding stays on the server (behind PgBouncer older than 1.21 in transaction mode, or
  any pooler that does not keep a connection's prepared statements).
* timestamptz text read by ``datetime.fromisoformat`` (``utc_iso_loader``) on a connection
  in UTC, instead of psycopg's pure-Python parser: the same values, a few microseconds less
  for each one (a page of the breaks list reads 250).
"""

from __future__ import annotations

import select
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base, operations
from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]
from psycopg.pq import Format
from psycopg.types.array import ListBinaryDumper


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> Any:  # str or None
        # Django reads the text psycopg sent, which a prepared statement's execution has
        # none of (the debug log and the tests' query capture would show None).
        if isinstance(cursor, PreparedCursor):
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

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

    def get_new_connection(self, conn_params: dict) -> Any:
        connection = super().get_new_connection(conn_params)
        if self.timezone is UTC:
            # Django's own loader is the connection's otherwise (create_cursor checks).
            connection.adapters.register_loader("timestamptz", utc_iso_loader())
        return connection

    def prepared_cursor(self) -> Any:
        """A cursor (Django's wrapper: execute wrappers, query capture and error translation
        as for ``cursor()``) whose statements go to the server with their parameters bound
        there, and are prepared at their first execution on this connection: later ones
        skip parsing and planning. psycopg keeps up to ``prepared_max`` (100) of them per
        connection. With ``DB_PREPARED_STATEMENTS`` off, still bound on the server (arrays go
        as arrays, not as quoted literals) but not prepared: unnamed statements, which every
        pooler passes through."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            if self.connection.prepare_threshold is None:
                # Django's default, which psycopg reads as "never, even when asked". Only
                # this cursor asks: Django's own cursors bind on the client and cannot
                # prepare, whatever the threshold (OPTIONS may still set one).
                self.connection.prepare_threshold = ONLY_WHEN_ASKED
            cursor = PreparedCursor(self.connection)
            cursor.prepare_by_default = settings.DB_PREPARED_STATEMENTS
            oid = base.TIMESTAMPTZ_OID  # type: ignore[attr-defined]
            loader = self.connection.adapters.get_loader(oid, Format.TEXT)
            if self.timezone != loader.timezone:  # as Django's create_cursor does
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)  # type: ignore[attr-defined]


# A statement is prepared when its cursor asks (prepare=True), never by count.
ONLY_WHEN_ASKED = 2**62


class PreparedCursor(base.ServerBindingCursor):  # type: ignore[name-defined]
    """Server-side binding, and every statement prepared (``prepare=True``) unless the
    caller or ``prepare_by_default`` says otherwise."""

    prepare_by_default = True
    binary_lists = False

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, **kw: Any):
        if prepare is None:
            prepare = self.prepare_by_default
        if not self.binary_lists and params and any(type(p) is list for p in params):
            # Lists go as binary arrays: a text array is quoted element by element in Python
            # and parsed again by the server (measured: a sub-batch's result store of 50
            # rows, 626 us a statement with text arrays, 299 with binary). Registered only
            # here: it copies the cursor's adapters, which a statement without lists (the
            # API's) need not pay for.
            self.adapters.register_dumper(list, ListBinaryDumper)
            self.binary_lists = True
        return super().execute(query, params, prepare=prepare, **kw)


@cache
def utc_iso_loader() -> type:
    """PostgreSQL's text of a timestamptz (ISO DateStyle, e.g. "2031-03-14 09:26:53.5+00")
    read by ``datetime.fromisoformat`` (C) instead of psycopg's pure-Python parser, into the
    same value Django's loader gives for a UTC connection (tzinfo ``datetime.UTC``); any
    other text (a year past 9999, another DateStyle) goes to Django's loader as before."""
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    class UtcIsoLoader(BaseTzLoader):
        timezone = UTC

        def load(self, data: Any) -> datetime:
            try:
                value = datetime.fromisoformat(str(data, "ascii"))
            except ValueError:
                return super().load(data)
            return value if value.tzinfo is UTC else value.astimezone(UTC)

    return UtcIsoLoader
