"""Reads for check-ins, escalation and the after-break review (writes: planner.checkins).

One rule decides who reads a check-in, and when; the sentence the client reads
(``readers_for``), the dashboard, the pages and the API all apply it (``readable_by``):

1. Outside any break the therapist reads the client's check-ins, though not as they arrive.
2. During a holiday, a gap or an unplanned absence the therapist does not, until the break
   is over (completed, cancelled, or past its end; an open-ended absence has no end yet).
   The covering clinician does while it is not over, only when the client agreed and the
   covering clinician is a colleague with a login (a name alone reads nothing).
3. An ending: before the last session as outside a break; after it nobody but the client.

Nobody watches check-ins in real time; escalation, when agreed, tells someone that the
client asked for support (planner.checkins.services).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.models import User
from planner.breaks.selectors import (
    access_break_for_reading,
    break_in_progress,
    breaks_covered_by,
    ended_therapy_break,
)
from planner.models import (
    DEFAULT_DISTRESS_THRESHOLD,
    Break,
    BreakReview,
    CheckIn,
    Client,
    ConsentRecord,
    Escalation,
)


@dataclass(frozen=True)
class CoveringContact:
    name: str
    email: str
    phone: str
    notes: str = ""

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.phone)


@dataclass(frozen=True)
class Readers:
    """Who reads a client's check-ins, and one plain sentence per fact for the form."""

    therapist_reads_now: bool
    covering_reads_now: bool
    covering_name: str | None
    escalation_active: bool
    statements: list[str] = field(default_factory=list)


def covering_contact(brk: Break | None) -> CoveringContact | None:
    """The covering clinician as the plan names them; the colleague's account fills gaps."""
    if brk is None:
        return None
    raw: dict[str, Any] = brk.covering_clinician if isinstance(brk.covering_clinician, dict) else {}
    user = brk.covering_user
    name = str(raw.get("name") or (user.full_name if user else "")).strip()
    email = str(raw.get("email") or (user.email if user else "")).strip()
    phone = str(raw.get("phone") or (user.phone if user else "")).strip()
    if not (name or email or phone):
        return None
    return CoveringContact(
        name=name or _("your covering clinician"),
        email=email,
        phone=phone,
        notes=str(raw.get("notes") or ""),
    )


def escalation_block_reason(brk: Break | None, client: Client) -> str | None:
    """Why a check-in for ``client`` may not be escalated (None: it may, consent-wise)."""
    if brk is None:
        return "no_break"
    if brk.kind == Break.Kind.ENDING and break_is_over(brk):
        return "therapy_ended"
    if not brk.escalation_enabled:
        return "not_enabled"
    if brk.escalation_consent_at is None:
        return "no_consent"
    # Consent is versioned; a withdrawal recorded after the plan's consent wins.
    latest = (
        ConsentRecord.objects.filter(client=client, subject=ConsentRecord.Subject.ESCALATION)
        .order_by("-recorded_at", "-id")
        .first()
    )
    if latest and not latest.granted and latest.recorded_at >= brk.escalation_consent_at:
        return "consent_withdrawn"
    return None


def break_is_over(brk: Break, now: datetime | None = None) -> bool:
    """Whether a break is over for the rule above (an ending: once its last session passed)."""
    now = now or timezone.now()
    if brk.status in (Break.Status.COMPLETED, Break.Status.CANCELLED):
        return True
    if brk.kind == Break.Kind.ENDING:
        last = brk.last_session_at
        return last is not None and last <= now
    return brk.ends_at is not None and brk.ends_at <= now


def check_in_break(client: Client, now: datetime | None = None) -> Break | None:
    """The break a check-in made now belongs to: the break in progress, else the ending
    that closed the client's therapy."""
    return break_in_progress(client, at=now) or ended_therapy_break(client, at=now)


def _over_q(now: datetime) -> Q:
    return Q(break_obj__status__in=[Break.Status.COMPLETED, Break.Status.CANCELLED]) | Q(
        break_obj__ends_at__lte=now
    )


def readable_by(viewer: User, now: datetime | None = None) -> Q:
    """The check-ins ``viewer`` may read now, as a filter on CheckIn (the rule above)."""
    now = now or timezone.now()
    if not viewer.is_authenticated:
        return Q(pk__in=[])
    own = Q(client__user=viewer)
    if not viewer.is_therapist:
        return own
    ending = Q(break_obj__kind=Break.Kind.ENDING)
    before_last = Q(created_at__lt=Coalesce(F("break_obj__ends_at"), F("break_obj__starts_at")))
    therapist = Q(client__therapist=viewer) & (
        Q(break_obj__isnull=True) | (~ending & _over_q(now)) | (ending & before_last)
    )
    covering = (
        Q(
            break_obj__covering_user=viewer,
            break_obj__share_check_ins_with_covering=True,
            break_obj__status__in=Break.LIVE_STATUSES,
        )
        & ~ending
        & ~_over_q(now)
    )
    return own | therapist | covering


def _practice_contact(brk: Break) -> str:
    practice = brk.therapist.practice if brk.therapist_id else None
    if practice is None:
        return _("To reach the practice, use the contact details you have for it.")
    ways = [w for w in (practice.contact_phone, practice.contact_email) if w]
    if not ways:
        return _("To reach %(practice)s, use the contact details you have for it.") % {
            "practice": practice.name
        }
    return _("To reach %(practice)s: %(ways)s.") % {
        "practice": practice.name,
        "ways": _(" or ").join(ways),
    }


def readers_for(client: Client, now: datetime | None = None) -> Readers:
    """Who reads a check-in the client makes now, in sentences, by the rule above."""
    now = now or timezone.now()
    brk = check_in_break(client, now)
    therapist = client.therapist.full_name
    not_watched = _("Nobody watches check-ins in real time.")
    if brk is not None and brk.kind == Break.Kind.ENDING and break_is_over(brk, now):
        return Readers(
            therapist_reads_now=False,
            covering_reads_now=False,
            covering_name=None,
            escalation_active=False,
            statements=[
                _("Therapy has ended, so nobody reviews your check-ins: they are for you alone."),
                _("Sending a check-in does not notify anyone."),
                _practice_contact(brk),
            ],
        )
    if brk is None or brk.kind == Break.Kind.ENDING or break_is_over(brk, now):
        return Readers(
            therapist_reads_now=True,
            covering_reads_now=False,
            covering_name=None,
            escalation_active=False,
            statements=[
                _("%(therapist)s can read your check-ins, but not as you send them.")
                % {"therapist": therapist},
                _("Sending a check-in does not notify anyone."),
                not_watched,
            ],
        )
    contact = covering_contact(brk)
    covering_name = contact.name if contact else None
    # Only a colleague with a login can read anything; a name alone reads nothing.
    covering_reads = bool(brk.share_check_ins_with_covering and brk.covering_user_id)
    therapist_covers = covering_reads and brk.covering_user_id == brk.therapist_id
    statements = []
    if therapist_covers:
        statements.append(
            _("During your break, %(therapist)s reads your check-ins.") % {"therapist": therapist}
        )
    else:
        statements.append(
            _("During your break, %(therapist)s does not read your check-ins.")
            % {"therapist": therapist}
        )
        if covering_reads:
            statements.append(
                _("%(covering)s, who is covering, can read them, because you agreed to that.")
                % {"covering": covering_name}
            )
        else:
            statements.append(_("Nobody else reads them during the break."))
        statements.append(
            _("%(therapist)s will see all of them when the break is over.")
            % {"therapist": therapist}
        )
    escalation_active = (
        escalation_block_reason(brk, client) is None and contact is not None and contact.reachable
    )
    if escalation_active:
        statements.append(
            _(
                "If you ask for support, or your distress is %(threshold)s or more, "
                "%(covering)s is told that you asked, because you agreed to that."
            )
            % {"threshold": brk.distress_threshold, "covering": covering_name}
        )
    else:
        statements.append(_("Sending a check-in does not notify anyone."))
    statements.append(not_watched)
    return Readers(
        therapist_reads_now=therapist_covers,
        covering_reads_now=covering_reads,
        covering_name=covering_name,
        escalation_active=escalation_active,
        statements=statements,
    )


def check_ins_for_break(
    *, brk: Break, viewer: User, now: datetime | None = None
) -> QuerySet[CheckIn]:
    """The check-ins of ``brk`` that ``viewer`` may read now (the rule above)."""
    return (
        CheckIn.objects.filter(readable_by(viewer, now), break_obj=brk)
        .distinct()
        .order_by("-created_at", "-id")
    )


def review_for_break(*, brk: Break) -> BreakReview | None:
    return BreakReview.objects.filter(break_obj=brk).first()


def review_is_open(brk: Break, now: datetime | None = None) -> bool:
    """The review opens on the return day (in the break's time zone) or once completed."""
    now = now or timezone.now()
    if brk.status == Break.Status.COMPLETED:
        return True
    if brk.status not in Break.LIVE_STATUSES:
        return False
    returns_at = brk.return_session_at or brk.ends_at
    if returns_at is None:
        return False
    tz = ZoneInfo(brk.timezone or "UTC")
    return now.astimezone(tz).date() >= returns_at.astimezone(tz).date()


def review_invitation_for(client: Client, now: datetime | None = None) -> Break | None:
    """The break whose after-break review the client is invited to now, if any: the review
    is open (from the return day) and not yet given, for a break that ended in the last
    30 days."""
    now = now or timezone.now()
    recent = (
        client.breaks.filter(
            status__in=[*Break.LIVE_STATUSES, Break.Status.COMPLETED],
            review__isnull=True,
            starts_at__lte=now,
            starts_at__gte=now - timedelta(days=400),
        )
        .exclude(kind=Break.Kind.ENDING)
        .order_by("-starts_at")
    )
    for brk in recent[:3]:
        returns_at = brk.return_session_at or brk.ends_at
        if returns_at and returns_at >= now - timedelta(days=30) and review_is_open(brk, now):
            return brk
    return None


# --- The therapist's and the covering clinician's view ------------------------------


def support_check_ins_for_therapist(therapist: User, *, days: int = 14) -> QuerySet[CheckIn]:
    """Recent check-ins of the therapist's clients that asked for support, and that the
    therapist may read now (the rule above: none from a break still in progress). Recent:
    made in the last ``days``, or during a break that ended in the last ``days`` (so the
    requests of a whole break are there when the therapist comes back).

    A check-in asks for support when the client ticked "I need support now" or rated their
    distress at or above the break's threshold (the default threshold without a break).
    """
    if not therapist.is_authenticated or not therapist.is_therapist:
        return CheckIn.objects.none()
    now = current_time()
    since = now - timedelta(days=days)
    asked = (
        Q(need_support_now=True)
        | Q(break_obj__isnull=False, distress__gte=F("break_obj__distress_threshold"))
        | Q(break_obj__isnull=True, distress__gte=DEFAULT_DISTRESS_THRESHOLD)
    )
    return (
        CheckIn.objects.filter(
            asked,
            readable_by(therapist, now),
            Q(created_at__gte=since)
            | Q(break_obj__ends_at__gte=since, break_obj__ends_at__lte=now),
            client__therapist=therapist,
            client__deleted_at__isnull=True,
        )
        .select_related("client", "break_obj")
        .order_by("-created_at", "-id")
    )


def check_ins_visible_to(user: User, break_id: object) -> tuple[Break, str, QuerySet[CheckIn]]:
    """A break, the caller's role on it, and its check-ins as that role may read them.

    The break is a 404 for anyone else (the client included: they use /me/), and for a
    covering clinician the client did not share check-ins with. Which check-ins show follows
    the one rule of ``check_ins_for_break``: the therapist reads them once the break is over,
    the covering clinician during it.
    """
    brk, role = access_break_for_reading(user, break_id)
    if role == "therapist" or (role == "covering" and brk.share_check_ins_with_covering):
        return brk, role, check_ins_for_break(brk=brk, viewer=user)
    raise Http404("No such break.")


def access_escalation(
    user: User | None, escalation_id: object, *, granted: Iterable[int] = ()
) -> Escalation:
    """An acknowledged escalation, for the person it was sent to; anyone else gets a 404.

    That is the covering colleague of the break (or whoever acknowledged it) when logged in,
    or, for a link bound to no account, the browser that confirmed the one-time code
    (``granted``: the escalation ids its session holds, for a day). Never a soft-deleted
    client's.
    """
    try:
        pk = int(str(escalation_id))
    except ValueError:
        raise Http404("No such escalation.")
    if not 0 < pk < 2**63:
        raise Http404("No such escalation.")
    escalation = (
        Escalation.objects.select_related("client", "check_in__break_obj")
        .filter(pk=pk, status=Escalation.Status.ACKNOWLEDGED, client__deleted_at__isnull=True)
        .first()
    )
    if escalation is None:
        raise Http404("No such escalation.")
    if pk in set(granted):
        return escalation
    if user is not None and user.is_authenticated:
        brk = escalation.check_in.break_obj
        if escalation.acknowledged_by_id == user.pk or (
            brk is not None and brk.covering_user_id == user.pk
        ):
            return escalation
    raise Http404("No such escalation.")


def api_coverage_for(user: User) -> QuerySet[Break]:
    """Breaks the user covers, with the check-ins that asked for support prefetched: only
    those the user may read now (``readable_by``: the client agreed to share them, the
    covering clinician has a login, and the break is not over)."""
    support = (
        CheckIn.objects.filter(readable_by(user), need_support_now=True)
        .exclude(client__user=user)
        .order_by("-created_at", "-id")
    )
    return (
        breaks_covered_by(user)
        .select_related("client", "covering_user")
        .prefetch_related(Prefetch("check_ins", queryset=support, to_attr="support_check_ins"))
        .order_by("starts_at", "id")
    )
