"""Signed links in messages: expiring, bound to one person, single-use where they act.

A link carries a signed payload ``{"p": purpose, "u": user id, "o": object id, "n": nonce}``
with a timestamp. ``read`` checks the signature, the purpose (each purpose has its own salt,
so an inbox link cannot acknowledge an escalation), the age, and, for single-use purposes, that
the nonce has not been used; ``consume`` records the nonce in the same transaction as the
action it allows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction

from planner.models import SignedLinkUse

# How long a link in an email or SMS opens the inbox (once); then the client logs in.
INBOX_LINK_HOURS = 24

# purpose -> (max age, single use)
PURPOSES: dict[str, tuple[timedelta, bool]] = {
    # Opens the client's inbox and My break in a session limited to them (delivery/views.py).
    "inbox": (timedelta(hours=INBOX_LINK_HOURS), True),
    "login": (timedelta(minutes=30), True),
    "escalation-ack": (timedelta(hours=24), True),
    "unsubscribe": (timedelta(days=60), False),
}


class LinkError(Exception):
    """The link is invalid, expired, for another purpose or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid", "expired", "used", "purpose"


@dataclass(frozen=True)
class LinkPayload:
    purpose: str
    user_id: int | None
    object_id: int | None
    nonce: str
    recipient: str | None = None  # who a link bound to no account was sent to ("fallback")


def _signer(purpose: str) -> signing.TimestampSigner:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return signing.TimestampSigner(salt=f"between.link.{purpose}")


def make_token(
    purpose: str,
    *,
    user_id: int | None,
    object_id: int | None = None,
    recipient: str | None = None,
) -> str:
    """What ``_signer(purpose).sign_object(payload)`` returns, byte for byte (``read``
    verifies it with that signer), for one HMAC: the key Django derives from the salt and
    SECRET_KEY on every signature is derived once per purpose (one message's two links cost
    79 us through TimestampSigner).

    Not compressed: for a payload this small zlib never made the token shorter (measured: 0 of
    200,000 inbox and unsubscribe payloads) and the attempt cost about 6 us a link. ``read``
    takes compressed tokens too, so links sent before this still open."""
    nonce = _NONCES.take()
    user, obj = _json_int(user_id), _json_int(object_id)
    if recipient is None and user is not None and obj is not None:
        # As signing.JSONSerializer would write it: the purpose is one of PURPOSES' names
        # and the nonce URL-safe base64, so neither needs escaping.
        data = f'{{"p":"{purpose}","u":{user},"o":{obj},"n":"{nonce}"}}'
    else:
        payload: dict = {"p": purpose, "u": user_id, "o": object_id, "n": nonce}
        if recipient is not None:
            payload["r"] = recipient
        data = _JSON.encode(payload)
    value = f"{signing.b64_encode(data.encode('latin-1')).decode()}:{_timestamp()}"
    mac = _keyed_hmac(purpose, settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return f"{value}:{signing.b64_encode(mac.digest()).decode()}"


# json.dumps with separators builds an encoder per call; this is the same encoder, built once.
_JSON = json.JSONEncoder(separators=(",", ":"))


def _json_int(value: int | None) -> str | None:
    """How JSON writes an id (an int or null); None for anything else."""
    if value is None:
        return "null"
    return str(value) if type(value) is int else None


_stamp: tuple[int, str] = (-1, "")


def _timestamp() -> str:
    """TimestampSigner's timestamp (base 62 seconds), computed once a second."""
    global _stamp
    now = int(time.time())
    if _stamp[0] != now:
        _stamp = (now, signing.b62_encode(now))
    return _stamp[1]


class _NoncePool:
    """secrets.token_urlsafe(12), drawn from the OS a few hundred at a time rather than one
    system call a link. A forked process (a Celery worker) starts with an empty pool, so no
    two processes ever hand out the same nonces."""

    SIZE = 12  # bytes: 16 URL-safe characters, no padding
    DRAW = 256

    def __init__(self) -> None:
        self._nonces: list[str] = []
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._nonces = []

    def take(self) -> str:
        # Safe in a threaded server too: list.pop is atomic, and a thread that finds the pool
        # empty takes its nonce from its own draw (two threads refilling at once waste one
        # draw, never share a nonce).
        try:
            return self._nonces.pop()
        except IndexError:
            drawn = self._draw()
            nonce = drawn.pop()
            self._nonces = drawn
            return nonce

    def _draw(self) -> list[str]:
        # 12 bytes are 16 base64 characters exactly, so the encoded draw cut every 16
        # characters is each 12-byte piece encoded on its own.
        drawn = signing.b64_encode(os.urandom(self.SIZE * self.DRAW)).decode()
        return [drawn[i : i + 16] for i in range(0, len(drawn), 16)]


_NONCES = _NoncePool()


@lru_cache(maxsize=16)
def _keyed_hmac(purpose: str, secret_key: str) -> hmac.HMAC:
    """Django's salted_hmac for this purpose's signer, before any message (sha256)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    key_salt = f"between.link.{purpose}signer"  # Signer.signature: salt + "signer"
    key = hashlib.sha256((key_salt + secret_key).encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def make_url(
    purpose: str,
    path: str,
    *,
    user_id: int | None,
    object_id: int | None = None,
    recipient: str | None = None,
) -> str:
    """An absolute URL for `path` (which ends with '/') carrying a fresh token."""
    token = make_token(purpose, user_id=user_id, object_id=object_id, recipient=recipient)
    return f"{settings.SITE_URL}{path}{token}/"


def max_age(purpose: str) -> timedelta:
    return PURPOSES[purpose][0]


def read(token: str, purpose: str, *, allow_used: bool = False) -> LinkPayload:
    """The link's payload, or LinkError. ``allow_used``: a used single-use link still reads
    (to point its owner to what it opened), though it can never be consumed again."""
    max_age, single_use = PURPOSES.get(purpose, (timedelta(0), True))
    try:
        data = _signer(purpose).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError("expired")
    except (signing.BadSignature, ValueError):
        raise LinkError("invalid")
    if not isinstance(data, dict) or data.get("p") != purpose:
        raise LinkError("purpose")
    recipient = data.get("r") if isinstance(data.get("r"), str) else None
    payload = LinkPayload(purpose, data.get("u"), data.get("o"), str(data.get("n", "")), recipient)
    if single_use and not allow_used and SignedLinkUse.objects.filter(nonce=payload.nonce).exists():
        raise LinkError("used")
    return payload


def consume(payload: LinkPayload) -> None:
    """Mark a single-use link used; call inside the transaction of the action it allows."""
    try:
        with transaction.atomic():
            SignedLinkUse.objects.create(nonce=payload.nonce, purpose=payload.purpose)
    except IntegrityError:
        raise LinkError("used")
