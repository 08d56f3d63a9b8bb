"""One exception handler for the whole API: every error is JSON, none carries a traceback.

- ``django.core.exceptions.ValidationError`` from a service -> 400 with the same field keys;
- ``ScheduleError`` from the schedule engine (a plan that cannot be made) -> 400 naming the
  field, as a safety net behind the services' own checks;
- ``Http404`` (the ``access_*`` helpers) -> 404 ``{"detail": "Not found."}``, whatever the
  helper's message was, so nothing about the object leaks;
- a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's ``RequestDataTooBig``) -> 413,
  and too many form fields (``TooManyFieldsSent``) -> 400, each with a JSON detail;
- ``Throttled`` -> 429 with ``Retry-After``, a detail saying when to retry and ``retry_after``;
- anything else -> a logged JSON 500 with no detail. There should be none.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from planner.schedule.types import ScheduleError

logger = logging.getLogger("between.api")

NON_FIELD = "non_field_errors"


def validation_messages(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if key == "__all__" else key): [str(m) for m in messages]
            for key, messages in error.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in error.messages]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_messages(exc))
    elif isinstance(exc, ScheduleError):
        exc = exceptions.ValidationError({exc.field: [exc.message]})
    elif isinstance(exc, Http404):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"The request body is too large: at most {limit} bytes."
        return Response({"detail": detail}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError("Too many form fields.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        response = drf_exception_handler(exc, context)
        if isinstance(exc, exceptions.Throttled) and response is not None:
            # DRF's detail already says "Expected available in N seconds."; the number is
            # also given on its own, as in the Retry-After header.
            response.data["retry_after"] = int(response.headers.get("Retry-After", 1))
        return response
    view = context.get("view")
    logger.exception("api.unexpected_error view=%s", type(view).__name__ if view else None)
    return Response({"detail": "Server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
