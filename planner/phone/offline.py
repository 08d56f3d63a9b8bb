"""The one rule of the offline copy: which answers a device's service worker may keep.

Only an answer that carries ``HEADER: VALUE`` is saved (static/js/sw.js), and only My break
sets it, for its own logged-in client (planner/me/views.py). Every other page (a therapist's,
staff's, a form) is never kept; all answers stay ``Cache-Control: no-store`` for the HTTP
cache (core/middleware.py), which the service worker's own cache does not use.
"""

from __future__ import annotations

from django.http import HttpResponse

HEADER = "X-Between-Offline"
VALUE = "client-copy"


def allow_offline_copy(response: HttpResponse) -> HttpResponse:
    response[HEADER] = VALUE
    return response
