"""The cursor for a hot statement, on any database."""

from __future__ import annotations

from typing import Any


def prepared_cursor(connection: Any) -> Any:
    """A cursor whose statements the database prepares once per connection where the backend
    can (ours on PostgreSQL: ``core.db.postgresql``, parameters bound by the server; see
    ``DB_PREPARED_STATEMENTS``), a plain cursor elsewhere (SQLite's module keeps its own
    statement cache). For statements written once and run on every request or batch, with
    parameters only where the database may bind them (values, LIMIT, OFFSET)."""
    make = getattr(connection, "prepared_cursor", None)
    return make() if make is not None else connection.cursor()
