"""Object ids in paths and query strings: 1 to 2**63 - 1 (PostgreSQL's bigint), or nothing.

Django's ``<int:...>`` converter takes any run of digits, and an id past the database's range
made SQLite raise ``OverflowError`` in some lookups (a 500). The ``<id:...>`` converter
matches only ids a row can have, so anything else is a 404 before a view runs; ``parse_id``
does the same for ids in query strings and form fields.
"""

from __future__ import annotations

from django.urls import register_converter

# The largest id a path, query string or body may name (PostgreSQL's bigint).
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """``value`` as an object id, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text.isdigit() or not text.isascii() or len(text) > 19:
            return None
        number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError("not an object id")  # the resolver's "no match": a 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
