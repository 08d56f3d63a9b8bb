"""Every write of the continuity room: the therapist's plan, the staff's declaration (and
its end), the colleague's call records, and handing a client over.

The declaration is the existing unplanned absence declared for another therapist
(``breaks.services.absence_plan``, as the API declares it): one draft plan per client,
nothing sent. The clients the therapist marked for a phone call are marked so on their plan.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.models import User
from planner import audit, enqueue
from planner.breaks import selectors as break_selectors
from planner.breaks import services as break_services
from planner.breaks.validation import invalid
from planner.continuity import selectors
from planner.delivery import links, notify
from planner.delivery.outbox import NEUTRAL_TEXT
from planner.models import Break, Client, ContinuityCall, ContinuityPlan, InboxMessage

logger = logging.getLogger(__name__)

SCRIPT_MAX = 4000
NOTE_MAX = 2000
HANDOVER_CATEGORY = "handover"


# --- The therapist's plan ------------------------------------------------------------------


@transaction.atomic
def plan_save(
    *,
    therapist: User,
    colleague: User | None,
    script: str,
    call_clients: Iterable[Client],
) -> ContinuityPlan:
    """Name the colleague (an active therapist of the same practice, not oneself), the words
    to use, and the clients who need a phone call rather than a message."""
    if not therapist.is_therapist:
        raise invalid("therapist", _("Only a therapist has a continuity plan."))
    if (
        colleague is not None
        and not selectors.colleagues_for(therapist).filter(pk=colleague.pk).exists()
    ):
        raise invalid("colleague", _("Choose an active therapist of your practice, not yourself."))
    script = (script or "").strip()
    if len(script) > SCRIPT_MAX:
        raise invalid("script", _("Keep it under %(n)s characters.") % {"n": SCRIPT_MAX})
    chosen = list(call_clients)
    own = set(selectors.caseload(therapist).values_list("pk", flat=True))
    if any(c.pk not in own for c in chosen):
        raise invalid("call_clients", _("Choose only your own current clients."))
    plan, _created = ContinuityPlan.objects.get_or_create(therapist=therapist)
    plan.colleague = colleague
    plan.script = script
    plan.save(update_fields=["colleague", "script", "updated_at"])
    plan.call_clients.set(chosen)
    audit.record(
        therapist,
        "continuity.saved",
        obj=plan,
        detail={"colleague": colleague.pk if colleague else None, "phone_first": len(chosen)},
    )
    return plan


# --- The staff's declaration ---------------------------------------------------------------


def _check_staff(staff: User, therapist: User) -> None:
    if not therapist.is_therapist or not selectors.is_staff_of(staff, therapist):
        raise invalid("therapist", _("Unknown therapist."))


@transaction.atomic
def absence_declare(
    *,
    staff: User,
    therapist: User,
    starts_at: datetime,
    sessions_plan: str,
    at: datetime | None = None,
) -> list[Break]:
    """Staff declare an unplanned absence for a therapist of their practice: a draft plan for
    each current client (nothing is sent), the clients of the therapist's continuity plan
    marked for a phone call. From ``starts_at`` the named colleague sees the call list."""
    at = at or current_time()
    _check_staff(staff, therapist)
    if selectors.declared_to_end(therapist).exists():
        raise invalid("starts_at", _("An absence is already declared for this therapist."))
    if starts_at > at + timedelta(days=1):
        raise invalid("starts_at", _("Declare an absence that has begun or begins today."))
    eligible = set(selectors.caseload(therapist).values_list("pk", flat=True))
    eligible -= break_selectors.former_client_ids(therapist, at=at)
    if not eligible:
        raise invalid("therapist", _("This therapist has no current clients."))
    plan = selectors.plan_of(therapist)
    phone = set(plan.call_clients.values_list("pk", flat=True)) if plan else set()
    breaks = break_services.absence_plan(
        actor=staff,
        therapist=therapist,
        clients="all",
        call_first=sorted(phone & eligible),
        at=at,
        kind=Break.Kind.UNPLANNED.value,
        starts_at=starts_at,
        sessions_plan=sessions_plan,
    )
    audit.record(staff, "absence.declared", obj=therapist, detail={"plans": len(breaks)})
    logger.info("continuity.declared therapist=%s plans=%s", therapist.pk, len(breaks))
    return breaks


@transaction.atomic
def absence_end(*, staff: User, therapist: User, at: datetime | None = None) -> int:
    """The declared absence is over: its plans are cancelled (nothing more is sent from
    them), the call list closes, and "will not return" is cleared. Returns how many ended."""
    at = at or current_time()
    _check_staff(staff, therapist)
    breaks = list(selectors.declared_to_end(therapist))
    if not breaks:
        raise invalid("therapist", _("No absence is declared for this therapist."))
    for brk in breaks:
        break_services.break_cancel(brk=brk, actor=staff, at=at)
    ContinuityPlan.objects.filter(therapist=therapist).update(
        will_not_return_at=None, will_not_return_by=None
    )
    audit.record(staff, "absence.ended", obj=therapist, detail={"plans": len(breaks)})
    return len(breaks)


@transaction.atomic
def will_not_return_mark(*, staff: User, therapist: User, at: datetime | None = None) -> None:
    """Staff say the therapist will not come back: the colleague may hand clients over."""
    at = at or current_time()
    _check_staff(staff, therapist)
    if not selectors.live_declared_absences(therapist, at=at).exists():
        raise invalid("therapist", _("Declare the absence first."))
    plan, _created = ContinuityPlan.objects.get_or_create(therapist=therapist)
    plan.will_not_return_at = at
    plan.will_not_return_by = staff
    plan.save(update_fields=["will_not_return_at", "will_not_return_by", "updated_at"])
    audit.record(staff, "absence.will_not_return", obj=therapist)


# --- The colleague's list and calls --------------------------------------------------------


def call_list_read(*, user: User, therapist_id: object) -> ContinuityPlan:
    """Open the call list for the colleague (404 otherwise); the read is audited."""
    plan = selectors.access_call_list(user, therapist_id)
    audit.record_read(user, "continuity", plan, None)
    return plan


def call_client_read(
    *, user: User, therapist_id: object, client_id: object
) -> tuple[ContinuityPlan, Client]:
    """Open one client's contact details and calls for the colleague; the read is audited."""
    plan, client = selectors.access_call_client(user, therapist_id, client_id)
    audit.record_read(user, "continuity", client, client)
    return plan, client


@transaction.atomic
def call_record(
    *,
    plan: ContinuityPlan,
    client: Client,
    actor: User,
    called_at: datetime | None,
    outcome: str,
    note: str = "",
    at: datetime | None = None,
) -> ContinuityCall:
    """A call the colleague made: when, how it went, a note. The audit row has no note."""
    at = at or current_time()
    if not selectors.is_open_to(plan, actor, at=at) or client.therapist_id != plan.therapist_id:
        raise invalid("client", _("This call list is closed."))
    if called_at is None:
        raise invalid("called_at", _("This field is required."))
    if called_at > at + timedelta(minutes=5):
        raise invalid("called_at", _("Record a call once it has been made."))
    if called_at < at - timedelta(days=60):
        raise invalid("called_at", _("That is too long ago for this absence."))
    if outcome not in ContinuityCall.Outcome.values:
        raise invalid("outcome", _("Choose how the call went."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise invalid("note", _("Keep it under %(n)s characters.") % {"n": NOTE_MAX})
    call = ContinuityCall.objects.create(
        plan=plan,
        client=client,
        made_by=actor,
        called_at=called_at,
        outcome=outcome,
        note=note,
        recorded_at=at,
    )
    audit.record(
        actor, "continuity.call_recorded", client=client, obj=call, detail={"outcome": outcome}
    )
    return call


# --- Handing a client over -----------------------------------------------------------------


def handover_text(client: Client, to: User) -> str:
    """The client's inbox message: who their therapist is now, what stays; no dates."""
    practice = to.practice
    text = _(
        "%(old)s cannot continue as your therapist. From now on your therapist at "
        "%(practice)s is %(new)s. Your plan, your check-ins and your messages stay here as "
        "they were."
    ) % {
        "old": client.therapist.first_name or _("Your therapist"),
        "practice": practice.name if practice else _("the practice"),
        "new": to.full_name,
    }
    if practice is not None and (practice.contact_phone or practice.contact_email):
        reach = " / ".join(v for v in (practice.contact_phone, practice.contact_email) if v)
        text += " " + _("To talk about what happens next, you can reach the practice: %(how)s.") % {
            "how": reach
        }
    return text


@transaction.atomic
def client_hand_over(
    *,
    plan: ContinuityPlan,
    client: Client,
    to: User,
    actor: User,
    at: datetime | None = None,
) -> Client:
    """The colleague hands a client of a therapist who will not return over to another
    therapist of the practice. The client's breaks, check-ins and messages stay with them
    and follow to the new therapist; the declared absence plan of this client ends; the old
    therapist no longer sees the client; the client is told (inbox, and a neutral line with
    a link by their usual email or SMS)."""
    at = at or current_time()
    old = plan.therapist
    if not selectors.is_open_to(plan, actor, at=at) or client.therapist_id != old.pk:
        raise invalid("client", _("This call list is closed."))
    if not selectors.hand_over_open(plan, at=at):
        raise invalid(
            "to", _("Clients are handed over only once staff say the therapist will not return.")
        )
    if not selectors.colleagues_for(old).filter(pk=to.pk).exists():
        raise invalid("to", _("Choose an active therapist of the practice."))
    text = handover_text(client, to)
    for brk in selectors.declared_to_end(old).filter(client=client):
        break_services.break_cancel(brk=brk, actor=actor, at=at)
    Client.objects.filter(pk=client.pk).update(therapist=to)
    Break.objects.filter(client=client, therapist=old).update(therapist=to)
    # A plan the old therapist wrote would otherwise read as one they declared for the new
    # therapist (``access_break_for_reading``'s "declarer"); the audit trail keeps who wrote it.
    Break.objects.filter(client=client, created_by=old).update(created_by=None)
    Break.objects.filter(client=client, covering_user=to).update(covering_user=None)
    plan.call_clients.remove(client)
    client.therapist = to
    InboxMessage.objects.create(
        client=client, category=HANDOVER_CATEGORY, text=text, delivered_at=at
    )
    audit.record(
        actor, "client.handed_over", client=client, obj=client, detail={"from": old.pk, "to": to.pk}
    )
    enqueue.on_commit(enqueue.CONTINUITY_HANDOVER_NOTICE, client.pk)
    logger.info("continuity.hand_over client=%s from=%s to=%s", client.pk, old.pk, to.pk)
    return client


def handover_notice_send(*, client_id: int) -> list[str]:
    """After the commit: a neutral line and a link to the inbox by each external channel the
    client has switched on. Returns the channels used."""
    client = Client.objects.filter(pk=client_id, deleted_at__isnull=True).first()
    if client is None:
        return []
    body = NEUTRAL_TEXT
    if client.user_id is not None:
        body += "\n" + links.make_url("inbox", "/l/inbox/", user_id=client.user_id)
    sent = []
    channels = client.channels or []
    if "email" in channels and client.email:
        notify.send_plain_email(client.email, _("A new message in Between"), body + "\n")
        sent.append("email")
    if "sms" in channels and client.phone:
        notify.send_sms(client.phone, body)
        sent.append("sms")
    logger.info("continuity.hand_over_notice client=%s channels=%s", client_id, ",".join(sent))
    return sent
