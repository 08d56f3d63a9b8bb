"""Reachability of the real services, for integration tests.

Where a service is unreachable the integration tests skip with a one-line reason; with
REQUIRE_SERVICES=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") not in {"", "0", "false", "no"}


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def missing_services() -> list[str]:
    db_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    missing = []
    if not db_url.startswith("postgres"):
        missing.append("DATABASE_URL is not a PostgreSQL URL (run them through `make test`)")
    elif not reachable(db_url, 5432):
        missing.append(f"PostgreSQL is unreachable at {urlparse(db_url).netloc}")
    if not redis_url.startswith("redis"):
        missing.append("REDIS_URL is not set (run them through `make test`)")
    elif not reachable(redis_url, 6379):
        missing.append(f"Redis is unreachable at {urlparse(redis_url).netloc}")
    return missing
