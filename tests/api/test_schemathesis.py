"""Property-based fuzzing of every operation in /api/schema/ with schemathesis.

Each operation runs as an authenticated therapist and as an authenticated client
(``Authorization: Token ...``), against the WSGI app in-process, with small example counts
so the file stays well under 90 seconds. Checks: no server error, and every answer matches
the schema. Path ids are tried both as generated (almost always a 404) and replaced by an
object of the caller's own, so the real code paths run too.
"""

from __future__ import annotations

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 8


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item]


OPERATIONS = _operations()


def _own_ids(world, actor: str, path: str) -> dict[str, int]:
    """An object of the caller's own for the operation's {id}."""
    if "{id}" not in path:
        return {}
    if path.startswith("/api/v1/clients/"):
        return {"id": world.client_a.pk}
    if path.startswith("/api/v1/me/inbox/"):
        return {"id": world.inbox_a.pk}
    if path.endswith("/activate/"):
        return {"id": world.draft_a.pk}
    return {"id": world.break_a.pk}


@pytest.mark.parametrize("actor", ["therapist_a", "client_a"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_it_fuzzes_every_operation_without_a_server_error(world, settings, actor, method, path):
    from django.core.cache import cache
    from django.core.wsgi import get_wsgi_application
    from rest_framework.authtoken.models import Token

    settings.ALLOWED_HOSTS = ["testserver", "localhost"]  # schemathesis's WSGI client
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    operation = schema.find_operation_by_label(f"{method} {path}")
    assert operation is not None, f"{method} {path} is not in the schema"
    token, _ = Token.objects.get_or_create(user=world.users[actor])
    headers = {"Authorization": f"Token {token.key}"}
    own = _own_ids(world, actor, path)

    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), use_own_id=st.booleans())
    def check(case, use_own_id):
        if use_own_id and own:
            case.path_parameters = {**(case.path_parameters or {}), **own}
        cache.clear()  # throttling has its own test; here every request must be served
        response = case.call(headers=headers)
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance], headers=headers
        )

    check()


def test_every_operation_but_the_one_not_yet_wired_is_fuzzed():
    # 27, clients invite, archive and restore, and absences activate (issue 14)
    assert len(OPERATIONS) == 31
