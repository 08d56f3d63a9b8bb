"""Keep live link tokens out of the logs.

Every signed link lives under ``/l/<purpose>/<token>/`` (planner/delivery/links.py), an
invitation under ``/invitations/<token>/`` and a password reset under
``/reset/<uidb64>/<token>/``. The path
reaches the logs in Django's own warnings (``django.request``: "Not Found: /l/inbox/...";
``django.security.csrf``), in the development server's and gunicorn's access lines, in a
``Referer`` header (the link page's own stylesheet is fetched with it) and, URL-encoded, in a
login redirect's ``?next=``. A token found there is as good as the link itself until it
expires, so every line is scrubbed: the token segment becomes ``[token]``.

* ``ScrubSignedTokens`` is a logging filter, attached to the handlers in settings.LOGGING.
* ``ScrubbingGunicornLogger`` is gunicorn's logger with the same scrubbing of every access-log
  field (``gunicorn.conf.py`` at the project root selects it).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

SCRUBBED = "[token]"

# The token segment after /l/<purpose>/, /invitations/ or /reset/<uidb64>/, as it appears in a
# path, and its URL-encoded form in a query (?next=...).
_SEGMENT = r"[^/\s?#&\"'<>]+"
_PLAIN = re.compile(rf"(/l/[a-z][a-z-]*/|/invitations/|/reset/{_SEGMENT}/){_SEGMENT}")
_ENCODED = re.compile(
    r"(%2[Ff](?:l%2[Ff][a-z][a-z-]*|invitations|reset%2[Ff](?:(?!%2[Ff])[^\s?#&\"'<>/])+)%2[Ff])"
    r"(?:(?!%2[Ff])[^\s?#&\"'<>/])+"
)
_MARKERS = ("/l/", "/invitations/", "/reset/", "%2")


def scrub(text: str) -> str:
    """The text with every link token replaced by ``[token]``."""
    if not any(marker in text for marker in _MARKERS):
        return text
    text = _PLAIN.sub(rf"\1{SCRUBBED}", text)
    return _ENCODED.sub(rf"\1{SCRUBBED}", text)


class ScrubSignedTokens(logging.Filter):
    """Rewrites a record's message (and its arguments) without the tokens; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class ScrubbingGunicornLogger(GunicornLogger):
    """gunicorn's logger, with every access-log field (request line, path, query, referer,
    headers) scrubbed of signed-link tokens."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        values = super().atoms(resp, req, environ, request_time)
        return {key: scrub(v) if isinstance(v, str) else v for key, v in values.items()}
