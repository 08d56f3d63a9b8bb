"""The client's own data through the API: export everything, erase on request.

Its own ``urlpatterns`` so the API's url module can include it under ``api/v1/``:
``path("api/v1/", include("planner.api.privacy"))`` gives ``GET /api/v1/me/export/`` and
``POST /api/v1/me/erase/``. Both call the same services as the web pages.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.auth import LoginFailed, LoginLocked, authenticate_with_lockout
from core.http import AuthenticatedRequest
from planner.api.permissions import IsClient
from planner.breaks.selectors import require_client
from planner.privacy import services as privacy


class EraseSerializer(serializers.Serializer):
    confirm = serializers.CharField(help_text='The word "DELETE".', max_length=20)
    password = serializers.CharField(
        help_text="The client's password.", trim_whitespace=False, write_only=True
    )

    def validate_confirm(self, value: str) -> str:
        if value.strip() != "DELETE":
            raise serializers.ValidationError('Send the word "DELETE" to confirm.')
        return value

    def validate_password(self, value: str) -> str:
        request = self.context["request"]
        try:
            user = authenticate_with_lockout(request, email=request.user.email, password=value)
        except LoginLocked as locked:
            raise serializers.ValidationError(locked.message)
        except LoginFailed:
            user = None
        if user is None or user.pk != request.user.pk:
            raise serializers.ValidationError("That is not your password.")
        return value


class ExportView(APIView):
    permission_classes = [IsClient]

    @extend_schema(
        summary="Download all of my data",
        description="Everything Between holds about the calling client, as JSON.",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        client = require_client(request.user)
        data = privacy.client_export(client=client, actor=request.user)
        response = Response(data)
        response["Cache-Control"] = "no-store"
        return response


class EraseView(APIView):
    permission_classes = [IsClient]

    @extend_schema(
        summary="Delete my data",
        description=(
            "Removes the calling client's personal data and message text, closes the login "
            "and its tokens, and tells the therapist (without the client's name)."
        ),
        request=EraseSerializer,
        responses={
            200: inline_serializer(
                "EraseResult",
                {"status": serializers.CharField(), "client": serializers.IntegerField()},
            )
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        client = require_client(request.user)
        serializer = EraseSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        privacy.client_erase(client=client, actor=request.user)
        return Response({"status": "deleted", "client": client.pk}, status=status.HTTP_200_OK)


urlpatterns = [
    path("me/export/", ExportView.as_view(), name="me-export"),
    path("me/erase/", EraseView.as_view(), name="me-erase"),
]
