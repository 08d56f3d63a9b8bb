"""Reads shared by the pages, the API and the tasks, and the access helpers.

Every lookup of a person's object goes through an ``access_*`` helper that applies the
permission check, so no view can forget it. Someone else's object raises Http404: its
existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils.timezone import now as current_time

from core.models import User
from planner.models import Break, CheckIn, Client, Delivery, InboxMessage, ScheduledPrompt


def client_profile(user: User) -> Client | None:
    """The client record behind a client login, or None."""
    if not user.is_authenticated or user.role != User.Role.CLIENT:
        return None
    return Client.objects.filter(user=user, deleted_at__isnull=True).first()


def require_client(user: User) -> Client:
    client = client_profile(user)
    if client is None:
        raise Http404("No client record for this login.")
    return client


# --- Clients -------------------------------------------------------------------------------


def clients_for_therapist(therapist: User) -> QuerySet[Client]:
    if not therapist.is_authenticated or not therapist.is_therapist:
        return Client.objects.none()
    return Client.objects.filter(therapist=therapist, deleted_at__isnull=True)


def access_client(user: User, client_id: object) -> Client:
    """A client of the calling therapist; anything else is a 404."""
    try:
        return clients_for_therapist(user).get(pk=int(str(client_id)))
    except (Client.DoesNotExist, ValueError):
        raise Http404("No such client.")


# --- Breaks --------------------------------------------------------------------------------


def breaks_for_therapist(therapist: User) -> QuerySet[Break]:
    if not therapist.is_authenticated or not therapist.is_therapist:
        return Break.objects.none()
    return Break.objects.filter(therapist=therapist, client__deleted_at__isnull=True)


def breaks_for_client(client: Client) -> QuerySet[Break]:
    """A client's breaks, without drafts (the plan is shared once it is scheduled)."""
    return client.breaks.exclude(status=Break.Status.DRAFT)


def breaks_covered_by(user: User) -> QuerySet[Break]:
    if not user.is_authenticated or not user.is_therapist:
        return Break.objects.none()
    return Break.objects.filter(
        covering_user=user,
        status__in=[Break.Status.SCHEDULED, Break.Status.ACTIVE],
        client__deleted_at__isnull=True,
    )


def access_break(user: User, break_id: object) -> Break:
    """A break the caller may change: the therapist's own client's. Else 404."""
    try:
        return (
            breaks_for_therapist(user)
            .select_related("client", "therapist", "covering_user")
            .get(pk=int(str(break_id)))
        )
    except (Break.DoesNotExist, ValueError):
        raise Http404("No such break.")


def access_break_for_reading(user: User, break_id: object) -> tuple[Break, str]:
    """A break the caller may read, and as whom: "therapist", "covering" or "client"."""
    try:
        pk = int(str(break_id))
    except ValueError:
        raise Http404("No such break.")
    brk = (
        Break.objects.select_related("client", "therapist", "covering_user")
        .filter(pk=pk, client__deleted_at__isnull=True)
        .first()
    )
    if brk is not None and user.is_authenticated:
        if brk.therapist_id == user.pk:
            return brk, "therapist"
        if brk.covering_user_id == user.pk and brk.is_live:
            return brk, "covering"
        if brk.client.user_id == user.pk and brk.status != Break.Status.DRAFT:
            return brk, "client"
    raise Http404("No such break.")


def live_break_for_client(client: Client, *, at: datetime | None = None) -> Break | None:
    """The break the client is in now (or the next one coming), for "My break"."""
    at = at or current_time()
    live = (
        breaks_for_client(client)
        .filter(status__in=[Break.Status.ACTIVE, Break.Status.SCHEDULED])
        .select_related("therapist", "covering_user")
        .order_by("starts_at")
    )
    started = [b for b in live if b.starts_at <= at]
    return started[0] if started else live.first()


# --- Schedules and inbox ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    id: int | None
    category: str
    send_at: datetime
    local_send_at: datetime
    status: str
    text: str
    skip_reason: str = ""


def schedule_for_break(brk: Break, *, at: datetime | None = None) -> list[ScheduleRow]:
    """A draft's preview, or the stored prompts of a break that was activated."""
    tz = ZoneInfo(brk.timezone)
    if brk.status == Break.Status.DRAFT:
        from planner.services import break_preview

        return [
            ScheduleRow(
                None,
                p.planned.category.value,
                p.planned.send_at,
                p.planned.local_send_at,
                "preview",
                p.text,
            )
            for p in break_preview(brk, at=at)
        ]
    prompts = brk.prompts.filter(plan_version=brk.plan_version) | brk.prompts.exclude(
        status__in=[ScheduledPrompt.Status.PENDING]
    )
    return [
        ScheduleRow(
            p.pk, p.category, p.send_at, p.send_at.astimezone(tz), p.status, p.text, p.skip_reason
        )
        for p in prompts.distinct().order_by("send_at", "id")
    ]


def inbox_for_client(client: Client) -> QuerySet[InboxMessage]:
    return InboxMessage.objects.filter(client=client).order_by("-delivered_at", "-id")


def access_inbox_message(user: User, message_id: object) -> InboxMessage:
    client = require_client(user)
    try:
        return inbox_for_client(client).get(pk=int(str(message_id)))
    except (InboxMessage.DoesNotExist, ValueError):
        raise Http404("No such message.")


def todays_message(client: Client) -> InboxMessage | None:
    return (
        inbox_for_client(client)
        .filter(delivered_at__gte=current_time() - timedelta(hours=24))
        .first()
    )


def deliveries_for_break(brk: Break) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(prompt__break_obj=brk)
        .select_related("prompt")
        .order_by("-prompt__send_at", "channel")
    )


# --- The therapist's dashboard ------------------------------------------------------------


@dataclass(frozen=True)
class NoticeWarning:
    brk: Break
    days_until: int


def upcoming_notice_warnings(
    therapist: User, *, at: datetime | None = None, within_days: int = 42
) -> list[NoticeWarning]:
    """Upcoming breaks for which notice has not been given yet ("holiday in 3 weeks")."""
    at = at or current_time()
    rows = (
        breaks_for_therapist(therapist)
        .filter(
            Q(notice_given_at__isnull=True) | Q(status=Break.Status.DRAFT),
            status__in=[Break.Status.DRAFT, Break.Status.SCHEDULED],
            starts_at__gt=at,
            starts_at__lte=at + timedelta(days=within_days),
        )
        .select_related("client")
    )
    return [NoticeWarning(b, (b.starts_at - at).days) for b in rows.order_by("starts_at")]


def failed_deliveries_for_therapist(therapist: User, *, days: int = 14) -> QuerySet[Delivery]:
    since = current_time() - timedelta(days=days)
    return (
        Delivery.objects.filter(
            prompt__break_obj__therapist=therapist,
            status__in=[Delivery.Status.FAILED, Delivery.Status.UNCONFIRMED],
            created_at__gte=since,
        )
        .select_related("prompt", "prompt__break_obj", "prompt__client")
        .order_by("-created_at")
    )


# --- Check-ins that asked for support ------------------------------------------------------

DEFAULT_DISTRESS_THRESHOLD = 7


def support_check_ins_for_therapist(therapist: User, *, days: int = 14) -> QuerySet[CheckIn]:
    """Recent check-ins of the therapist's clients that asked for support.

    A check-in asks for support when the client ticked "I need support now" or rated their
    distress at or above the break's threshold (the default threshold without a break).
    """
    if not therapist.is_authenticated or not therapist.is_therapist:
        return CheckIn.objects.none()
    since = current_time() - timedelta(days=days)
    asked = (
        Q(need_support_now=True)
        | Q(break_obj__isnull=False, distress__gte=F("break_obj__distress_threshold"))
        | Q(break_obj__isnull=True, distress__gte=DEFAULT_DISTRESS_THRESHOLD)
    )
    return (
        CheckIn.objects.filter(
            asked,
            client__therapist=therapist,
            client__deleted_at__isnull=True,
            created_at__gte=since,
        )
        .select_related("client", "break_obj")
        .order_by("-created_at", "-id")
    )
