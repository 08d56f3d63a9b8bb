"""Pagination: page numbers for most lists, a cursor for the inbox (stable while new
messages arrive, and no COUNT query on the hot endpoint)."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


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
