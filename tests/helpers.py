"""Plain helpers shared by the tests of several rooms (the fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
