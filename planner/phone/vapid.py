"""The VAPID key pair that signs every Web Push message (RFC 8292).

In production the pair comes from the environment (``VAPID_PRIVATE_KEY``,
``VAPID_PUBLIC_KEY``, ``VAPID_SUBJECT``); ``manage.py vapid_keys`` prints a new one. On the
embedded default (no DATABASE_URL: one machine, ``make run``) a pair is generated once under
``var/`` and kept, so the subscriptions made in the browser keep working across restarts.
Without either, push is off: the toggle in Preferences says so and the channel sends nothing.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VapidKeys:
    private_key: str  # the raw 32-byte P-256 private value, base64url (py-vapid reads it)
    public_key: str  # the uncompressed point, base64url: the browser's applicationServerKey
    subject: str  # mailto: or https: contact for push services (RFC 8292 "sub")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_pair() -> tuple[str, str]:
    """A fresh (private, public) pair, both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url(private), b64url(public)


def ensure_key_file(path: Path) -> bool:
    """Write a new pair to ``path`` unless it exists; True when one was written. Created
    exclusively (O_EXCL), so a web and a worker process starting together agree on one."""
    if path.exists():
        return False
    private, public = new_pair()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        json.dump({"private_key": private, "public_key": public}, handle)
    logger.info("vapid.generated path=%s", path.name)
    return True


def current_keys() -> VapidKeys | None:
    """The pair in use, or None when push is not set up on this server."""
    subject = settings.VAPID_SUBJECT
    if settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY:
        return VapidKeys(settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY, subject)
    if not settings.VAPID_KEY_FILE:
        return None
    path = Path(settings.VAPID_KEY_FILE)
    ensure_key_file(path)
    try:
        data = json.loads(path.read_text())
        return VapidKeys(str(data["private_key"]), str(data["public_key"]), subject)
    except (OSError, ValueError, KeyError):
        logger.error("vapid.key_file_unreadable path=%s", path.name)
        return None
