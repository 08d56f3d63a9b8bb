"""Property-based fuzzing of every operation in /api/schema/ with schemathesis.

Each operation runs as an authenticated therapist and as an authenticated client
(``Authorization: Token ...``), against the WSGI app in-process, with small example counts
so the file stays well under 90 seconds. Checks: no server error, and every answer matches
the schema. Path ids are tried both as generated (almost always a 404) and replaced by an
object of the caller's own, so the real code paths run too.
"""

from __future__ import annotations

import pytest

# wired when planner.checkins lands: POST /me/check-ins/ calls planner.checkins, another
# issue's module. This is the single place it is left out (here and in the permission
# matrix); the lead enables it at merge by emptying this set.
NOT_YET_WIRED = {("POST", "me-check-ins")}
NOT_YET_WIRED_PATHS = {("POST", "/api/v1/me/check-ins/")}
