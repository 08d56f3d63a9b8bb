#!/usr/bin/env bash
# The whole test suite, in three pytest sessions:
#   1. unit and API tests, in-process on SQLite;
#   2. tests/integration against real PostgreSQL (TEST_DATABASE_URL), Redis (REDIS_URL) and
#      real Celery worker processes;
#   3. tests/e2e in Debian's Chromium driven by Playwright.
# Where a service is unreachable, 2 and 3 skip with a one-line reason; with REQUIRE_SERVICES=1
# they fail instead. The exit status is non-zero when any session failed.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

python -m pytest -q tests --ignore=tests/integration --ignore=tests/e2e "$@" || status=1

DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" \
REDIS_URL="${REDIS_URL_FOR_TESTS:-${REDIS_URL:-redis://127.0.0.1:6379/0}}" \
  python -m pytest -q tests/integration "$@" || status=1

if compgen -G "tests/e2e/test_*.py" > /dev/null; then
  python -m pytest -q tests/e2e "$@" || status=1
fi
exit $status
