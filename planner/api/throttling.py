"""The API's rate limits, counted per caller address as ``core.auth.client_ip`` sees it.

DRF's own throttles identify an anonymous caller by the whole ``X-Forwarded-For`` header
when ``NUM_PROXIES`` is unset, and a client writes that header as it likes: a new value per
request is a new bucket. These use the one rule of the login lockout instead: the connection's
address, or with ``TRUSTED_PROXY_COUNT`` = n the address the outermost trusted proxy saw.
"""

from __future__ import annotations

from rest_framework import throttling

from core.auth import client_ip


class ClientAddressMixin:
    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass
