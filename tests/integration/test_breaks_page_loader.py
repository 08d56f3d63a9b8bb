"""The connection's timestamptz reader (PostgreSQL only: its text of a timestamptz; first
written for the breaks page, now every statement's) reads what Django's own loader reads,
and leaves any other text to it."""

from __future__ import annotations

from datetime import UTC

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text",
    [
        "2031-03-14 09:26:53.589793+00",
        "2031-03-14 09:26:53.5+00",
        "2031-03-14 09:26:53.000001+00",
        "2031-03-14 09:26:53+00",
        "2000-01-01 00:00:00+00",
        "2031-03-14 09:26:53.25+05:30",
        "1887-03-14 09:26:53-00:01:15",
    ],
)
def test_the_pages_timestamp_reader_reads_what_djangos_reads(text):
    from django.db import connection

    from core.db.postgresql.base import utc_iso_loader

    with connection.cursor() as cursor:
        adapters = cursor.cursor.adapters
        oid = adapters.types["timestamptz"].oid
        django_loader = adapters.get_loader(oid, 0)(oid, cursor.cursor)
        ours = utc_iso_loader()(oid, cursor.cursor)
        expected = django_loader.load(text.encode())
        value = ours.load(text.encode())
    assert value == expected and value.tzinfo is expected.tzinfo is UTC
    assert value.isoformat() == expected.isoformat()


def test_the_pages_timestamp_reader_leaves_other_text_to_django():
    from django.db import connection
    from psycopg import DataError

    from core.db.postgresql.base import utc_iso_loader

    with connection.cursor() as cursor:
        oid = cursor.cursor.adapters.types["timestamptz"].oid
        with pytest.raises(DataError):
            utc_iso_loader()(oid, cursor.cursor).load(b"10000-01-01 00:00:00+00")
