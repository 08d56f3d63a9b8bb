"""Columns of a hand-written statement, read as a queryset reads them.

Hot reads (the API token lookup, the inbox and breaks pages) write their SQL once per
database from the models' own table and column names, because building and compiling the
queryset cost the API process more than the database spent answering. ``Columns`` keeps what
the ORM would have done with the values: each field's own converters (on SQLite a datetime
comes back as text, a boolean as 0 or 1), applied in the same way as the compiler does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Converter = Callable[[Any, Any, Any], Any]


class Columns:
    """Fields, each of the table aliased with it: their SQL, and their values converted."""

    def __init__(self, connection: Any, fields: Sequence[tuple[str, Any]]) -> None:
        # (alias, field): a concrete Field, as Model._meta.get_field returns it for a column.
        quote = connection.ops.quote_name
        self.sql = [f"{alias}.{quote(f.column)}" for alias, f in fields]
        self.converters: list[tuple[int, list[Converter], Any]] = []
        for i, (alias, f) in enumerate(fields):
            col = f.get_col(alias)
            found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
            if found:
                self.converters.append((i, found, col))

    def convert(self, values: Sequence[Any], connection: Any) -> list[Any]:
        row = list(values)
        for i, converters, col in self.converters:
            for convert in converters:
                row[i] = convert(row[i], col, connection)
        return row


def column_name(connection: Any, model: Any, field: str) -> str:
    """The quoted column of ``model.field``."""
    return connection.ops.quote_name(model._meta.get_field(field).column)
