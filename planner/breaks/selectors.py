"""Reads shared by the pages, the API and the tasks, and the access helpers.

Every lookup of a person's object goes through an ``access_*`` helper that applies the
permission check, so no view can forget it. Someone else's object raises Http404: its
existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.converters import parse_id
from core.db.columns import Columns, column_name
from core.db.cursors import prepared_cursor
from core.models import User
from planner.breaks.preview import PreviewPrompt, break_preview
from planner.breaks.prompts import library_for
from planner.breaks.validation import PLAN_CONTENT_FIELDS, SCHEDULE_FIELDS, dates_problem
from planner.models import Break, Client, ScheduledPrompt
from planner.schedule.types import ScheduleError
from planner.supportmap.selectors import learned_for


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


def active_clients_for_therapist(therapist: User) -> QuerySet[Client]:
    """The caseload: clients not archived (the dashboard, caseload absences)."""
    return clients_for_therapist(therapist).filter(archived_at__isnull=True)


def archived_clients_for_therapist(therapist: User) -> QuerySet[Client]:
    return clients_for_therapist(therapist).filter(archived_at__isnull=False)


def access_client(user: User, client_id: object) -> Client:
    """A client of the calling therapist; anything else is a 404."""
    pk = parse_id(client_id)
    client = None if pk is None else clients_for_therapist(user).filter(pk=pk).first()
    if client is None:
        raise Http404("No such client.")
    return client


# --- Breaks --------------------------------------------------------------------------------


def breaks_for_therapist(therapist: User) -> QuerySet[Break]:
    if not therapist.is_authenticated or not therapist.is_therapist:
        return Break.objects.none()
    return Break.objects.filter(therapist=therapist, client__deleted_at__isnull=True)


def former_client_ids(therapist: User, *, at: datetime | None = None) -> set[int]:
    """Clients whose therapy ended: their latest plan is an ending whose last session has
    passed (no later break planned)."""
    at = at or current_time()
    latest: dict[int, Break] = {}
    rows = (
        Break.objects.filter(therapist=therapist)
        .exclude(status__in=[Break.Status.DRAFT, Break.Status.CANCELLED])
        .only("id", "client_id", "kind", "starts_at", "ends_at")
        .order_by("client_id", "starts_at", "id")
    )
    for brk in rows:
        latest[brk.client_id] = brk
    return {
        client_id
        for client_id, brk in latest.items()
        if brk.kind == Break.Kind.ENDING and (brk.last_session_at or brk.starts_at) <= at
    }


def ended_therapy_break(client: Client, *, at: datetime | None = None) -> Break | None:
    """The ending that closed the client's therapy, when it has (see former_client_ids)."""
    at = at or current_time()
    brk = (
        breaks_for_client(client)
        .exclude(status=Break.Status.CANCELLED)
        .select_related("therapist__practice", "covering_user")
        .order_by("-starts_at", "-id")
        .first()
    )
    if brk is not None and brk.kind == Break.Kind.ENDING:
        last = brk.last_session_at
        if last is not None and last <= at:
            return brk
    return None


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
    pk = parse_id(break_id)
    breaks = breaks_for_therapist(user).select_related("client", "therapist", "covering_user")
    brk = None if pk is None else breaks.filter(pk=pk).first()
    if brk is None:
        raise Http404("No such break.")
    return brk


def breaks_declared_by(user: User) -> QuerySet[Break]:
    """Absences ``user`` declared for another therapist (staff, a colleague), newest first."""
    if not user.is_authenticated:
        return Break.objects.none()
    return (
        Break.objects.filter(created_by=user, client__deleted_at__isnull=True)
        .exclude(therapist=user)
        .select_related("client", "therapist")
        .order_by("-created_at", "-id")
    )


def access_break_to_cancel(user: User, break_id: object) -> Break:
    """A break the caller may cancel: their own client's, or one they declared for a
    colleague. Anything else is a 404."""
    try:
        pk = int(str(break_id))
    except ValueError:
        raise Http404("No such break.")
    if user.is_authenticated and user.is_therapist:
        own = breaks_for_therapist(user).filter(pk=pk).select_related("client").first()
        if own is not None:
            return own
    declared = breaks_declared_by(user).filter(pk=pk).first()
    if declared is None:
        raise Http404("No such break.")
    return declared


def access_break_for_reading(user: User, break_id: object) -> tuple[Break, str]:
    """A break the caller may read, and as whom: "therapist", "covering", "declarer" (who
    declared it for a colleague) or "client"."""
    pk = parse_id(break_id)
    if pk is None:
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
        if brk.created_by_id == user.pk:
            return brk, "declarer"
        if brk.client.user_id == user.pk and brk.status != Break.Status.DRAFT:
            return brk, "client"
    raise Http404("No such break.")


def break_in_progress(client: Client, *, at: datetime | None = None) -> Break | None:
    """The break the client is in now: the last one that started and is still live.

    The one rule for "the client's break": a check-in belongs to it, and it decides who reads
    check-ins. A break stays live until the beat task completes it, two days after the return.
    """
    at = at or current_time()
    return (
        breaks_for_client(client)
        .filter(status__in=Break.LIVE_STATUSES, starts_at__lte=at)
        .select_related("therapist", "covering_user")
        .order_by("-starts_at", "-id")
        .first()
    )


def access_own_break(user: User, break_id: object) -> Break:
    """A client's own break (never a draft), for the client's pages; anything else is a 404."""
    client = require_client(user)
    pk = parse_id(break_id)
    brk = None if pk is None else breaks_for_client(client).filter(pk=pk).first()
    if brk is None:
        raise Http404("No such break.")
    return brk


def live_break_for_client(client: Client, *, at: datetime | None = None) -> Break | None:
    """What "My break" shows: the break in progress, else the next one coming."""
    at = at or current_time()
    return break_in_progress(client, at=at) or (
        breaks_for_client(client)
        .filter(status__in=Break.LIVE_STATUSES, starts_at__gt=at)
        .select_related("therapist", "covering_user")
        .order_by("starts_at", "id")
        .first()
    )


# --- What a break shares with its covering clinician -----------------------------------------


@dataclass(frozen=True)
class CoveringView:
    """What a break shares with its covering clinician, and all of it: the page
    (``/breaks/<id>/``) and the API (``CoveringBreakSerializer``) both show exactly these
    fields. Conservative on purpose: no warning signs, no note, no coping strategies, no
    prompt texts, no contact details of the client; the client's people only when the client
    agreed to share with the covering clinician."""

    id: int
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    return_session_at: datetime | None
    timezone: str
    client_first_name: str
    covering_clinician: dict | None
    escalation_enabled: bool
    share_check_ins_with_covering: bool
    support_contacts: list[dict]

    @property
    def kind_label(self) -> str:
        return str(Break.Kind(self.kind).label)

    @property
    def status_label(self) -> str:
        return str(Break.Status(self.status).label)


COVERING_FIELDS = tuple(f.name for f in fields(CoveringView))


def covering_view(brk: Break) -> CoveringView:
    """The one decision of what a covering clinician sees of ``brk``."""
    shared = brk.share_check_ins_with_covering
    clinician = brk.covering_clinician if isinstance(brk.covering_clinician, dict) else None
    return CoveringView(
        id=brk.pk,
        kind=brk.kind,
        status=brk.status,
        starts_at=brk.starts_at,
        ends_at=brk.ends_at,
        return_session_at=brk.return_session_at,
        timezone=brk.timezone,
        client_first_name=brk.client.first_name,
        covering_clinician=dict(clinician) if clinician else None,
        escalation_enabled=brk.escalation_enabled,
        share_check_ins_with_covering=shared,
        support_contacts=[dict(c) for c in brk.support_contacts or []] if shared else [],
    )


# --- What whoever declared an absence for a colleague sees of it -----------------------------


@dataclass(frozen=True)
class DeclaredView:
    """An absence declared for another therapist, as its declarer sees it: what they declared
    and where it stands, never the plan the therapist writes into it afterwards."""

    id: int
    kind: str
    status: str
    therapist: int
    therapist_name: str
    client: int
    client_first_name: str
    starts_at: datetime
    ends_at: datetime | None
    return_session_at: datetime | None
    covering_clinician: dict | None
    sessions_plan: str
    needs_call: bool
    created_at: datetime
    cancelled_at: datetime | None

    @property
    def sessions_plan_label(self) -> str:
        return str(Break.SessionsPlan(self.sessions_plan).label) if self.sessions_plan else ""

    @property
    def kind_label(self) -> str:
        return str(Break.Kind(self.kind).label)

    @property
    def status_label(self) -> str:
        return str(Break.Status(self.status).label)

    @property
    def can_cancel(self) -> bool:
        return self.status not in (Break.Status.CANCELLED, Break.Status.COMPLETED)


def declared_view(brk: Break) -> DeclaredView:
    clinician = brk.covering_clinician if isinstance(brk.covering_clinician, dict) else None
    return DeclaredView(
        id=brk.pk,
        kind=brk.kind,
        status=brk.status,
        therapist=brk.therapist_id,
        therapist_name=brk.therapist.full_name,
        client=brk.client_id,
        client_first_name=brk.client.first_name,
        starts_at=brk.starts_at,
        ends_at=brk.ends_at,
        return_session_at=brk.return_session_at,
        covering_clinician=dict(clinician) if clinician else None,
        sessions_plan=brk.sessions_plan,
        needs_call=brk.needs_call,
        created_at=brk.created_at,
        cancelled_at=brk.cancelled_at,
    )


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
    template: str = ""  # the library template's key ("" when its row is gone)


def schedule_for_break(brk: Break, *, at: datetime | None = None) -> list[ScheduleRow]:
    """A draft's preview, or the stored prompts of a break that was activated.

    Raises ScheduleError for a draft that cannot be planned (a date outside the window,
    stored before the rule existed): the API answers 400, the pages say so."""
    if brk.status == Break.Status.DRAFT:
        problem = dates_problem(brk)
        if problem is not None:
            raise ScheduleError(*problem)
        return [_preview_row(p) for p in break_preview(brk, at=at)]
    rows = _current_prompts(brk.prompts.all(), Q(plan_version=brk.plan_version))
    tz = ZoneInfo(brk.timezone)
    return [_stored_row(p, tz) for p in rows.distinct().select_related("template")]


def _current_prompts(prompts: QuerySet[ScheduledPrompt], same_plan: Q) -> QuerySet:
    """The prompts a break's schedule shows: its plan's, and any other that is not pending
    (sent, skipped, superseded ones stay in the picture)."""
    return prompts.filter(same_plan | ~Q(status=ScheduledPrompt.Status.PENDING)).order_by(
        "send_at", "id"
    )


def _preview_row(p: PreviewPrompt) -> ScheduleRow:
    return ScheduleRow(
        None,
        p.planned.category.value,
        p.planned.send_at,
        p.planned.local_send_at,
        "preview",
        p.text,
        template="" if p.note else p.planned.template_id,  # the note names no template
    )


def _stored_row(p: ScheduledPrompt, tz: ZoneInfo) -> ScheduleRow:
    return ScheduleRow(
        p.pk,
        p.category,
        p.send_at,
        p.send_at.astimezone(tz),
        p.status,
        p.text,
        p.skip_reason,
        template=p.template.key if p.template else "",
    )


def first_prompts(
    breaks: list[Break], *, at: datetime | None = None
) -> dict[int, tuple[int | None, ScheduleRow | None]]:
    """For an absence's review page: how many prompts each break has (or its draft would
    get) and the first of them, as ``schedule_for_break`` gives them, in a fixed number of
    queries however many breaks: the drafts are planned with one library per practice, the
    stored schedules counted and their first prompts read for all breaks at once. The count
    is None for a draft that cannot be planned."""
    found: dict[int, tuple[int | None, ScheduleRow | None]] = {}
    drafts = [b for b in breaks if b.status == Break.Status.DRAFT]
    libraries: dict[int | None, list] = {}
    learned = learned_for(drafts)
    for brk in drafts:
        if dates_problem(brk) is not None:
            found[brk.pk] = (None, None)
            continue
        practice = brk.therapist.practice
        key = practice.pk if practice is not None else None
        if key not in libraries:
            libraries[key] = library_for(practice)
        try:
            planned = break_preview(brk, at=at, library=libraries[key], learned=learned.get(brk.pk))
        except ScheduleError:
            found[brk.pk] = (None, None)
            continue
        found[brk.pk] = (len(planned), _preview_row(planned[0]) if planned else None)
    stored = [b for b in breaks if b.status != Break.Status.DRAFT]
    if stored:
        theirs = _current_prompts(
            ScheduledPrompt.objects.filter(break_obj=OuterRef("pk")),
            Q(plan_version=OuterRef("plan_version")),
        )
        counted = (
            Break.objects.filter(pk__in=[b.pk for b in stored])
            .annotate(
                first_id=Subquery(theirs.values("pk")[:1]),
                prompts_count=Subquery(
                    theirs.order_by().values("break_obj").annotate(n=Count("pk")).values("n")
                ),
            )
            .values_list("pk", "first_id", "prompts_count")
        )
        figures = {pk: (first_id, n or 0) for pk, first_id, n in counted}
        firsts = ScheduledPrompt.objects.select_related("template").in_bulk(
            [first_id for first_id, _n in figures.values() if first_id is not None]
        )
        for brk in stored:
            first_id, n = figures.get(brk.pk, (None, 0))
            first = firsts.get(first_id) if first_id is not None else None
            found[brk.pk] = (n, _stored_row(first, ZoneInfo(brk.timezone)) if first else None)
    return found


# --- The therapist's dashboard ------------------------------------------------------------


@dataclass(frozen=True)
class NoticeWarning:
    brk: Break
    days_until: int
    notice_days: int | None = None  # days between telling the client and the start; None: not yet


def upcoming_notice_warnings(
    therapist: User, *, at: datetime | None = None, within_days: int = 42
) -> list[NoticeWarning]:
    """Upcoming breaks whose notice has not been given yet ("holiday in 3 weeks"), and
    holidays the client was told about less than ``NOTICE_WARNING_DAYS`` before they start.

    Notice is the day the therapist entered (``notice_given_at``); an unplanned absence has
    none to give.
    """
    at = at or current_time()
    upcoming = (
        breaks_for_therapist(therapist)
        .filter(status__in=[Break.Status.DRAFT, Break.Status.SCHEDULED], starts_at__gt=at)
        .exclude(kind=Break.Kind.UNPLANNED)
        .select_related("client")
        .order_by("starts_at", "id")
    )
    not_given = upcoming.filter(
        notice_given_at__isnull=True, starts_at__lte=at + timedelta(days=within_days)
    )
    warnings = [NoticeWarning(b, (b.starts_at - at).days) for b in not_given]
    short = timedelta(days=settings.NOTICE_WARNING_DAYS)
    for brk in upcoming.filter(kind=Break.Kind.HOLIDAY, notice_given_at__isnull=False):
        assert brk.notice_given_at is not None
        given = brk.starts_at - brk.notice_given_at
        if given < short:
            warnings.append(NoticeWarning(brk, (brk.starts_at - at).days, given.days))
    return sorted(warnings, key=lambda w: (w.brk.starts_at, w.brk.pk))


# --- Check-ins that asked for support ------------------------------------------------------


# --- API-only reads ---------------------------------------------------------------------------
# Shaped for the list endpoints of planner/api: each is one query (plus its prefetches),
# whatever the number of rows, so the API has no N+1.


def api_breaks_for_client(client: Client) -> QuerySet[Break]:
    return breaks_for_client(client).select_related("client", "covering_user")


class _TherapistBreaksPage:
    """A page of ``breaks_for_therapist(therapist).values(*columns)`` in its model order
    (``Break.Meta.ordering``: newest start first, then newest id), with the number of all
    of them (``COUNT(*) OVER ()``), as one statement written once per database and columns
    from the models' own table and column names (values are parameters), and the fields'
    own converters applied (on SQLite a datetime comes back as text, a boolean as 0 or 1).
    ``GET /api/v1/breaks/`` reads it on every request, and building and compiling the
    queryset cost the API process more than the database spent answering it."""

    def __init__(self, connection: Any, columns: tuple[str, ...]) -> None:
        quote = connection.ops.quote_name
        self.columns = columns
        # An attname (client_id) names its field too.
        self.values = Columns(connection, [("b", Break._meta.get_field(c)) for c in columns])
        selected = self.values.sql

        def name(model: type[Break] | type[Client], field: str) -> str:
            return column_name(connection, model, field)

        ordering = []
        for term in Break._meta.ordering or ():
            assert isinstance(term, str)  # plain field names, e.g. "-starts_at"
            descending = term.startswith("-")
            ordering.append(f"b.{name(Break, term.lstrip('-'))}{' DESC' if descending else ''}")
        mine = (
            f"FROM {quote(Break._meta.db_table)} b "  # names only (values are parameters)
            f"INNER JOIN {quote(Client._meta.db_table)} c "
            f"ON c.{name(Client, 'id')} = b.{name(Break, 'client')} "
            f"WHERE b.{name(Break, 'therapist')} = %s AND c.{name(Client, 'deleted_at')} IS NULL"
        )
        self.page = (
            f"SELECT {', '.join(selected)}, COUNT(*) OVER () {mine} "
            f"ORDER BY {', '.join(ordering)} LIMIT %s OFFSET %s"
        )
        self.count = f"SELECT COUNT(*) {mine}"

    def read(self, connection: Any, therapist_id: int, start: int, size: int) -> tuple[list, int]:
        with prepared_cursor(connection) as cursor:
            cursor.execute(self.page, [therapist_id, size, start])
            fetched = cursor.fetchall()
        rows = [
            dict(zip(self.columns, self.values.convert(values[:-1], connection), strict=True))
            for values in fetched
        ]
        return rows, fetched[0][-1] if fetched else 0


_therapist_pages: dict[tuple[str, tuple[str, ...]], _TherapistBreaksPage] = {}


def _therapist_page(columns: tuple[str, ...]) -> tuple[Any, _TherapistBreaksPage]:
    db = router.db_for_read(Break)
    connection = connections[db]
    page = _therapist_pages.get((db, columns))
    if page is None:
        page = _therapist_pages[db, columns] = _TherapistBreaksPage(connection, columns)
    return connection, page


def therapist_breaks_page(
    therapist: User, columns: tuple[str, ...], start: int, size: int
) -> tuple[list[dict], int]:
    """Rows ``start`` to ``start + size`` of ``breaks_for_therapist(therapist)`` (in its
    order) as dicts of ``columns`` (Break field names or attnames), and how many breaks
    that list has in all (0 when the page lies past its end): one query."""
    if not therapist.is_authenticated or not therapist.is_therapist:
        return [], 0
    connection, page = _therapist_page(columns)
    return page.read(connection, therapist.pk, start, size)


def therapist_breaks_count(therapist: User) -> int:
    """``breaks_for_therapist(therapist).count()``, without building the queryset."""
    if not therapist.is_authenticated or not therapist.is_therapist:
        return 0
    connection, page = _therapist_page(("id",))
    with prepared_cursor(connection) as cursor:
        cursor.execute(page.count, [therapist.pk])
        return cursor.fetchone()[0]


def absence_drafts_for(user: User, break_ids: list[int]) -> list[Break]:
    """The breaks of an absence's review step: each one the caller's own or declared by
    them. An id that is neither is a 400 naming it (a body field, as for ``clients``)."""
    from_body = set(break_ids)
    found = list(
        Break.objects.filter(Q(therapist=user) | Q(created_by=user), pk__in=from_body)
        .filter(client__deleted_at__isnull=True)
        .select_related("client", "therapist__practice", "covering_user")
        .order_by("client__last_name", "client__first_name", "id")
    )
    missing = from_body - {b.pk for b in found}
    if missing:
        raise ValidationError({"breaks": [_("Unknown break id %(id)s.") % {"id": min(missing)}]})
    return found


def user_or_none(user_id: object) -> User | None:
    """A user by id for a body field (the service decides whether the caller may use it)."""
    pk = parse_id(user_id)
    return None if pk is None else User.objects.filter(pk=pk).first()


def colleague_of(user: User, user_id: object) -> User | None:
    """Another therapist of the caller's practice, to name as a break's covering clinician."""
    if user.practice_id is None:
        return None
    pk = parse_id(user_id)
    if pk is None:
        return None
    return (
        User.objects.filter(pk=pk, role=User.Role.THERAPIST, practice_id=user.practice_id)
        .exclude(pk=user.pk)
        .first()
    )


# --- The plan a new plan starts from ---------------------------------------------

# What the last finished plan shows beside the plan builder; the services carry over only
# CARRIED_OVER_FIELDS (consent is never carried over: the client gives it afresh).
PREVIOUS_PLAN_FIELDS = (
    "kind",
    *SCHEDULE_FIELDS,
    *PLAN_CONTENT_FIELDS,
    "covering_user_id",
    "distress_threshold",
    "escalation_enabled",
    "avoid_topics",
)


def previous_plan_for(client: Client) -> dict | None:
    """The last finished plan (fields and review) for the next plan to start from."""
    brk = (
        Break.objects.filter(
            client=client, status__in=[Break.Status.COMPLETED, Break.Status.CANCELLED]
        )
        .select_related("review")
        .order_by("-starts_at", "-id")
        .first()
    )
    if brk is None:
        return None
    plan = {name: getattr(brk, name) for name in PREVIOUS_PLAN_FIELDS}
    review = getattr(brk, "review", None)
    plan["from_break_id"] = brk.pk
    plan["review"] = (
        {
            "what_helped": review.what_helped,
            "what_was_hard": review.what_was_hard,
            "what_to_change": review.what_to_change,
            "submitted_at": review.submitted_at,
        }
        if review
        else None
    )
    return plan
