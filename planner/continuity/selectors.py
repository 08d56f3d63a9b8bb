"""Reads of the continuity room, and who may see what (someone else's object is a 404).

The one rule: the therapist reads their own plan at any time. The colleague they named reads
it, with the call list and each client's contact details, only while staff of the practice
have declared an unplanned absence for the therapist (``live_declared_absences``). Before
that, and for anyone else (other therapists, staff), the list does not exist: a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.timezone import now as current_time

from core.converters import parse_id
from core.models import User
from planner.breaks.selectors import schedule_for_break
from planner.models import Break, Client, ContinuityCall, ContinuityPlan
from planner.onboarding.selectors import colleagues_for_hand_over
from planner.schedule.types import ScheduleError

DECLARED_STATUSES = (Break.Status.DRAFT, Break.Status.SCHEDULED, Break.Status.ACTIVE)


def is_staff_of(user: User, therapist: User) -> bool:
    """Practice staff (not a therapist) of the therapist's practice."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.practice_id is not None
        and user.practice_id == therapist.practice_id
        and (user.role == User.Role.STAFF or user.is_staff)
        and user.role != User.Role.THERAPIST
    )


def _staff_declared(therapist: User) -> QuerySet[Break]:
    """The therapist's unplanned-absence plans still open that staff of their practice
    declared (page or API: ``breaks.services.absence_plan``). A colleague therapist's own
    declaration does not count: only staff open the call list."""
    if therapist.practice_id is None:
        return Break.objects.none()
    return (
        Break.objects.filter(
            therapist=therapist,
            kind=Break.Kind.UNPLANNED,
            status__in=DECLARED_STATUSES,
            client__deleted_at__isnull=True,
            created_by__practice_id=therapist.practice_id,
        )
        .filter(Q(created_by__role=User.Role.STAFF) | Q(created_by__is_staff=True))
        .exclude(created_by__role=User.Role.THERAPIST)
    )


def live_declared_absences(therapist: User, *, at: datetime | None = None) -> QuerySet[Break]:
    """Those of the staff-declared plans that have begun and not ended: the call list is open."""
    at = at or current_time()
    return (
        _staff_declared(therapist)
        .filter(starts_at__lte=at)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    )


def declared_since(therapist: User, *, at: datetime | None = None) -> datetime | None:
    """When the live declared absence began, or None when there is none."""
    first = live_declared_absences(therapist, at=at).order_by("starts_at").first()
    return first.starts_at if first is not None else None


def declared_to_end(therapist: User) -> QuerySet[Break]:
    """Every staff-declared plan of the therapist still open, begun or not (to end them)."""
    return _staff_declared(therapist).select_related("client")


def plan_of(therapist: User) -> ContinuityPlan | None:
    return ContinuityPlan.objects.filter(therapist=therapist).select_related("colleague").first()


def colleagues_for(therapist: User) -> QuerySet[User]:
    """Who a therapist may name, or hand a client to: active therapists of the same
    practice, not themselves (the practice's hand-over rule)."""
    return colleagues_for_hand_over(therapist)


def caseload(therapist: User) -> QuerySet[Client]:
    """The clients the plan is about: current (not archived, not deleted)."""
    return Client.objects.filter(
        therapist=therapist, deleted_at__isnull=True, archived_at__isnull=True
    ).order_by("last_name", "first_name", "id")


def is_open_to(plan: ContinuityPlan, user: User, *, at: datetime | None = None) -> bool:
    """Whether ``user`` (the named colleague) may read the plan's call list now."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_therapist
        and plan.colleague_id == user.pk
        and user.practice_id is not None
        and user.practice_id == plan.therapist.practice_id
        and live_declared_absences(plan.therapist, at=at).exists()
    )


def plans_open_to(user: User, *, at: datetime | None = None) -> list[ContinuityPlan]:
    """The plans whose call list the colleague may read now (their home page lists them)."""
    if not user.is_authenticated or not user.is_therapist:
        return []
    named = ContinuityPlan.objects.filter(colleague=user).select_related("therapist")
    return [plan for plan in named if is_open_to(plan, user, at=at)]


def access_call_list(user: User, therapist_id: object) -> ContinuityPlan:
    """The plan of an absent therapist, for the colleague they named; else a 404."""
    pk = parse_id(therapist_id)
    plan = (
        None
        if pk is None
        else ContinuityPlan.objects.filter(therapist_id=pk)
        .select_related("therapist", "colleague")
        .first()
    )
    if plan is None or not is_open_to(plan, user):
        raise Http404("No such list.")
    return plan


def access_call_client(
    user: User, therapist_id: object, client_id: object
) -> tuple[ContinuityPlan, Client]:
    """A client on an open call list; anything else is a 404."""
    plan = access_call_list(user, therapist_id)
    pk = parse_id(client_id)
    client = None if pk is None else caseload(plan.therapist).filter(pk=pk).first()
    if client is None:
        raise Http404("No such client.")
    return plan, client


@dataclass(frozen=True)
class CallRow:
    client: Client
    needs_call: bool
    calls: list[ContinuityCall]

    @property
    def last_call(self) -> ContinuityCall | None:
        return self.calls[0] if self.calls else None


def phone_first_ids(plan: ContinuityPlan) -> set[int]:
    """The clients who need a call: those the therapist marked, and those whose declared
    plan staff kept back as a draft to call first (nothing is sent to them)."""
    marked = set(plan.call_clients.values_list("pk", flat=True))
    kept = declared_to_end(plan.therapist).filter(status=Break.Status.DRAFT, needs_call=True)
    return marked | set(kept.values_list("client_id", flat=True))


def call_list(plan: ContinuityPlan) -> list[CallRow]:
    """Each current client of the therapist: phone first or not, and the calls made.
    Those who need a call come first."""
    clients = list(caseload(plan.therapist))
    phone = phone_first_ids(plan)
    calls: dict[int, list[ContinuityCall]] = {}
    for call in ContinuityCall.objects.filter(
        plan=plan, client_id__in=[c.pk for c in clients]
    ).select_related("made_by"):
        calls.setdefault(call.client_id, []).append(call)
    rows = [CallRow(c, c.pk in phone, calls.get(c.pk, [])) for c in clients]
    return sorted(rows, key=lambda r: not r.needs_call)


def calls_for(plan: ContinuityPlan, client: Client) -> QuerySet[ContinuityCall]:
    return ContinuityCall.objects.filter(plan=plan, client=client).select_related("made_by")


def hand_over_open(plan: ContinuityPlan, *, at: datetime | None = None) -> bool:
    """Staff said the therapist will not return, during the absence declared now."""
    since = declared_since(plan.therapist, at=at)
    return (
        since is not None
        and plan.will_not_return_at is not None
        and plan.will_not_return_at >= since
    )


# --- The staff's review of the declared plans -----------------------------------------------


@dataclass(frozen=True)
class SendRow:
    """One declared plan as staff review it before sending: whose it is, whether the
    therapist marked the client for a phone call, and when the first message goes (or
    went) out. Nothing of the plan's clinical content: staff are not the therapist."""

    brk: Break
    marked: bool
    first_at: datetime | None
    plannable: bool

    @property
    def is_draft(self) -> bool:
        return self.brk.status == Break.Status.DRAFT


def send_rows(declared: list[Break], plan: ContinuityPlan | None) -> list[SendRow]:
    """The declared plans, each with the date of its first message in the client's zone."""
    marked = set(plan.call_clients.values_list("pk", flat=True)) if plan else set()
    rows = []
    for brk in declared:
        try:
            schedule = schedule_for_break(brk)
        except ScheduleError:
            rows.append(SendRow(brk, brk.client_id in marked, None, False))
            continue
        first = schedule[0].local_send_at if schedule else None
        rows.append(SendRow(brk, brk.client_id in marked, first, True))
    return rows
