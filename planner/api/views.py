"""API v1 views: thin. They check shape with a serializer, look objects up through the
``access_*`` helpers in ``planner.selectors`` and change state only through
``planner.services``, exactly as the HTML pages do."""

from __future__ import annotations

from functools import partial
from typing import cast

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.auth import LoginFailed, LoginLocked, authenticate_with_lockout
from core.http import AuthenticatedRequest
from core.models import User
from core.tokens import issue_token, revoke_tokens
from planner.api import serializers as s
from planner.api.authentication import TokenWithProfileAuthentication
from planner.api.pagination import CountedPagePagination, InboxCursorPagination, PagePagination
from planner.api.permissions import CanDeclareAbsence, IsClient, IsTherapist
from planner.api.throttling import AnonRateThrottle, ScopedRateThrottle
from planner.breaks import selectors, services
from planner.checkins import selectors as checkin_selectors
from planner.checkins import services as checkins
from planner.checklist import services as checklist_services
from planner.delivery import selectors as delivery_selectors
from planner.ending import services as ending_services
from planner.ending.selectors import ending_for_client
from planner.me import selectors as me_selectors
from planner.me import services as me_services
from planner.me.calendar import calendar_for_client
from planner.models import Break
from planner.onboarding import services as onboarding
from planner.onboarding.selectors import invitation_status_for_client
from planner.supportmap import selectors as map_selectors
from planner.supportmap import services as map_services

# --- Documented error answers ---------------------------------------------------------------

VALIDATION = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='Bad input: field name -> messages, e.g. {"timezone": ["Unknown time zone"]}; '
    "errors not tied to a field are under non_field_errors.",
)
UNAUTHENTICATED = OpenApiResponse(s.DetailSerializer, description="Not logged in.")
FORBIDDEN = OpenApiResponse(s.DetailSerializer, description="Not for your role.")
NOT_FOUND = OpenApiResponse(
    s.DetailSerializer, description="No such object, or someone else's (not revealed)."
)
THROTTLED = OpenApiResponse(
    s.ThrottledSerializer, description="Too many requests; see Retry-After."
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    table = {
        400: VALIDATION,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        429: THROTTLED,
    }
    return {code: table[code] for code in codes}


class BaseView(GenericAPIView):
    pagination_class: type[BasePagination] | None = PagePagination

    def paginated(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def valid(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def _body_is_object(request: AuthenticatedRequest) -> None:
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})


# --- Auth -----------------------------------------------------------------------------------


class LockedOut(Throttled):
    """The lockout's own sentence ("Try again in 15 minutes."), without DRF's "Expected
    available in N seconds." after it; the seconds go in Retry-After and ``retry_after``."""

    wait: float | None

    def __init__(self, seconds: int, message: str) -> None:
        super().__init__(detail=message)
        self.wait = seconds


class TokenView(BaseView):
    """Exchange an email and password for an API token (it expires; see ``expiry``)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]
    throttle_scope = "token"
    serializer_class = s.TokenRequestSerializer  # the body (also what OPTIONS describes)

    @extend_schema(
        operation_id="auth_token_create",
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer, **errors(400, 429)},
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = self.valid(s.TokenRequestSerializer)
        # Same answer for an unknown email and a wrong password (ModelBackend also runs the
        # hasher for unknown emails, so the timing says nothing either). Repeated failures lock
        # the account and the address, exactly as on the login page.
        try:
            user = authenticate_with_lockout(
                request, email=data["username"].strip().lower(), password=data["password"]
            )
        except LoginLocked as locked:
            raise LockedOut(locked.retry_after_seconds, locked.message)
        except LoginFailed:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with the email and password given."]}
            )
        row, token = issue_token(user)
        return Response(s.TokenSerializer({"token": token, "expiry": row.expiry}).data)


class LogoutView(BaseView):
    """Revoke the token this request carries (a session is logged out at /logout/)."""

    authentication_classes = [TokenWithProfileAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout",
        request=None,
        responses={204: None, **errors(401, 429)},
        description="Deletes the calling token: it answers 401 from now on.",
        tags=["auth"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        token = request.auth
        if token is not None:
            token.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(BaseView):
    """Revoke every token of the caller (a lost phone, a token that may have leaked)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout_all",
        request=None,
        responses={204: None, **errors(401, 429)},
        description="Deletes every API token of the caller, this one included.",
        tags=["auth"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        revoke_tokens(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Clients --------------------------------------------------------------------------------


class ClientListView(BaseView):
    permission_classes = [IsTherapist]
    serializer_class = s.ClientSerializer

    @extend_schema(
        operation_id="clients_list",
        responses={200: s.ClientSerializer(many=True), **errors(401, 403, 404, 429)},
        tags=["clients"],
    )
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "archived",
                OpenApiTypes.BOOL,
                description="true: only archived clients; false or absent: the caseload.",
            )
        ],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        archived = request.query_params.get("archived", "").lower() in ("true", "1", "yes")
        clients = (
            selectors.archived_clients_for_therapist(request.user)
            if archived
            else selectors.active_clients_for_therapist(request.user)
        )
        clients = clients.select_related("user").prefetch_related("invitations")
        return self.paginated(clients, s.ClientSerializer)

    @extend_schema(
        operation_id="clients_create",
        request=s.ClientSerializer,
        responses={201: s.ClientSerializer, **errors(400, 401, 403, 429)},
        tags=["clients"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.valid(s.ClientSerializer)
        client = services.client_create(therapist=request.user, actor=request.user, **data)
        return Response(s.ClientSerializer(client).data, status=status.HTTP_201_CREATED)


class ClientDetailView(BaseView):
    permission_classes = [IsAuthenticated]  # the object check: access_client (404)

    @extend_schema(
        operation_id="clients_retrieve",
        responses={200: s.ClientSerializer, **errors(401, 404, 429)},
        tags=["clients"],
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(
            s.ClientSerializer(services.client_read(user=request.user, client_id=pk)).data
        )

    @extend_schema(
        operation_id="clients_partial_update",
        request=s.ClientSerializer(partial=True),
        responses={200: s.ClientSerializer, **errors(400, 401, 404, 429)},
        tags=["clients"],
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        client = services.client_read(user=request.user, client_id=pk)
        data = self.valid(s.ClientSerializer, partial=True)
        client = services.client_update(client=client, actor=request.user, source="api", **data)
        return Response(s.ClientSerializer(client).data)

    @extend_schema(
        operation_id="clients_destroy",
        responses={204: None, **errors(401, 404, 429)},
        description="Soft-deletes the client and cancels their live and draft breaks.",
        tags=["clients"],
    )
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        client = selectors.access_client(request.user, pk)
        services.client_delete(client=client, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientInviteView(BaseView):
    permission_classes = [IsTherapist]

    @extend_schema(
        operation_id="clients_invite",
        request=None,
        responses={202: s.InvitationStatusSerializer, **errors(400, 401, 403, 404, 429)},
        description="Emails the client a single-use link to set their password (valid "
        "INVITATION_DAYS days; a new invitation replaces the previous link). 400 when the "
        "client has no email address, has joined already, or is archived.",
        tags=["clients"],
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        client = selectors.access_client(request.user, pk)
        onboarding.invitation_client_send(client=client, actor=request.user)
        status_now = invitation_status_for_client(client)
        return Response(
            s.InvitationStatusSerializer(status_now).data, status=status.HTTP_202_ACCEPTED
        )


class ClientArchiveView(BaseView):
    permission_classes = [IsTherapist]

    @extend_schema(
        operation_id="clients_archive",
        request=None,
        responses={200: s.ClientSerializer, **errors(400, 401, 403, 404, 429)},
        description="Therapy has ended: the client leaves the list and caseload absences, "
        "their history stays. 400 while a draft or a running break (other than an ending) "
        "is in progress.",
        tags=["clients"],
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        client = selectors.access_client(request.user, pk)
        return Response(
            s.ClientSerializer(services.client_archive(client=client, actor=request.user)).data
        )


class ClientRestoreView(BaseView):
    permission_classes = [IsTherapist]

    @extend_schema(
        operation_id="clients_restore",
        request=None,
        responses={200: s.ClientSerializer, **errors(401, 403, 404, 429)},
        description="Brings an archived client back to the caseload.",
        tags=["clients"],
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        client = selectors.access_client(request.user, pk)
        return Response(
            s.ClientSerializer(services.client_restore(client=client, actor=request.user)).data
        )


# --- Breaks ---------------------------------------------------------------------------------


class BreakFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Break.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Break.Kind.choices)
    starts_after = django_filters.DateFilter(
        field_name="starts_at", lookup_expr="date__gte", label="Starts on or after (YYYY-MM-DD)"
    )
    starts_before = django_filters.DateFilter(
        field_name="starts_at", lookup_expr="date__lte", label="Starts on or before (YYYY-MM-DD)"
    )
    ordering = django_filters.OrderingFilter(
        fields=("starts_at", "ends_at", "created_at", "updated_at", "id")
    )

    class Meta:
        model = Break
        fields = ["status", "kind", "starts_after", "starts_before"]


def _own_client(user: User, client_id: int):
    """A client id in a body: someone else's (or none) is a 400, not a 404."""
    try:
        return selectors.access_client(user, client_id)
    except Http404:
        raise serializers.ValidationError({"client": ["Unknown client."]})


def _covering_user(user: User, data: dict) -> None:
    if "covering_user" in data and data["covering_user"] is not None:
        colleague = selectors.colleague_of(user, data["covering_user"])
        if colleague is None:
            raise serializers.ValidationError({"covering_user": ["Unknown clinician."]})
        data["covering_user"] = colleague


class BreakListView(BaseView):
    permission_classes = [IsTherapist]
    filter_backends = [DjangoFilterBackend]
    filterset_class = BreakFilter
    serializer_class = s.BreakWriteSerializer

    pagination_class = CountedPagePagination

    def get_queryset(self) -> QuerySet[Break]:
        return selectors.breaks_for_therapist(cast(User, self.request.user))

    @extend_schema(
        operation_id="breaks_list",
        responses={200: s.BreakSummarySerializer(many=True), **errors(400, 401, 403, 404, 429)},
        description="Summaries (no plan: the plan is on GET /breaks/{id}/), newest start "
        "first; one query a page, the count included.",
        tags=["breaks"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        # django-filter builds a form per request; without a filter there is nothing to check,
        # and the page is one statement written once (no queryset to build and compile).
        if not BreakFilter.base_filters.keys() & request.query_params.keys():
            therapist = request.user
            paginator = cast(CountedPagePagination, self.paginator)
            page = paginator.paginate_rows(
                request,
                partial(selectors.therapist_breaks_page, therapist, s.BREAK_SUMMARY_COLUMNS),
                partial(selectors.therapist_breaks_count, therapist),
            )
            return self.get_paginated_response(s.break_summaries(page))
        queryset = self.filter_queryset(self.get_queryset())
        filtered = self.paginate_queryset(queryset.values(*s.BREAK_SUMMARY_COLUMNS))
        return self.get_paginated_response(s.break_summaries(filtered))

    @extend_schema(
        operation_id="breaks_create",
        request=s.BreakWriteSerializer,
        responses={201: s.BreakSerializer, **errors(400, 401, 403, 429)},
        description="Creates a draft break for one of your clients, starting from their last plan.",
        tags=["breaks"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.valid(s.BreakWriteSerializer)
        client = _own_client(request.user, data.pop("client"))
        _covering_user(request.user, data)
        brk = services.break_create(
            therapist=request.user, client=client, actor=request.user, **data
        )
        return Response(s.BreakSerializer(brk).data, status=status.HTTP_201_CREATED)


class BreakDetailView(BaseView):
    permission_classes = [IsAuthenticated]  # objects: access_break(_for_reading) (404)

    @extend_schema(
        operation_id="breaks_retrieve",
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="BreakView",
                    serializers={
                        "therapist": s.BreakSerializer,
                        "covering": s.CoveringBreakSerializer,
                        "declared": s.DeclaredBreakSerializer,
                        "client": s.ClientBreakSerializer,
                    },
                    resource_type_field_name="view",
                ),
                description="The therapist's view; a covering clinician gets only what the "
                "break shares with them; whoever declared an absence for a colleague what "
                "they declared; the client their own view.",
            ),
            **errors(401, 404, 429),
        },
        tags=["breaks"],
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        brk, role = services.break_read(user=request.user, break_id=pk)
        serializer = {
            "therapist": s.BreakSerializer,
            "covering": s.CoveringBreakSerializer,
            "declarer": s.DeclaredBreakSerializer,
            "client": s.ClientBreakSerializer,
        }[role]
        return Response(serializer(brk).data)

    @extend_schema(
        operation_id="breaks_partial_update",
        request=s.BreakUpdateSerializer(partial=True),
        responses={200: s.BreakSerializer, **errors(400, 401, 404, 429)},
        description="Editing a scheduled or active break reschedules its unsent prompts. "
        "checklist ticks (true) or unticks (false) the items it names, and sets notice_given.",
        tags=["breaks"],
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        brk = selectors.access_break(request.user, pk)
        data = self.valid(s.BreakUpdateSerializer, partial=True, instance=brk)
        _covering_user(request.user, data)
        checklist = data.pop("checklist", None)
        with transaction.atomic():
            brk = services.break_update(brk=brk, actor=request.user, **data)
            if checklist is not None:
                brk = checklist_services.checklist_update(
                    brk=brk, actor=request.user, items=checklist
                )
        return Response(s.BreakSerializer(brk).data)


class BreakPromptsView(BaseView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="breaks_prompts_list",
        responses={200: s.PromptSerializer(many=True), **errors(400, 401, 404, 429)},
        description="A draft's preview (id null, status preview); afterwards the stored "
        "prompts. 400 when a draft's settings cannot be planned.",
        tags=["breaks"],
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        brk = selectors.access_break(request.user, pk)
        return self.paginated(selectors.schedule_for_break(brk), s.PromptSerializer)


class BreakActivateView(BaseView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="breaks_activate",
        request=None,
        responses={200: s.BreakSerializer, **errors(400, 401, 404, 429)},
        description="Draft -> scheduled (active if it has started): prompts are stored.",
        tags=["breaks"],
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        brk = selectors.access_break(request.user, pk)
        brk = services.break_activate(brk=brk, actor=request.user)
        return Response(s.BreakSerializer(brk).data)


def therapist_or_declared(brk: Break, user: User) -> dict:
    """The therapist's view of their own break; the declared view for whoever declared it."""
    if brk.therapist_id == user.pk:
        return s.BreakSerializer(brk).data
    return s.DeclaredBreakSerializer(brk).data


THERAPIST_OR_DECLARED = PolymorphicProxySerializer(
    component_name="BreakOrDeclared",
    serializers={"therapist": s.BreakSerializer, "declared": s.DeclaredBreakSerializer},
    resource_type_field_name="view",
)
# The same, for the answers that are lists of breaks (an absence's drafts).
BREAK_OR_DECLARED = PolymorphicProxySerializer(
    component_name="BreakOrDeclared",
    serializers={"therapist": s.BreakSerializer, "declared": s.DeclaredBreakSerializer},
    resource_type_field_name="view",
    many=True,
)


class BreakCancelView(BaseView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="breaks_cancel",
        request=None,
        responses={200: THERAPIST_OR_DECLARED, **errors(400, 401, 404, 429)},
        description="No further prompt of this break is sent. Its therapist, or whoever "
        "declared it for them, may cancel it.",
        tags=["breaks"],
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        brk = selectors.access_break_to_cancel(request.user, pk)
        brk = services.break_cancel(brk=brk, actor=request.user)
        return Response(therapist_or_declared(brk, request.user))


class BreakDeliveriesView(BaseView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="breaks_deliveries_list",
        responses={200: s.DeliverySerializer(many=True), **errors(401, 404, 429)},
        tags=["breaks"],
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        brk = selectors.access_break(request.user, pk)
        return self.paginated(
            delivery_selectors.api_deliveries_for_break(brk), s.DeliverySerializer
        )


class BreakCheckInsView(BaseView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="breaks_check_ins_list",
        responses={200: s.CheckInSerializer(many=True), **errors(401, 404, 429)},
        description="The therapist sees all; the covering clinician only when the client "
        "agreed to share check-ins. Clients use /me/.",
        tags=["breaks"],
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        _, _, check_ins = checkins.check_ins_read(user=request.user, break_id=pk)
        return self.paginated(check_ins, s.CheckInSerializer)


class AbsenceView(BaseView):
    permission_classes = [CanDeclareAbsence]
    # The answer is the plain list of the breaks just made, never a page of them.
    pagination_class = None
    serializer_class = s.AbsenceSerializer

    @extend_schema(
        operation_id="absences_create",
        request=s.AbsenceSerializer,
        responses={201: BREAK_OR_DECLARED, **errors(400, 401, 403, 429)},
        description="One draft break per client. Nothing is sent until the drafts are "
        'activated: with `activate` for a list of clients, never for "all" (those go through '
        "POST /absences/activate/ after a review). Clients in `call_first` keep a draft to "
        "phone them. Only an unplanned absence can be declared for another therapist "
        "(`therapist`, staff and colleagues of the same practice); anyone else gets 400 "
        '"Unknown therapist.". You get the therapist\'s view of your own breaks and the '
        "declared view of a colleague's.",
        tags=["breaks"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.valid(s.AbsenceSerializer)
        therapist: User | None = request.user
        if "therapist" in data:
            therapist = selectors.user_or_none(data.pop("therapist"))
        if therapist is None:
            raise serializers.ValidationError({"therapist": ["Unknown therapist."]})
        breaks = services.absence_plan(
            actor=request.user,
            therapist=therapist,
            clients=data.pop("clients"),
            activate=data.pop("activate"),
            call_first=data.pop("call_first"),
            **data,
        )
        rows = [therapist_or_declared(brk, request.user) for brk in breaks]
        return Response(rows, status=status.HTTP_201_CREATED)


class DeclaredAbsencesView(BaseView):
    permission_classes = [CanDeclareAbsence]

    @extend_schema(
        operation_id="absences_declared_list",
        responses={200: s.DeclaredBreakSerializer(many=True), **errors(401, 403, 429)},
        description="The absences you declared for another therapist, newest first, as "
        "you declared them; cancel one with POST /breaks/{id}/cancel/.",
        tags=["breaks"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return self.paginated(selectors.breaks_declared_by(request.user), s.DeclaredBreakSerializer)


class AbsenceActivateView(BaseView):
    permission_classes = [CanDeclareAbsence]
    pagination_class = None

    @extend_schema(
        operation_id="absences_activate",
        request=s.AbsenceActivateSerializer,
        responses={200: BREAK_OR_DECLARED, **errors(400, 401, 403, 429)},
        description="The review step of an absence: the drafts in `breaks` (yours, or those "
        "you declared) are activated, except those in `call_first`, which stay drafts marked "
        "`needs_call` so that nothing is sent before the phone call. Answers the breaks as a "
        "plain list.",
        tags=["breaks"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.valid(s.AbsenceActivateSerializer)
        breaks = selectors.absence_drafts_for(request.user, data["breaks"])
        services.absence_activate(breaks=breaks, call_first=data["call_first"], actor=request.user)
        return Response([therapist_or_declared(brk, request.user) for brk in breaks])


class CoverageView(BaseView):
    permission_classes = [IsTherapist]

    @extend_schema(
        operation_id="coverage_list",
        responses={200: s.CoverageSerializer(many=True), **errors(401, 403, 404, 429)},
        description="Upcoming and active breaks you cover, with what the client agreed to "
        "share and the check-ins that asked for support.",
        tags=["coverage"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        coverage = checkin_selectors.api_coverage_for(request.user)
        return self.paginated(coverage, s.CoverageSerializer)


# --- The client's own -----------------------------------------------------------------------


class MeBreaksView(BaseView):
    permission_classes = [IsClient]

    @extend_schema(
        operation_id="me_breaks_list",
        responses={200: s.ClientBreakSerializer(many=True), **errors(401, 403, 404, 429)},
        tags=["me"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        client = selectors.require_client(request.user)
        return self.paginated(selectors.api_breaks_for_client(client), s.ClientBreakSerializer)


class MeInboxView(BaseView):
    token_reads_inbox_page = True  # in the token's own statement (api/authentication.py)
    permission_classes = [IsClient]
    pagination_class = InboxCursorPagination

    @extend_schema(
        operation_id="me_inbox_list",
        responses={200: s.InboxMessageSerializer(many=True), **errors(401, 403, 404, 429)},
        description="Newest first, cursor-paginated.",
        tags=["me"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        client = selectors.require_client(request.user)
        paginator = cast(InboxCursorPagination, self.paginator)
        rows = paginator.paginate_rows(request, partial(me_selectors.inbox_page, client))
        return self.get_paginated_response(s.inbox_representation(rows))


class MeInboxAcknowledgeView(BaseView):
    permission_classes = [IsClient]

    @extend_schema(
        operation_id="me_inbox_acknowledge",
        request=None,
        responses={200: s.InboxMessageSerializer, **errors(401, 403, 404, 429)},
        description="Marks the message read/done; idempotent.",
        tags=["me"],
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        message = me_selectors.access_inbox_message(request.user, pk)
        me_services.inbox_acknowledge(message=message, actor=request.user)
        return Response(s.InboxMessageSerializer(message).data)


class MeInboxFeedbackView(BaseView):
    permission_classes = [IsClient]
    serializer_class = s.InboxFeedbackSerializer

    @extend_schema(
        operation_id="me_inbox_feedback",
        request=s.InboxFeedbackSerializer,
        responses={200: s.InboxMessageSerializer, **errors(400, 401, 403, 404, 429)},
        description='"This helped" (true) or "Not for me" (false) on one message; a second '
        "answer replaces the first. Not for me keeps its template out of the client's future "
        "prompts (the unsent ones are planned again); either weighs its category.",
        tags=["me"],
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        message = me_selectors.access_inbox_message(request.user, pk)
        _body_is_object(request)
        data = self.valid(s.InboxFeedbackSerializer)
        me_services.inbox_feedback(message=message, helpful=data["helpful"], actor=request.user)
        message = me_selectors.inbox_for_client(message.client).get(pk=message.pk)
        return Response(s.InboxMessageSerializer(message).data)


class _SupportMapView(BaseView):
    serializer_class = s.SupportMapSerializer
    pagination_class = None

    def client_for(self, request: AuthenticatedRequest, pk: int | None):
        raise NotImplementedError

    def get_object(self):
        # OPTIONS asks for the object behind a PUT: the client whose map it is (or a 404).
        return self.client_for(cast(AuthenticatedRequest, self.request), self.kwargs.get("pk"))

    def answer(self, items) -> Response:
        return Response({"items": map_selectors.api_items(items)})

    def read(self, request: AuthenticatedRequest, pk: int | None = None) -> Response:
        client = self.client_for(request, pk)
        return self.answer(map_services.map_open(client=client, actor=request.user))

    def write(self, request: AuthenticatedRequest, pk: int | None = None) -> Response:
        client = self.client_for(request, pk)
        _body_is_object(request)
        data = self.valid(s.SupportMapSerializer)
        items = map_services.map_replace(
            client=client, items=[dict(item) for item in data["items"]], actor=request.user
        )
        return self.answer(items)


MAP_DESCRIPTION = (
    "The client's support map, shared by client and therapist. The first read starts it "
    "from the plan's support contacts and distractions. PUT replaces the whole map: items "
    "with a known id are kept and changed, items without one are added, the rest removed; "
    "the unsent prompts of live breaks are planned again."
)


class MeSupportMapView(_SupportMapView):
    permission_classes = [IsClient]

    def client_for(self, request: AuthenticatedRequest, pk: int | None):
        return selectors.require_client(request.user)

    @extend_schema(
        operation_id="me_support_map_retrieve",
        responses={200: s.SupportMapSerializer, **errors(401, 403, 404, 429)},
        description=MAP_DESCRIPTION,
        tags=["me"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return self.read(request)

    @extend_schema(
        operation_id="me_support_map_update",
        request=s.SupportMapSerializer,
        responses={200: s.SupportMapSerializer, **errors(400, 401, 403, 404, 429)},
        description=MAP_DESCRIPTION,
        tags=["me"],
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        return self.write(request)


class ClientSupportMapView(_SupportMapView):
    permission_classes = [IsTherapist]

    def client_for(self, request: AuthenticatedRequest, pk: int | None):
        return selectors.access_client(request.user, pk)

    @extend_schema(
        operation_id="clients_support_map_retrieve",
        responses={200: s.SupportMapSerializer, **errors(401, 403, 404, 429)},
        description=MAP_DESCRIPTION,
        tags=["clients"],
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return self.read(request, pk)

    @extend_schema(
        operation_id="clients_support_map_update",
        request=s.SupportMapSerializer,
        responses={200: s.SupportMapSerializer, **errors(400, 401, 403, 404, 429)},
        description=MAP_DESCRIPTION,
        tags=["clients"],
    )
    def put(self, request: AuthenticatedRequest, pk: int) -> Response:
        return self.write(request, pk)


class MeCheckInView(BaseView):
    permission_classes = [IsClient]
    serializer_class = s.CheckInCreateSerializer

    @extend_schema(
        operation_id="me_check_ins_create",
        request=s.CheckInCreateSerializer,
        responses={201: s.CheckInResultSerializer, **errors(400, 401, 403, 404, 429)},
        description="Records a check-in. The answer always carries crisis resources: "
        "Between is not an emergency service.",
        tags=["me"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        client = selectors.require_client(request.user)
        data = self.valid(s.CheckInCreateSerializer)
        result = checkins.checkin_record(client=client, actor=request.user, **data)
        return Response(s.CheckInResultSerializer(result).data, status=status.HTTP_201_CREATED)


class MeFollowUpsView(BaseView):
    permission_classes = [IsClient]
    serializer_class = s.FollowUpsSerializer

    @extend_schema(
        operation_id="me_follow_ups_create",
        request=s.FollowUpsSerializer,
        responses={200: s.ClientBreakSerializer, **errors(400, 401, 403, 404, 429)},
        description="Your yes (or no) to follow-ups after your ending's last session, as on "
        "My break; a consent record. 404 when My break shows no ending.",
        tags=["me"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.valid(s.FollowUpsSerializer)
        brk = ending_for_client(selectors.require_client(request.user))
        brk = ending_services.follow_ups_set(
            brk=brk, actor=request.user, granted=data["granted"], source="api"
        )
        return Response(s.ClientBreakSerializer(brk).data)


class MePreferencesView(BaseView):
    permission_classes = [IsClient]

    @extend_schema(
        operation_id="me_preferences_retrieve",
        responses={200: s.PreferencesSerializer, **errors(401, 403, 404, 429)},
        tags=["me"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(s.PreferencesSerializer(selectors.require_client(request.user)).data)

    @extend_schema(
        operation_id="me_preferences_partial_update",
        request=s.PreferencesSerializer(partial=True),
        responses={200: s.PreferencesSerializer, **errors(400, 401, 403, 404, 429)},
        description="paused_until pauses every prompt until then; null resumes.",
        tags=["me"],
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        client = selectors.require_client(request.user)
        data = self.valid(s.PreferencesSerializer, partial=True)
        client = me_services.preferences_update(client=client, actor=request.user, **data)
        return Response(s.PreferencesSerializer(client).data)


class ICalendarRenderer(BaseRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)  # an error answer asked for as text/calendar


class MeCalendarView(BaseView):
    permission_classes = [IsClient]
    renderer_classes = [JSONRenderer, ICalendarRenderer]

    @extend_schema(
        operation_id="me_calendar",
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.STR,
                description="iCalendar: breaks, return sessions and booster sessions.",
            ),
            **errors(401, 403, 404, 429),
        },
        tags=["me"],
    )
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        client = selectors.require_client(request.user)
        response = HttpResponse(calendar_for_client(client), content_type=ICAL_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="between.ics"'
        return response


ICAL_CONTENT_TYPE = "text/calendar; charset=utf-8"


class PingSerializer(serializers.Serializer):
    ok = serializers.BooleanField()


class PingView(APIView):
    """A liveness probe for the API: no login, no throttle, no database.

    The benchmarks (bench/api.py) also use it as the trivial endpoint that the real ones are
    measured against."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="ping",
        responses={200: PingSerializer},
        description='Liveness probe: 200 {"ok": true} while the API process answers.',
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        return Response({"ok": True})
