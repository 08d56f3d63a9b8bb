"""API tokens: django-rest-knox, with the client record joined in.

A token is 64 random hex characters, shown once (``POST /api/v1/auth/token/``); the database
keeps only its SHA-512 digest and its first 15 characters to find it, and an expiry
(``API_TOKEN_TTL_HOURS``). Logging out (``POST /api/v1/auth/logout/``) deletes it; erasure and
``auth/logout-all/`` delete all of a person's tokens; an expired one is refused and pruned
daily by ``core.prune_expired_tokens`` (core/tokens.py issues and revokes them).

Every ``/me/`` request needs the caller's ``Client``: the token, its user and the client record
come in one query (two LEFT JOINs), which saves a round trip on the hottest endpoints (the
inbox). knox's own ``authenticate_credentials`` also reads all of the user's other tokens to
delete expired ones on every request; here that is the daily prune's job.
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.db.models import Q
from django.utils.timezone import now as current_time
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

from core.models import User

INVALID = "Invalid token."


class TokenWithProfileAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        try:
            text = token.decode("utf-8")
            digest = hash_token(text)
        except (UnicodeDecodeError, TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed(INVALID)
        candidates = AuthToken.objects.filter(
            Q(expiry__isnull=True) | Q(expiry__gt=current_time()),
            token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH],
        ).select_related("user", "user__client_profile")
        for auth_token in candidates:
            if compare_digest(digest, auth_token.digest):
                if not auth_token.user.is_active:
                    raise exceptions.AuthenticationFailed("User inactive or deleted.")
                return auth_token.user, auth_token
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
