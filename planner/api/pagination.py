"""Pagination: page numbers for most lists, a cursor for the inbox (stable while new
messages arrive, and no COUNT query on the hot endpoint)."""

from __future__ import annotations

from django.db.models import Count, Window
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class InboxCursorPagination(CursorPagination):
    # 20 newest messages a page: what a phone shows, and the inbox is the hottest read.
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-delivered_at", "-id")


class CountedPagePagination(PagePagination):
    """Page numbers, with the total counted by the page's own query (``COUNT(*) OVER ()``)
    instead of a second scan of the same rows: one query a page.

    The same answer as PagePagination: ``count``, ``next``, ``previous``, ``results``; a page
    past the end is a 404 "Invalid page."."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        if size is None:  # pragma: no cover - page_size is set
            return None
        given = request.query_params.get(self.page_query_param) or "1"
        if given in self.last_page_strings:  # the one case that counts first
            number = max(1, -(-queryset.count() // size))
        else:
            try:
                number = int(given)
            except ValueError:
                raise NotFound(self.invalid_page_message)
        if number < 1:
            raise NotFound(self.invalid_page_message)
        start = (number - 1) * size
        rows = list(queryset.annotate(_total=Window(Count("*")))[start : start + size])
        if not rows and number > 1:
            raise NotFound(self.invalid_page_message)
        self.total = rows[0]["_total"] if rows else 0
        self.number, self.size = number, size
        for row in rows:
            del row["_total"]
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
