"""A logging filter that masks the tokens of links in logged paths.

Django's development server logs every request line, and ``django.request`` logs the path
of each 4xx and 5xx. Links in emails carry their token in the path (an invitation, a
password reset, the signed links under ``/l/``), so those parts are replaced by "…" before
the line reaches any handler.
"""

from __future__ import annotations

import logging
import re

TOKEN_PATHS = re.compile(
    r"(?P<head>/(?:invitations|l/[\w-]+)/)[^/\s\"?]+"
    r"|(?P<reset>/reset/)[^/\s\"?]+/[^/\s\"?]+"
)


def redact(text: str) -> str:
    return TOKEN_PATHS.sub(
        lambda m: (m.group("head") + "…") if m.group("head") else (m.group("reset") + "…/…"),
        text,
    )


class RedactTokensInPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
