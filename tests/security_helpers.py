"""Helpers for the security sweeps the lead runs over the merged project.

* ``url_patterns_with_ids()`` lists every URL pattern that takes an id (or another
  parameter), so an IDOR sweep can put another person's ids into each one.
* ``assert_no_pii_in(text, *needles)`` fails, naming the needle, when personal data shows.
* ``log_capture`` is a fixture that records every log line, formatted as in production.
  Use it from a test module or conftest with ``from tests.security_helpers import
  log_capture  # noqa: F401``, run a whole journey, then
  ``assert_no_pii_in(log_capture.text, "Robin", "client@example.com", "+447700900123")``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

# --- URL patterns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternWithIds:
    """One URL pattern that takes parameters."""

    route: str  # the full route, e.g. "clients/<id:client_id>/breaks/<id:pk>/"
    name: str | None  # the full name with namespaces, e.g. "api:break-detail"
    params: dict[str, str] = field(default_factory=dict)  # name -> converter ("int", "str"...)

    def url(self, **values: object) -> str:
        """The path with these values in place of the parameters."""
        if self.name:
            with contextlib.suppress(NoReverseMatch):  # a shared name: use the route below
                return reverse(self.name, kwargs={k: values[k] for k in self.params})
        path = self.route
        for name in self.params:
            path = re.sub(rf"<(?:\w+:)?{name}>", str(values[name]), path)
            path = re.sub(rf"\(\?P<{name}>[^)]*\)", str(values[name]), path)
        return "/" + path.lstrip("^").rstrip("$").replace("\\", "")


_CONVERTER_NAMES = {
    "IntConverter": "int",
    "IdConverter": "id",  # core/converters.py: object ids
    "StringConverter": "str",
    "SlugConverter": "slug",
    "UUIDConverter": "uuid",
    "PathConverter": "path",
}


def _params(pattern: object) -> dict[str, str]:
    if isinstance(pattern, RoutePattern):
        return {
            name: _CONVERTER_NAMES.get(type(conv).__name__, type(conv).__name__)
            for name, conv in pattern.converters.items()
        }
    if isinstance(pattern, RegexPattern):
        return dict.fromkeys(pattern.regex.groupindex, "regex")
    return {}


def _walk(
    patterns: list, prefix: str, namespace: str, params: dict[str, str]
) -> Iterator[PatternWithIds]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        found = {**params, **_params(entry.pattern)}
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, space, found)
        elif isinstance(entry, URLPattern) and found:
            name = f"{namespace}{entry.name}" if entry.name else None
            yield PatternWithIds(route=route, name=name, params=found)


def url_patterns_with_ids(
    *, exclude_prefixes: tuple[str, ...] = ("admin/",)
) -> Iterator[PatternWithIds]:
    """Every URL pattern with parameters (int, str, slug, uuid, path or regex groups).

    The Django admin is left out by default: it is for staff, who may see everything.
    """
    for pattern in _walk(get_resolver().url_patterns, "", "", {}):
        if not pattern.route.lstrip("^").startswith(exclude_prefixes):
            yield pattern


# --- API tokens ---------------------------------------------------------------------------


def api_token(user) -> str:
    """A fresh API token for ``user`` (django-rest-knox: only its digest is stored)."""
    from core.tokens import issue_token

    return issue_token(user)[1]


# --- Personal data in text ----------------------------------------------------------------


def _variants(needle: str) -> set[str]:
    variants = {needle.lower()}
    digits = re.sub(r"\D", "", needle)
    if len(digits) >= 7:  # a phone number, written with or without spaces and "+"
        variants |= {digits, digits[-10:]}
    return variants


def assert_no_pii_in(text: str, *needles: str) -> None:
    """Fail when any needle (a name, an email, a phone number) appears in ``text``.

    Case-insensitive; phone numbers are also looked for as bare digits.
    """
    haystack = text.lower()
    compact = re.sub(r"[\s\-().]", "", haystack)
    for needle in needles:
        if not needle:
            continue
        for variant in _variants(needle):
            where = haystack.find(variant)
            if where < 0 and variant.isdigit():
                where = compact.find(variant)
                if where >= 0:
                    raise AssertionError(f"{needle!r} appears (as digits) in the text")
            if where >= 0:
                context = text[max(0, where - 60) : where + len(variant) + 60]
                raise AssertionError(f"{needle!r} appears in the text: ...{context}...")


# --- Capturing every log line --------------------------------------------------------------


class LogCapture(logging.Handler):
    """Keeps every record, formatted with the production format plus any traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def log_capture() -> Iterator[LogCapture]:
    """Every log line of the test, from every logger, at DEBUG and above.

    Loggers that do not propagate (none in Between today) would need the handler too.
    """
    handler = LogCapture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # django.db.backends logs SQL with parameters at DEBUG; the settings hold it at WARNING
    # as production does, so the capture sees what production would write.
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
