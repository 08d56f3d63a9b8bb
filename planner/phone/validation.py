"""Checks of a push subscription as a browser sends it (``PushSubscription.toJSON()``)."""

from __future__ import annotations

import binascii
import fnmatch
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils.translation import gettext as _

from planner.breaks.validation import invalid
from planner.phone.vapid import b64url_decode

MAX_ENDPOINT = 1024


def _decoded(value: Any, field: str) -> bytes:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise invalid(field, _("Give the key as the browser gave it (base64url)."))
    try:
        return b64url_decode(value.strip())
    except (binascii.Error, ValueError):
        raise invalid(field, _("This is not base64url.")) from None


def check_endpoint(value: Any) -> str:
    """An https URL of a known push service (the server will POST to it: no other host)."""
    if not isinstance(value, str) or not value.strip():
        raise invalid("endpoint", _("Give the push service's endpoint URL."))
    value = value.strip()
    if len(value) > MAX_ENDPOINT:
        raise invalid("endpoint", _("This endpoint is too long."))
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    schemes = ("https", "http") if settings.PUSH_ALLOW_HTTP else ("https",)
    if parts.scheme not in schemes or not host:
        raise invalid("endpoint", _("The endpoint must be an https URL."))
    if not any(fnmatch.fnmatch(host, pattern) for pattern in settings.PUSH_SERVICE_HOSTS):
        raise invalid("endpoint", _("This is not a push service Between sends to."))
    return value


def check_keys(p256dh: Any, auth: Any) -> tuple[str, str]:
    raw = _decoded(p256dh, "p256dh")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise invalid("p256dh", _("This is not a P-256 public key.")) from None
    if len(raw) != 65:
        raise invalid("p256dh", _("This is not a P-256 public key."))
    if len(_decoded(auth, "auth")) != 16:
        raise invalid("auth", _("The auth secret is 16 bytes."))
    return p256dh.strip(), auth.strip()
