"""API tokens: django-rest-knox, looked up in one indexed query with the client record joined.

A token is 64 random hex characters, shown once (``POST /api/v1/auth/token/``); the database
keeps only its SHA-512 digest and its first 15 characters to find it, and an expiry
(``API_TOKEN_TTL_HOURS``). Logging out (``POST /api/v1/auth/logout/``) deletes it; erasure and
``auth/logout-all/`` delete all of a person's tokens; an expired one is refused and pruned
daily by ``core.prune_expired_tokens`` (core/tokens.py issues and revokes them).

Every request reads the token row again: a revoked token (deleted row), an expired one or a
deactivated login fails on the very next request, in every process. Nothing is cached.

The lookup is one statement, written once per database backend: the token (by the indexed
``token_key``), its user and the client record (LEFT JOIN, the ``/me/`` endpoints need it).
The ORM spent more time compiling that query and building three models through
``select_related`` than the database spent answering it (about 40% of an inbox request:
docs/benchmarks.md), so the SQL is built from the models' own fields and the rows become
models with ``Model.from_db`` and the fields' own converters, exactly what a queryset gives.
knox's own ``authenticate_credentials`` also reads all of the user's other tokens to delete
expired ones on every request; here that is the daily prune's job.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence
from hmac import compare_digest
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.utils.timezone import now as current_time
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

from core.db.columns import Columns
from core.db.cursors import prepared_cursor
from core.models import User
from planner.models import Client

INVALID = "Invalid token."


class _Part:
    """One model's columns in the lookup: their SQL, and how a row slice becomes the model."""

    def __init__(self, model: type[Model], alias: str, connection: Any) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.values = Columns(connection, [(alias, f) for f in self.fields])
        self.columns = self.values.sql

    def build(self, values: Sequence[Any], db: str, connection: Any) -> Any:
        return self.model.from_db(db, self.attnames, self.values.convert(values, connection))


class _Lookup:
    def __init__(self, connection: Any) -> None:
        quote = connection.ops.quote_name
        self.parts = [
            _Part(AuthToken, "t", connection),
            _Part(User, "u", connection),
            _Part(Client, "c", connection),
        ]
        token, user, client = self.parts
        # Only the models' own table and column names go into the text; values are parameters.
        self.sql = (
            f"SELECT {', '.join(token.columns + user.columns + client.columns)} "  # noqa: S608
            f"FROM {quote(AuthToken._meta.db_table)} t "
            f"JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote('user_id')} "
            f"LEFT JOIN {quote(Client._meta.db_table)} c ON c.{quote('user_id')} = u.{quote('id')} "
            f"WHERE t.{quote('token_key')} = %s "
            f"AND (t.{quote('expiry')} IS NULL OR t.{quote('expiry')} > %s)"
        )
        self.client_pk = len(token.fields) + len(user.fields)  # Client.id: None without one

    def rows(self, db: str, key: str) -> list[tuple[AuthToken, User]]:
        connection = connections[db]
        with prepared_cursor(connection) as cursor:
            cursor.execute(self.sql, [key, current_time()])
            fetched = cursor.fetchall()
        found = []
        token_part, user_part, client_part = self.parts
        a, b = len(token_part.fields), self.client_pk
        for row in fetched:
            token = token_part.build(row[:a], db, connection)
            user = user_part.build(row[a:b], db, connection)
            client = None if row[b] is None else client_part.build(row[b:], db, connection)
            # What select_related("user", "user__client_profile") would have cached.
            user._state.fields_cache["client_profile"] = client
            if client is not None:
                client._state.fields_cache["user"] = user
            token._state.fields_cache["user"] = user
            found.append((token, user))
        return found


_lookups: dict[str, _Lookup] = {}


def _lookup(db: str) -> _Lookup:
    found = _lookups.get(db)
    if found is None:
        found = _lookups[db] = _Lookup(connections[db])
    return found


class TokenWithProfileAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        try:
            text = token.decode("utf-8")
            digest = hash_token(text)
        except (UnicodeDecodeError, TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed(INVALID)
        db = router.db_for_read(AuthToken)
        for auth_token, user in _lookup(db).rows(db, text[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if compare_digest(digest, auth_token.digest):
                if not user.is_active:
                    raise exceptions.AuthenticationFailed("User inactive or deleted.")
                return user, auth_token
        raise exceptions.AuthenticationFailed(INVALID)


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for it, as before the move to hashed tokens: ``tokenAuth``."""

    target_class = "planner.api.authentication.TokenWithProfileAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Token",  # noqa: S106 - the header's keyword
        )
