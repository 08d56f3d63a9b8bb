"""Plain helpers shared by the tests of several rooms (the fixtures are in conftest.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils.timezone import now

if TYPE_CHECKING:
    from planner.models import Break

# The frozen moment of the privacy and audit tests; `a_client` is made a day before.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def a_break(therapist, client, **extra):
    from planner.breaks import services

    data = {
        "kind": "holiday",
        "starts_at": NOW + timedelta(days=10),
        "ends_at": NOW + timedelta(days=24),
        "return_session_at": NOW + timedelta(days=25),
        "coping_strategies": ["a walk by the river"],
        "support_contacts": [{"name": "Jamie", "relationship": "friend", "phone": "+4477"}],
        "therapist_note": "You have done this before.",
        **extra,
    }
    return services.break_create(therapist=therapist, client=client, **data)


def error_next_to(html: str, field: str) -> str:
    """The error text rendered for ``field``, which the input points at with aria-describedby."""
    match = re.search(rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    assert re.search(rf'<[^>]*id="id_{field}(_0)?"[^>]*aria-invalid="true"', html) or re.search(
        rf'aria-invalid="true"[^>]*id="id_{field}(_0)?"', html
    ), f"{field} is not marked invalid"
    return match.group(1)


def draft_break(therapist, client_record, **fields) -> Break:
    from planner.breaks import services

    data = {
        "kind": "holiday",
        "starts_at": now() + timedelta(days=10),
        "ends_at": now() + timedelta(days=24),
        "return_session_at": now() + timedelta(days=25),
        **fields,
    }
    return services.break_create(therapist=therapist, client=client_record, **data)


def server_pid() -> int:
    """The PostgreSQL server process behind Django's default connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_server_connection(pid: int) -> None:
    """End that server process from another connection, as a restart or an idle timeout
    would: Django's connection finds out only when it next looks."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
