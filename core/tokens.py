"""API tokens (django-rest-knox): issue, revoke, prune. The API's authentication reads them
(planner/api/authentication.py).

A token is 64 random hex characters, shown once. The database keeps its SHA-512 digest, its
first 15 characters (to find the row) and its expiry, ``API_TOKEN_TTL_HOURS`` after it was
issued; nothing that could be used as the token itself.
"""

from __future__ import annotations

from django.utils.timezone import now as current_time
from knox.models import AuthToken

from core.models import User


def issue_token(user: User) -> tuple[AuthToken, str]:
    """A new token for ``user``: the row (digest, expiry) and the token itself (shown once)."""
    return AuthToken.objects.create(user=user)


def revoke_tokens(user: User) -> int:
    """Delete every API token of ``user`` (logout everywhere, erasure); how many there were."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def prune_expired_tokens() -> int:
    """Delete tokens whose expiry has passed; how many. Called by a daily task."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=current_time()).delete()
    return deleted
