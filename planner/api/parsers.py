"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest.

Python's ``json`` module parses a body nested 50,000 deep by recursion until it raises
``RecursionError``, which DRF does not expect (a 500); and a body nested a few hundred deep
still parses and then walks every serializer and check. No body of this API nests more than
four levels (an object, a list of contacts, a contact, a text), so anything deeper than
``MAX_DEPTH`` is a 400 before a serializer sees it.

A body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused by Django while it is read
(``RequestDataTooBig``); ``planner.api.exceptions`` answers that with a JSON 413.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 20
TOO_DEEP = f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels."


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed JSON) nests deeper than ``limit`` lists and objects.

    Iterative, so a deep value cannot exhaust the stack here either."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP)
        if json_depth_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
