"""The persistent database connection's health check, on real PostgreSQL: no round trip while
the server has said nothing; a connection the server closed is found and replaced before a
request uses it."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_postgresql

from core.db.postgresql.base import DatabaseWrapper
from tests.helpers import server_pid, terminate_server_connection

pytestmark = pytest.mark.django_db(transaction=True)


def _asked(monkeypatch) -> list[int]:
    """How many times the check asked the server (Django's own SELECT 1)."""
    asked: list[int] = []
    original = django_postgresql.DatabaseWrapper.is_usable

    def counted(self):
        asked.append(1)
        return original(self)

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", counted)
    return asked


def test_the_settings_use_this_backend():
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.vendor == "postgresql"


def test_a_healthy_idle_connection_is_usable_without_a_round_trip(monkeypatch):
    server_pid()
    asked = _asked(monkeypatch)
    assert all(connection.is_usable() for _ in range(5))
    assert asked == []


def test_a_connection_the_server_closed_is_replaced_before_it_is_used(monkeypatch):
    before = server_pid()
    asked = _asked(monkeypatch)
    terminate_server_connection(before)
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)  # the server's goodbye is on its way
    assert not connection.is_usable() and asked  # it asked, and the answer was no
    # What Django does before a request's first query with CONN_HEALTH_CHECKS on.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    after = server_pid()  # a new connection, no error
    assert after != before


def test_a_closed_connection_is_not_usable():
    server_pid()
    connection.connection.close()
    assert not connection.is_usable()
    connection.close()
