"""Pagination: page numbers for most lists, a cursor for the inbox (stable while new
messages arrive, and no COUNT query on the hot endpoint)."""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs, urlencode

from django.db.models import Count, Window
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.converters import MAX_ID, parse_id


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class InboxCursorPagination(CursorPagination):
    """The inbox's cursor: the place (delivered_at, id) of the message a page ends at, and
    the direction to read from it. A page is one indexed range read of ``size + 1`` rows
    (``me.selectors.inbox_page``), with no offset to count past messages that share a
    delivery time, and no queryset to build.

    DRF's CursorPagination gives the rest: the page size (``page_size``, up to 200), the
    ``cursor`` parameter, the answer's ``next``/``previous``/``results`` and its schema; an
    unreadable cursor is a 404 "Invalid cursor", as there."""

    # 20 newest messages a page: what a phone shows, and the inbox is the hottest read.
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-delivered_at", "-id")
    MAX_CURSOR_LENGTH = 200

    def paginate_rows(self, request, read: Callable[..., tuple[list[dict], bool]]) -> list[dict]:
        """``read(size=..., older_than=..., newer_than=...)``: the rows newest first, and
        whether more lie beyond them in the direction read."""
        self.request = request
        self.base_url = self._here = request.build_absolute_uri()
        size = self.get_page_size(request) or self.page_size
        position, newer = self._decode(request.query_params.get(self.cursor_query_param))
        if position is None:
            rows, more = read(size=size)
            older_link, newer_link = more, False
        elif newer:
            rows, more = read(size=size, newer_than=position)
            older_link, newer_link = True, more
        else:
            rows, more = read(size=size, older_than=position)
            older_link, newer_link = more, True
        self._next = _place(rows[-1]) if rows and older_link else None
        self._previous = _place(rows[0]) if rows and newer_link else None
        return rows

    def get_next_link(self):
        return None if self._next is None else self._link(self._next, newer=False)

    def get_previous_link(self):
        return None if self._previous is None else self._link(self._previous, newer=True)

    def _link(self, position: tuple[datetime, int], *, newer: bool) -> str:
        at, pk = position
        text = urlencode({"p": at.isoformat(), "i": pk, "r": int(newer)})
        cursor = b64encode(text.encode("ascii")).decode("ascii")
        return replace_query_param(self._here, self.cursor_query_param, cursor)

    def _decode(self, cursor: str | None) -> tuple[tuple[datetime, int] | None, bool]:
        if cursor is None:
            return None, False
        try:
            if len(cursor) > self.MAX_CURSOR_LENGTH:
                raise ValueError
            fields = parse_qs(b64decode(cursor.encode("ascii"), validate=True).decode("ascii"))
            at = datetime.fromisoformat(fields["p"][0])
            pk = parse_id(fields["i"][0])
            newer = fields["r"][0] == "1"
        except (KeyError, IndexError, ValueError, UnicodeError, binascii.Error):
            raise NotFound(self.invalid_cursor_message)
        if pk is None or at.tzinfo is None:
            raise NotFound(self.invalid_cursor_message)
        return (at, pk), newer


def _place(row: dict) -> tuple[datetime, int]:
    return row["delivered_at"], row["id"]


class CountedPagePagination(PagePagination):
    """Page numbers, with the total counted by the page's own query (``COUNT(*) OVER ()``)
    instead of a second scan of the same rows: one query a page.

    The same answer as PagePagination: ``count``, ``next``, ``previous``, ``results``; a page
    past the end is a 404 "Invalid page."."""

    def paginate_queryset(self, queryset, request, view=None):
        def read(start: int, size: int) -> tuple[list[dict], int]:
            rows = list(queryset.annotate(_total=Window(Count("*")))[start : start + size])
            total = rows[0]["_total"] if rows else 0
            for row in rows:
                del row["_total"]
            return rows, total

        return self.paginate_rows(request, read, queryset.count)

    def paginate_rows(
        self,
        request,
        read: Callable[[int, int], tuple[list[dict], int]],
        count: Callable[[], int],
    ) -> list[dict]:
        """The page the request asks for, from ``read(start, size)``: rows ``start`` to
        ``start + size`` of the list and the number of all of them (one query), and
        ``count()``, asked only for ``page=last``."""
        self.request = request
        size = self.get_page_size(request)
        if size is None:  # pragma: no cover - page_size is set
            return []
        given = request.query_params.get(self.page_query_param) or "1"
        if given in self.last_page_strings:  # the one case that counts first
            number = max(1, -(-count() // size))
        else:
            try:
                number = int(given)
            except ValueError:
                raise NotFound(self.invalid_page_message)
        if number < 1 or (number - 1) * size > MAX_ID:  # beyond any list (and any OFFSET)
            raise NotFound(self.invalid_page_message)
        rows, total = read((number - 1) * size, size)
        if not rows and number > 1:
            raise NotFound(self.invalid_page_message)
        self.total = total
        self.number, self.size = number, size
        return rows

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.total,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def _url(self) -> str:
        assert self.request is not None  # set by paginate_queryset
        return self.request.build_absolute_uri()

    def get_next_link(self):
        if self.number * self.size >= self.total:
            return None
        return replace_query_param(self._url(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number == 1:
            return None
        url = self._url()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)
