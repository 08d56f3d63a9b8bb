"""Letters to self through the API: ``GET, POST /api/v1/me/letters/`` and
``PATCH, DELETE /api/v1/me/letters/{id}/``. The client's own only (anyone else's is a 404),
through the same services and selectors as the pages. No therapist route shows a letter."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.http import AuthenticatedRequest
from planner.api.permissions import IsClient
from planner.api.serializers import Text
from planner.api.views import BaseView, errors
from planner.breaks.selectors import require_client
from planner.letters import selectors, services
from planner.models import Letter


class LetterSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    break_id = serializers.IntegerField(source="break_obj_id", read_only=True)
    text = Text(max_length=services.MAX_LETTER, help_text="The letter, in the client's words.")
    arrival = serializers.ChoiceField(
        choices=Letter.Arrival.choices,
        help_text='"date" (with arrive_on), "first_weekend" or "check_in_high".',
    )
    arrive_on = serializers.DateField(
        required=False, allow_null=True, help_text="The local day it arrives (for a date)."
    )
    arrives_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it is due (null: at a high check-in)."
    )
    shared = serializers.BooleanField(required=False, help_text="The therapist may read it.")
    state = serializers.SerializerMethodField(
        help_text="waiting, on_its_way, arrived or did_not_arrive."
    )
    arrived_at = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_state(self, letter: Letter) -> str:
        return selectors.letter_state(letter)[0]

    def get_arrived_at(self, letter: Letter) -> str | None:
        when = selectors.letter_state(letter)[1]
        return serializers.DateTimeField().to_representation(when) if when else None


def _service(call, **kwargs) -> Letter:
    try:
        return call(**kwargs)
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from None


class MeLettersView(BaseView):
    permission_classes = [IsClient]
    serializer_class = LetterSerializer

    @extend_schema(
        operation_id="me_letters_list",
        responses={200: LetterSerializer(many=True), **errors(401, 403, 404, 429)},
        description="The calling client's letters to self, newest first.",
        tags=["me"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        client = require_client(request.user)
        return self.paginated(selectors.letters_for_client(client), LetterSerializer)

    @extend_schema(
        operation_id="me_letters_create",
        request=LetterSerializer,
        responses={201: LetterSerializer, **errors(400, 401, 403, 404, 429)},
        description="Writes a letter for the client's break (in progress, else the next).",
        tags=["me"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        client = require_client(request.user)
        data = self.valid(LetterSerializer)
        letter = _service(services.letter_create, client=client, actor=request.user, **data)
        letter = selectors.access_letter(request.user, letter.pk)
        return Response(LetterSerializer(letter).data, status=status.HTTP_201_CREATED)


class MeLetterView(BaseView):
    permission_classes = [IsClient]
    serializer_class = LetterSerializer

    @extend_schema(
        operation_id="me_letters_partial_update",
        request=LetterSerializer(partial=True),
        responses={200: LetterSerializer, **errors(400, 401, 403, 404, 429)},
        description="Changes the text, the sharing, or (until it arrived) when it arrives.",
        tags=["me"],
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        letter = selectors.access_letter(request.user, pk)
        data = self.valid(LetterSerializer, partial=True)
        _service(services.letter_update, letter=letter, actor=request.user, **data)
        return Response(LetterSerializer(selectors.access_letter(request.user, pk)).data)

    @extend_schema(
        operation_id="me_letters_destroy",
        request=None,
        responses={204: None, **errors(401, 403, 404, 429)},
        description="Deletes the letter, with the inbox message it brought.",
        tags=["me"],
    )
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        letter = selectors.access_letter(request.user, pk)
        services.letter_delete(letter=letter, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("me/letters/", MeLettersView.as_view(), name="me-letters"),
    path("me/letters/<id:pk>/", MeLetterView.as_view(), name="me-letter"),
]
