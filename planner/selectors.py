"""Reads shared by the pages, the API and the tasks, and the access helpers.

Every lookup of a person's object goes through an ``access_*`` helper that applies the
permission check, so no view can forget it. Someone else's object raises Http404: its
existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.timezone import now as current_time

from core.models import User
from planner import audit
from planner.models import Break, CheckIn, Client, Delivery, InboxMessage, ScheduledPrompt


def client_profile(user: User) -> Client | None:
    """The client record behind a client login, or None."""
    if not user.is_authenticated or user.role != User.Role.CLIENT:
        return None
    # Already loaded with the login (the API's token authentication joins it in)?
    if "client_profile" in user._state.fields_cache:
        client = user._state.fields_cache["client_profile"]
        return client if client is not None and client.deleted_at is None else None
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
        client = clients_for_therapist(user).get(pk=int(str(client_id)))
    except (Client.DoesNotExist, ValueError):
        raise Http404("No such client.")
    audit.record_read(user, "client", client, client)
    return client


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
            audit.record_read(user, "break", brk, brk.client_id)
            return brk, "therapist"
        if brk.covering_user_id == user.pk and brk.is_live:
            audit.record_read(user, "break", brk, brk.client_id)
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


# --- API-only reads ---------------------------------------------------------------------------
# Shaped for the list endpoints of planner/api: each is one query (plus its prefetches),
# whatever the number of rows, so the API has no N+1.


def api_breaks_for_therapist(therapist: User) -> QuerySet[Break]:
    return breaks_for_therapist(therapist).select_related("client", "covering_user")


def api_breaks_for_client(client: Client) -> QuerySet[Break]:
    return breaks_for_client(client).select_related("client", "covering_user")


INBOX_API_COLUMNS = ("id", "break_obj_id", "category", "text", "delivered_at", "acknowledged_at")


def api_inbox_for_client(client: Client) -> QuerySet:
    """The inbox as plain rows of the columns the API shows (PERFORMANCE.md: the inbox is
    the hottest read; model instances and a ModelSerializer cost more than the query)."""
    return inbox_for_client(client).values(*INBOX_API_COLUMNS)


def check_ins_visible_to(user: User, break_id: object) -> tuple[Break, QuerySet[CheckIn]]:
    """A break's check-ins as its therapist or covering clinician may read them.

    The break is a 404 for anyone else (the client included: they use /me/), and for a
    covering clinician the client did not share check-ins with. Which check-ins show follows
    the one rule in ``checkin_selectors``: the therapist reads them once the break is over,
    the covering clinician during it.
    """
    from planner.checkin_selectors import check_ins_for_break

    brk, role = access_break_for_reading(user, break_id)
    if role == "therapist" or (role == "covering" and brk.share_check_ins_with_covering):
        audit.record_read(user, "checkins", brk, brk.client_id)
        return brk, check_ins_for_break(brk=brk, viewer=user)
    raise Http404("No such break.")


def api_coverage_for(user: User) -> QuerySet[Break]:
    """Breaks the user covers, with the check-ins that asked for support prefetched.

    The check-ins are only shown when the client agreed to share them; the serializer
    applies ``share_check_ins_with_covering`` per break.
    """
    support = CheckIn.objects.filter(need_support_now=True).order_by("-created_at", "-id")
    return (
        breaks_covered_by(user)
        .select_related("client", "covering_user")
        .prefetch_related(Prefetch("check_ins", queryset=support, to_attr="support_check_ins"))
        .order_by("starts_at", "id")
    )


def api_deliveries_for_break(brk: Break) -> QuerySet[Delivery]:
    return deliveries_for_break(brk).only(
        "id",
        "channel",
        "status",
        "attempts",
        "last_error",
        "attempted_at",
        "sent_at",
        "prompt__id",
        "prompt__category",
        "prompt__send_at",
    )


def calendar_items_for_client(client: Client) -> tuple[list[Break], dict[int, list[datetime]]]:
    """Non-draft, non-cancelled breaks and the booster prompt dates of each, in two queries."""
    breaks = list(
        breaks_for_client(client).exclude(status=Break.Status.CANCELLED).order_by("starts_at", "id")
    )
    boosters: dict[int, list[datetime]] = {}
    rows = ScheduledPrompt.objects.filter(
        break_obj__in=[b.pk for b in breaks], category="booster"
    ).exclude(status=ScheduledPrompt.Status.SKIPPED)
    for break_id, send_at in rows.order_by("send_at").values_list("break_obj_id", "send_at"):
        boosters.setdefault(break_id, []).append(send_at)
    return breaks, boosters


def user_or_none(user_id: object) -> User | None:
    """A user by id for a body field (the service decides whether the caller may use it)."""
    try:
        return User.objects.filter(pk=int(str(user_id))).first()
    except (ValueError, OverflowError):
        return None


def colleague_of(user: User, user_id: object) -> User | None:
    """Another therapist of the caller's practice, to name as a break's covering clinician."""
    if user.practice_id is None:
        return None
    try:
        pk = int(str(user_id))
    except ValueError:
        return None
    return (
        User.objects.filter(pk=pk, role=User.Role.THERAPIST, practice_id=user.practice_id)
        .exclude(pk=user.pk)
        .first()
    )
