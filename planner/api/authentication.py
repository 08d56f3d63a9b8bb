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

For ``GET /api/v1/me/inbox/`` the same statement also reads the first page of the client's
inbox (PostgreSQL's JOIN LATERAL): see ``TokenWithProfileAuthentication``.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence
from hmac import compare_digest
from typing import Any

from django.core.exceptions import ImproperlyConfigured
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
from planner.me.selectors import INBOX_API_COLUMNS, PREFETCHED_INBOX, inbox_page_statements
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


def _live_token(quote: Any, alias: str) -> str:
    """The condition for the tokens with a key (a parameter) that have not expired (another)."""
    token_key, expiry = quote("token_key"), quote("expiry")
    return f"WHERE {alias}.{token_key} = %s AND ({alias}.{expiry} IS NULL OR {alias}.{expiry} > %s)"


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
        self.columns = ", ".join(token.columns + user.columns + client.columns)
        self.tables = (
            f"FROM {quote(AuthToken._meta.db_table)} t "
            f"JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote('user_id')} "
            f"LEFT JOIN {quote(Client._meta.db_table)} c ON c.{quote('user_id')} = u.{quote('id')}"
        )
        self.where = _live_token(quote, "t")
        self.sql = f"SELECT {self.columns} {self.tables} {self.where}"
        self.client_pk = len(token.fields) + len(user.fields)  # Client.id: None without one
        self.width = self.client_pk + len(client.fields)

    def fetch(self, connection: Any, sql: str, params: list) -> list:
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def build(self, row: Sequence[Any], db: str, connection: Any) -> tuple[AuthToken, User]:
        token_part, user_part, client_part = self.parts
        a, b = len(token_part.fields), self.client_pk
        token = token_part.build(row[:a], db, connection)
        user = user_part.build(row[a:b], db, connection)
        client = None if row[b] is None else client_part.build(row[b : self.width], db, connection)
        # What select_related("user", "user__client_profile") would have cached.
        user._state.fields_cache["client_profile"] = client
        if client is not None:
            client._state.fields_cache["user"] = user
        token._state.fields_cache["user"] = user
        return token, user

    def rows(self, db: str, key: str) -> list[tuple[AuthToken, User]]:
        connection = connections[db]
        fetched = self.fetch(connection, self.sql, [key, current_time()])
        return [self.build(row, db, connection) for row in fetched]


class _LookupWithInbox(_Lookup):
    """The lookup, and in the same statement the newest inbox page of the token's client:
    for each token with the key, its row (the page's columns NULL), then one row per message
    (PostgreSQL's JOIN LATERAL) with only the token's primary key beside the message. Written
    as one row per message with every column of the token, user and client, the statement
    sent and the process converted 21 copies of them (JSON and dates included): 70-100 us of
    this process's CPU a request, 20-40 us of the database's."""

    def __init__(self, connection: Any, db: str, size: int) -> None:
        super().__init__(connection)
        quote = connection.ops.quote_name
        self.page = inbox_page_statements(db)
        # The token's client as a scalar subquery: the planner counts one row for it. Joined
        # instead, a generic plan estimated thousands of clients for a token (clients
        # without a login share user_id NULL), a page read for each, a cost past
        # jit_above_cost, and PostgreSQL compiled the statement on every request (29 ms).
        client = (
            f"(SELECT c.{quote('id')} FROM {quote(Client._meta.db_table)} c "  # noqa: S608
            f"WHERE c.{quote('user_id')} = k.{quote('user_id')})"
        )
        # The LIMIT written into the text, not a parameter: with a parameter, the generic plan
        # costs more than the custom one (it cannot know the limit), so PostgreSQL planned the
        # statement afresh on every request (about 3 ms) instead of reusing its plan.
        message = self.page.newest_of(client, limit=size + 1)
        pk = AuthToken._meta.pk
        if self.parts[0].attnames.index(pk.attname) != 0:  # pragma: no cover - knox's model
            raise ImproperlyConfigured("The token's primary key must be its first column.")
        token_only = ", ".join(["NULL"] * (self.width - 1))  # the rest of the token's row
        no_message = ", ".join(["NULL"] * len(self.page.values.sql))
        # 1-based positions in the answer: the message's delivery time and id.
        delivered = self.width + 1 + INBOX_API_COLUMNS.index("delivered_at")
        message_id = self.width + 1 + INBOX_API_COLUMNS.index("id")
        self.sql = (
            f"SELECT {self.columns}, {no_message} {self.tables} {self.where} "  # noqa: S608
            f"UNION ALL SELECT k.{quote(pk.column)}, {token_only}, pg.* "
            f"FROM {quote(AuthToken._meta.db_table)} k "
            f"CROSS JOIN LATERAL ({message}) pg {_live_token(quote, 'k')} "
            f"ORDER BY 1, {delivered} DESC NULLS FIRST, {message_id} DESC NULLS FIRST"
        )

    def rows_with_page(self, db: str, key: str) -> list[tuple[AuthToken, User, list[dict]]]:
        """Each token with this key, its user, and its client's newest ``size + 1`` messages
        (as ``me.selectors.inbox_page`` reads them; none without a client)."""
        connection = connections[db]
        now = current_time()
        fetched = self.fetch(connection, self.sql, [key, now, key, now])
        found: list[tuple[AuthToken, User, list]] = []
        messages: list = []
        for row in fetched:
            if row[self.width] is None:  # no message: a token's own row, its messages follow
                token, user = self.build(row, db, connection)
                messages = []
                found.append((token, user, messages))
            else:
                messages.append(row[self.width :])
        return [(t, u, self.page.rows(m, connection)) for t, u, m in found]


_lookups: dict[str, _Lookup] = {}
_inbox_lookups: dict[tuple[str, int], _LookupWithInbox] = {}


def _lookup(db: str) -> _Lookup:
    found = _lookups.get(db)
    if found is None:
        found = _lookups[db] = _Lookup(connections[db])
    return found


def _lookup_with_inbox(db: str, size: int) -> _LookupWithInbox:
    found = _inbox_lookups.get((db, size))
    if found is None:
        found = _inbox_lookups[db, size] = _LookupWithInbox(connections[db], db, size)
    return found


def _digest(token: bytes) -> tuple[str, str]:
    try:
        text = token.decode("utf-8")
        return text, hash_token(text)
    except (UnicodeDecodeError, TypeError, ValueError, binascii.Error):
        raise exceptions.AuthenticationFailed(INVALID)


def _active(user: User) -> User:
    if not user.is_active:
        raise exceptions.AuthenticationFailed("User inactive or deleted.")
    return user


class TokenWithProfileAuthentication(TokenAuthentication):
    """knox's token check as one indexed statement (above).

    A view with ``token_reads_inbox_page = True`` (``GET /api/v1/me/inbox/``, the hottest
    request) has the same statement read the first page of the client's inbox too, on
    PostgreSQL, for the view to take (``me.selectors.PREFETCHED_INBOX``): one statement
    instead of two about halves what the database spends on the request
    (docs/benchmarks.md). Only for a plain GET, whose page is the view's default size; with a
    cursor or a page size, and on SQLite, the lookup is the usual one and the view reads its
    page itself. The answer is the same either way, and nothing outlives the request: the page
    lives on that request's Client instance."""

    first_page: int | None = None  # the page size to read with the token, if any

    def authenticate(self, request: Any) -> Any:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if (
            getattr(view, "token_reads_inbox_page", False)
            and request.method == "GET"
            and not request.query_params
        ):
            self.first_page = view.pagination_class.page_size  # type: ignore[union-attr]
        return super().authenticate(request)

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        text, digest = _digest(token)
        key = text[: CONSTANTS.TOKEN_KEY_LENGTH]
        db = router.db_for_read(AuthToken)
        size = self.first_page
        if size is not None and connections[db].vendor == "postgresql":
            for auth_token, user, page in _lookup_with_inbox(db, size).rows_with_page(db, key):
                if compare_digest(digest, auth_token.digest):
                    client = user._state.fields_cache["client_profile"]
                    if client is not None:
                        setattr(client, PREFETCHED_INBOX, (size, page))
                    return _active(user), auth_token
        else:
            for auth_token, user in _lookup(db).rows(db, key):
                if compare_digest(digest, auth_token.digest):
                    return _active(user), auth_token
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
