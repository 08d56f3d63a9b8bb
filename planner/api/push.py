"""Web Push through the API: the server's public VAPID key, and the client's devices.

Its own ``urlpatterns``, included by planner/api/urls.py under ``api/v1/``:
``GET push/vapid-public-key/``, ``GET``/``POST me/push-subscriptions/`` and
``DELETE me/push-subscriptions/{id}/``. The same services as the Preferences page.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import core.converters  # noqa: F401  (registers the <id:...> path converter)
from core.http import AuthenticatedRequest
from planner.api.permissions import IsClient
from planner.api.serializers import DetailSerializer
from planner.api.views import errors
from planner.breaks.selectors import require_client
from planner.phone import selectors, services
from planner.phone.vapid import current_keys

NOT_SET_UP = "Push notifications are not set up on this server."


class VapidKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(
        help_text="base64url, uncompressed P-256 point: PushManager.subscribe's "
        "applicationServerKey."
    )


class SubscriptionKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=200)


class SubscriptionCreateSerializer(serializers.Serializer):
    """``PushSubscription.toJSON()`` as the browser gives it (expirationTime is ignored)."""

    endpoint = serializers.CharField(max_length=1024)
    keys = SubscriptionKeysSerializer()


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField(help_text="The browser's push service, e.g. Firefox.")
    created_at = serializers.DateTimeField()


def _represent(subscription) -> dict:
    return {
        "id": subscription.pk,
        "service": selectors.push_service_name(subscription),
        "created_at": subscription.created_at,
    }


class VapidPublicKeyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="push_vapid_public_key",
        responses={
            200: VapidKeySerializer,
            404: OpenApiResponse(DetailSerializer, description=NOT_SET_UP),
            **errors(429),
        },
        tags=["push"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        keys = current_keys()
        if keys is None:
            return Response({"detail": NOT_SET_UP}, status=status.HTTP_404_NOT_FOUND)
        return Response({"public_key": keys.public_key})


class SubscriptionListView(APIView):
    permission_classes = [IsClient]
    serializer_class = SubscriptionCreateSerializer

    @extend_schema(
        operation_id="me_push_subscriptions_list",
        responses={200: SubscriptionSerializer(many=True), **errors(401, 403, 404, 429)},
        tags=["me"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        client = require_client(request.user)
        return Response([_represent(s) for s in selectors.subscriptions_for_client(client)])

    @extend_schema(
        operation_id="me_push_subscriptions_create",
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionSerializer, **errors(400, 401, 403, 404, 429)},
        description="Turns push on for this device (with a consent record). The same "
        "endpoint again renews its keys.",
        tags=["me"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        client = require_client(request.user)
        serializer = SubscriptionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription = services.push_subscribe(
            client=client,
            actor=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
            source="api",
        )
        return Response(_represent(subscription), status=status.HTTP_201_CREATED)


class SubscriptionDetailView(APIView):
    permission_classes = [IsClient]

    @extend_schema(
        operation_id="me_push_subscriptions_destroy",
        responses={204: None, **errors(401, 403, 404, 429)},
        tags=["me"],
    )
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        subscription = selectors.access_push_subscription(request.user, pk)
        services.push_unsubscribe(subscription=subscription, actor=request.user, source="api")
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("push/vapid-public-key/", VapidPublicKeyView.as_view(), name="push-vapid-public-key"),
    path("me/push-subscriptions/", SubscriptionListView.as_view(), name="me-push-subscriptions"),
    path(
        "me/push-subscriptions/<id:pk>/",
        SubscriptionDetailView.as_view(),
        name="me-push-subscription",
    ),
]
