"""Check-ins, escalation to the covering clinician, and the after-break review (writes).

Each service runs in one transaction. Messages to people (email, SMS) are sent only by
Celery tasks queued with ``transaction.on_commit``, never inside an open transaction.
Messages carry no clinical content: no distress score, no note, no client name; only a
neutral line and a signed link. Audit rows and logs hold ids and event names only.

Escalation is opt-in per plan and recorded with the client's consent; without it nothing
is sent to anyone and the client is told so. At most one escalation per client within
``ESCALATION_RATE_LIMIT_MINUTES``. When the covering clinician has not acknowledged within
``ESCALATION_ACK_MINUTES``, the fallback sweep tells the practice's fallback contact.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.models import User
from planner import audit, enqueue
from planner.checkins.selectors import (
    DEFAULT_DISTRESS_THRESHOLD,
    CoveringContact,
    access_escalation,
    check_in_break,
    check_ins_visible_to,
    covering_contact,
    escalation_block_reason,
    readers_for,
    review_is_open,
)
from planner.crisis import resources_for_client
from planner.delivery import links, notify
from planner.letters import services as letters
from planner.models import AuditEvent, Break, BreakReview, CheckIn, Client, Escalation
from planner.supportmap.selectors import is_high
from planner.supportmap.services import map_add, replan_client

logger = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 2000
MAX_REVIEW_ANSWER_LENGTH = 2000
ACK_PATH = "/l/escalation/"
SMS_BODY = (
    "A client you are covering for asked for support in Between ({trigger}). Please open: {link}"
)
REPEAT_BODY = (
    "A client you are covering for asked for support again in Between ({trigger}). "
    "Please open: {link}"
)
FALLBACK_BODY = (
    "A client's request for support in Between was not acknowledged by the covering "
    "clinician in time ({trigger}). Please open: {link}"
)
# What triggered an escalation, without clinical detail (no score, no note): the link shows
# the check-in to the person it was sent to.
TRIGGERS = {
    True: "they asked to be contacted",
    False: "a check-in score at their plan's threshold or above",
}
MAX_REPEAT_ALERTS = 3  # repeat requests joining one escalation that alert again


def not_emergency_statement() -> str:
    return _(
        "Between is not monitored in real time and is not an emergency service. "
        "If you are in danger now, call your local emergency number."
    )


@dataclass
class CheckInResult:
    check_in: CheckIn
    support_shown: bool
    coping_strategies: list[Any] = field(default_factory=list)
    support_contacts: list[Any] = field(default_factory=list)
    covering_clinician: CoveringContact | None = None
    crisis_resources: dict = field(default_factory=dict)
    not_emergency_statement: str = ""
    escalated: bool = False
    escalation_message: str = ""
    readers: list[str] = field(default_factory=list)


def audit_write(
    action: str,
    *,
    client: Client | None,
    obj: Any = None,
    actor: User | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> AuditEvent:
    """One audit row (planner.audit). ``detail`` holds ids, counts and channel names, never
    message text."""
    return audit.record(actor, action, client=client, obj=obj, detail=detail, at=at)


def _period(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _validate_check_in(distress: Any, note: str) -> None:
    errors: dict[str, list[str]] = {}
    if isinstance(distress, bool) or not isinstance(distress, int) or not 0 <= distress <= 10:
        errors["distress"] = [_("Choose a number from 0 (none) to 10 (the most).")]
    if not isinstance(note, str):
        errors["note"] = [_("The note must be text.")]
    elif len(note) > MAX_NOTE_LENGTH:
        errors["note"] = [
            _("Please keep the note to %(max)d characters (it has %(n)d).")
            % {"max": MAX_NOTE_LENGTH, "n": len(note)}
        ]
    if errors:
        raise ValidationError(errors)


def checkin_record(
    *,
    client: Client,
    distress: int,
    note: str = "",
    need_support_now: bool = False,
    actor: User | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Record a check-in and answer at once; escalate when the plan and the client allow it."""
    _validate_check_in(distress, note)
    now = now or timezone.now()
    with transaction.atomic():
        # Serialise check-ins of one client, so two at once cannot both pass the rate limit.
        client = Client.objects.select_for_update().select_related("therapist").get(pk=client.pk)
        brk = check_in_break(client, now)
        check_in = CheckIn.objects.create(
            client=client,
            break_obj=brk,
            distress=distress,
            note=note,
            need_support_now=need_support_now,
            created_at=now,
        )
        audit_write(
            "checkin.recorded",
            client=client,
            obj=check_in,
            actor=actor,
            at=now,
            check_in=check_in.pk,
            break_id=brk.pk if brk else None,
        )
        logger.info("checkin.recorded check_in=%s client=%s", check_in.pk, client.pk)
        _lean_after(brk, check_in, client, now)
        threshold = brk.distress_threshold if brk else DEFAULT_DISTRESS_THRESHOLD
        support_shown = need_support_now or distress >= threshold
        if brk is not None and distress >= threshold:
            letters.letters_on_high_check_in(brk=brk, now=now)  # "when a check-in is high"
        # The crisis lines are on every answer; after a high score or a request, first.
        crisis = resources_for_client(client)
        result = CheckInResult(
            check_in=check_in,
            support_shown=support_shown,
            not_emergency_statement=not_emergency_statement(),
            readers=readers_for(client, now).statements,
            crisis_resources=crisis,
        )
        if not support_shown:
            return result
        contact = covering_contact(brk)
        result.coping_strategies = list(brk.coping_strategies) if brk else []
        result.support_contacts = list(brk.support_contacts) if brk else []
        result.covering_clinician = contact
        outcome, _escalation = _maybe_escalate(
            client=client, brk=brk, check_in=check_in, contact=contact, actor=actor, now=now
        )
        result.escalated = outcome in ("created", "repeat")
        result.escalation_message = _escalation_message(
            client=client,
            brk=brk,
            contact=contact,
            outcome=outcome,
            asked=need_support_now,
            crisis=crisis,
        )
    return result


def _lean_after(brk: Break | None, check_in: CheckIn, client: Client, now: datetime) -> None:
    """A high check-in makes the prompts until the next check-in invitation lean to coping
    and grounding, carrying the crisis line; the next check-in that is not high ends it.
    Either way the unsent prompts of the break are planned again."""
    if brk is None or not brk.is_live or brk.activated_at is None:
        return
    before = (
        CheckIn.objects.filter(break_obj=brk, created_at__lte=now)
        .exclude(pk=check_in.pk)
        .order_by("-created_at", "-id")
        .first()
    )
    if is_high(check_in, brk) or (before is not None and is_high(before, brk)):
        replan_client(client, at=now)


def _maybe_escalate(
    *,
    client: Client,
    brk: Break | None,
    check_in: CheckIn,
    contact: CoveringContact | None,
    actor: User | None,
    now: datetime,
) -> tuple[str, Escalation | None]:
    """("blocked" | "no_contact" | "created" | "repeat" | "repeat_quiet", the escalation)."""
    reason = escalation_block_reason(brk, client)
    if reason is not None:
        audit_write(
            "escalation.not_consented",
            client=client,
            obj=check_in,
            actor=actor,
            at=now,
            check_in=check_in.pk,
            reason=reason,
        )
        logger.info("escalation.not_consented check_in=%s reason=%s", check_in.pk, reason)
        return "blocked", None
    assert brk is not None  # escalation_block_reason returns "no_break" otherwise
    if contact is None or not contact.reachable:
        audit_write(
            "escalation.no_contact",
            client=client,
            obj=check_in,
            actor=actor,
            at=now,
            check_in=check_in.pk,
            break_id=brk.pk,
        )
        logger.warning("escalation.no_contact check_in=%s break=%s", check_in.pk, brk.pk)
        return "no_contact", None
    window = timedelta(minutes=settings.ESCALATION_RATE_LIMIT_MINUTES)
    previous = (
        Escalation.objects.filter(client=client, notified_at__gt=now - window)
        .order_by("-notified_at")
        .first()
    )
    if previous is not None:
        # A repeat request joins the open escalation and alerts again (a few times at most).
        repeats = previous.repeats.count()
        check_in.repeat_of = previous
        check_in.escalated = True
        check_in.save(update_fields=["repeat_of", "escalated"])
        alert = repeats < MAX_REPEAT_ALERTS
        audit_write(
            "escalation.repeated",
            client=client,
            obj=check_in,
            actor=actor,
            at=now,
            check_in=check_in.pk,
            escalation=previous.pk,
            alerted=alert,
        )
        logger.info("escalation.repeated check_in=%s escalation=%s", check_in.pk, previous.pk)
        if alert:
            enqueue.on_commit(enqueue.ESCALATION_REPEAT_NOTIFY, check_in.pk)
        return ("repeat" if alert else "repeat_quiet"), previous
    escalation = Escalation.objects.create(
        check_in=check_in,
        client=client,
        notified_at=now,
        acknowledge_by=now + timedelta(minutes=settings.ESCALATION_ACK_MINUTES),
    )
    check_in.escalated = True
    check_in.save(update_fields=["escalated"])
    audit_write(
        "escalation.created",
        client=client,
        obj=escalation,
        actor=actor,
        at=now,
        check_in=check_in.pk,
        break_id=brk.pk,
        covering_user=brk.covering_user_id,
    )
    logger.info("escalation.created escalation=%s check_in=%s", escalation.pk, check_in.pk)

    enqueue.on_commit(enqueue.ESCALATION_NOTIFY, escalation.pk)
    return "created", escalation


def _unsafe_line(crisis: dict) -> str:
    """What to do before anyone calls: always said."""
    if crisis.get("emergency"):
        return _(
            "Nobody may see this straight away. If you feel unsafe before anyone calls, "
            "call %(emergency)s or one of the crisis lines here."
        ) % {"emergency": crisis["emergency"]}
    return _(
        "Nobody may see this straight away. If you feel unsafe before anyone calls, call your "
        "local emergency number or one of the crisis lines here."
    )


def _escalation_message(
    *,
    client: Client,
    brk: Break | None,
    contact: CoveringContact | None,
    outcome: str,
    asked: bool,
    crisis: dict,
) -> str:
    """Exactly what happened and what happens next, then what to do if unsafe meanwhile."""
    unsafe = _unsafe_line(crisis)
    if outcome == "created" and contact is not None:
        said = _("We have asked %(covering)s to contact you.") % {"covering": contact.name}
        practice = client.therapist.practice
        if practice is not None and (
            practice.fallback_contact_email or practice.fallback_contact_phone
        ):
            said += " " + _(
                "If they have not seen it within %(period)s, %(practice)s is asked instead."
            ) % {"period": _period(settings.ESCALATION_ACK_MINUTES), "practice": practice.name}
        return f"{said} {unsafe}"
    if outcome == "repeat" and contact is not None:
        said = (
            _("You asked again, so we have told %(covering)s again.")
            if asked
            else _(
                "This check-in is at your plan's threshold too, so we have told %(covering)s again."
            )
        )
        return said % {"covering": contact.name} + " " + unsafe
    if outcome == "repeat_quiet" and contact is not None:
        return (
            _(
                "%(covering)s has already been told several times in the last %(period)s that "
                "you asked for support."
            )
            % {"covering": contact.name, "period": _period(settings.ESCALATION_RATE_LIMIT_MINUTES)}
            + " "
            + unsafe
        )
    reason = escalation_block_reason(brk, client)
    if reason in ("no_consent", "consent_withdrawn"):
        said = _("You did not agree to escalation, so nobody has been notified.")
    elif reason == "therapy_ended":
        said = _("Therapy has ended, so nobody has been notified.")
    elif reason is not None:
        said = _("Asking for support here is not set up in your plan, so nobody has been notified.")
    else:
        said = _("Your plan has no way to reach a covering clinician, so nobody has been notified.")
    return f"{said} {unsafe}"


def _send_both(
    *, email: str, phone: str, subject: str, body: str, escalation_id: int, step: str
) -> tuple[list[str], list[str]]:
    """Send ``body`` by email and SMS where addresses exist: (channels sent, channels failed)."""
    sent: list[str] = []
    failed: list[str] = []
    for channel, address in (("email", email), ("sms", phone)):
        if not address:
            continue
        try:
            if channel == "email":
                notify.send_plain_email(address, subject, body)
            else:
                notify.send_sms(address, body)
        except Exception as exc:  # any provider failure: recorded, and the fallback covers it
            failed.append(channel)
            logger.warning(
                "%s.failed escalation=%s channel=%s error=%s",
                step,
                escalation_id,
                channel,
                type(exc).__name__,
            )
        else:
            sent.append(channel)
    return sent, failed


def recipient_addresses(escalation: Escalation, recipient: str) -> tuple[str, str]:
    """The email and phone of an escalation's covering clinician or of its practice's
    fallback contact ("" where there is none): where its links, and their codes, go."""
    if recipient == RECIPIENT_FALLBACK:
        practice = escalation.client.therapist.practice
        return (
            practice.fallback_contact_email if practice else "",
            practice.fallback_contact_phone if practice else "",
        )
    contact = covering_contact(escalation.check_in.break_obj)
    return (contact.email, contact.phone) if contact else ("", "")


def _alert(
    escalation: Escalation, *, recipient: str, subject: str, body: str, trigger: str, step: str
) -> tuple[list[str], list[str]]:
    """One escalation message with a link of its own, to the covering clinician (bound to
    their account when they have one; otherwise opening it needs a one-time code sent to the
    same address) or to the practice's fallback contact (bound to nobody, a code as well)."""
    brk = escalation.check_in.break_obj if recipient == RECIPIENT_COVERING else None
    link = links.make_url(
        "escalation-ack",
        ACK_PATH,
        user_id=brk.covering_user_id if brk else None,
        object_id=escalation.pk,
        recipient=recipient,
    )
    email, phone = recipient_addresses(escalation, recipient)
    return _send_both(
        email=email,
        phone=phone,
        subject=subject,
        body=body.format(link=link, trigger=trigger),
        escalation_id=escalation.pk,
        step=step,
    )


def escalation_notify(*, escalation_id: int, now: datetime | None = None) -> list[str]:
    """Message the covering clinician once (a redelivered task finds the claim taken).

    Returns the channels that were sent. When nothing could be sent, the fallback is
    brought forward to now so the sweep tells the practice at its next run.
    """
    now = now or timezone.now()
    claimed = (
        Escalation.objects.filter(id=escalation_id, covering_notified_at=None).update(
            covering_notified_at=now
        )
        == 1
    )
    if not claimed:
        return []
    escalation = Escalation.objects.select_related(
        "client", "check_in__break_obj__covering_user"
    ).get(pk=escalation_id)
    brk = escalation.check_in.break_obj
    sent, failed = _alert(
        escalation,
        recipient=RECIPIENT_COVERING,
        subject="Between: a client asked for support",
        body=SMS_BODY,
        trigger=TRIGGERS[escalation.check_in.need_support_now],
        step="escalation.notify",
    )
    audit_write(
        "escalation.notified",
        client=escalation.client,
        obj=escalation,
        at=now,
        check_in=escalation.check_in_id,
        covering_user=brk.covering_user_id if brk else None,
        channels=sent,
        failed=failed,
    )
    logger.info("escalation.notified escalation=%s channels=%s", escalation.pk, sent)
    if not sent:
        Escalation.objects.filter(id=escalation.pk, status=Escalation.Status.NOTIFIED).update(
            acknowledge_by=now
        )
        audit_write(
            "escalation.notify_failed",
            client=escalation.client,
            obj=escalation,
            at=now,
            check_in=escalation.check_in_id,
        )
    return sent


def escalation_repeat_notify(*, check_in_id: int, now: datetime | None = None) -> list[str]:
    """Alert again for a repeat request joined to an open escalation: the covering
    clinician, and the practice's fallback contact too once it was told. Claimed once."""
    now = now or timezone.now()
    claimed = CheckIn.objects.filter(
        pk=check_in_id, repeat_of__isnull=False, repeat_notified_at=None
    ).update(repeat_notified_at=now)
    if claimed != 1:
        return []
    check_in = CheckIn.objects.select_related(
        "repeat_of__client__therapist__practice", "repeat_of__check_in__break_obj__covering_user"
    ).get(pk=check_in_id)
    escalation = check_in.repeat_of
    assert escalation is not None
    trigger = TRIGGERS[check_in.need_support_now]
    subject = "Between: a client asked for support again"
    sent, failed = _alert(
        escalation,
        recipient=RECIPIENT_COVERING,
        subject=subject,
        body=REPEAT_BODY,
        trigger=trigger,
        step="escalation.repeat",
    )
    if escalation.status == Escalation.Status.FALLBACK_NOTIFIED:
        more, more_failed = _alert(
            escalation,
            recipient=RECIPIENT_FALLBACK,
            subject=subject,
            body=REPEAT_BODY,
            trigger=trigger,
            step="escalation.repeat_fallback",
        )
        sent, failed = sent + [f"fallback-{c}" for c in more], failed + more_failed
    audit_write(
        "escalation.repeat_notified",
        client=escalation.client,
        obj=escalation,
        at=now,
        check_in=check_in.pk,
        channels=sent,
        failed=failed,
    )
    logger.info("escalation.repeat_notified escalation=%s channels=%s", escalation.pk, sent)
    return sent


RECIPIENT_COVERING = "covering"
RECIPIENT_FALLBACK = "fallback"
CODE_MINUTES = 10
CODE_TRIES = 5
CODES_PER_HOUR = 3
CODE_BODY = "Your Between code is {code}. It works for {minutes} minutes. Do not share it."


class LoginNeeded(Exception):
    """The link was sent to a person with an account: they must be logged in as themselves."""


@dataclass(frozen=True)
class AckLink:
    """What an escalation link is, once its signature and age are checked."""

    escalation: Escalation
    payload: links.LinkPayload

    @property
    def bound(self) -> bool:
        """Sent to a colleague's account (who logs in), or to an address (a one-time code)."""
        return self.payload.user_id is not None

    @property
    def recipient(self) -> str:
        if self.payload.recipient in (RECIPIENT_COVERING, RECIPIENT_FALLBACK):
            return self.payload.recipient
        # A link made before links named their recipient.
        fallback = self.escalation.fallback_notified_at is not None
        return RECIPIENT_FALLBACK if fallback else RECIPIENT_COVERING


def escalation_link(*, token: str, allow_used: bool = False) -> AckLink:
    """The escalation a valid ack link points to (raises ``links.LinkError``)."""
    payload = links.read(token, "escalation-ack", allow_used=allow_used)
    if payload.object_id is None:
        raise links.LinkError("invalid")
    escalation = (
        Escalation.objects.select_related("client", "check_in__break_obj__covering_user")
        .filter(pk=payload.object_id)
        .first()
    )
    if escalation is None:
        raise links.LinkError("invalid")
    return AckLink(escalation, payload)


def escalation_for_token(*, token: str) -> Escalation:
    """The escalation a still-valid ack link points to (raises ``links.LinkError``)."""
    return escalation_link(token=token).escalation


def check_link_holder(link: AckLink, user: User | None) -> None:
    """A bound link needs its named recipient logged in: ``LoginNeeded`` for nobody,
    ``PermissionDenied`` for somebody else."""
    if not link.bound:
        return
    if user is None or not user.is_authenticated:
        raise LoginNeeded()
    if user.pk != link.payload.user_id:
        raise PermissionDenied("This link was sent to someone else.")


def _code_digest(nonce: str, code: str) -> str:
    return salted_hmac("between.escalation-code", f"{nonce}:{code}").hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    """What the browser that asked for a code keeps (in its session): never the code."""

    nonce: str
    digest: str
    expires_at: datetime
    channels: list[str]


def escalation_code_send(*, token: str, now: datetime | None = None) -> IssuedCode:
    """Send a one-time code to the address a link bound to no account was sent to.

    The link alone does not open the check-in: an email forwarded, a link copied from a log
    or a shared phone is not enough, the code goes to the practice's (or the covering
    clinician's) own address at the moment of use. At most CODES_PER_HOUR per escalation.
    Raises ``links.LinkError`` and ``ValidationError``.
    """
    now = now or timezone.now()
    link = escalation_link(token=token)
    if link.bound:
        raise ValidationError(_("This link is for a person with an account: log in instead."))
    escalation = link.escalation
    recent = AuditEvent.objects.filter(
        action="escalation.code_sent",
        object_type="escalation",
        object_id=str(escalation.pk),
        at__gt=now - timedelta(hours=1),
    ).count()
    if recent >= CODES_PER_HOUR:
        raise ValidationError(_("Too many codes were sent for this request. Try again later."))
    email, phone = recipient_addresses(link.escalation, link.recipient)  # the code goes there too
    code = f"{secrets.randbelow(10**6):06d}"
    sent, failed = _send_both(
        email=email,
        phone=phone,
        subject="Between: your code",
        body=CODE_BODY.format(code=code, minutes=CODE_MINUTES),
        escalation_id=escalation.pk,
        step="escalation.code",
    )
    audit_write(
        "escalation.code_sent",
        client=escalation.client,
        obj=escalation,
        at=now,
        recipient=link.recipient,
        channels=sent,
        failed=failed,
    )
    if not sent:
        raise ValidationError(_("The code could not be sent. Please contact the practice."))
    return IssuedCode(
        nonce=link.payload.nonce,
        digest=_code_digest(link.payload.nonce, code),
        expires_at=now + timedelta(minutes=CODE_MINUTES),
        channels=sent,
    )


def escalation_code_matches(
    *, issued: IssuedCode, token: str, code: str, now: datetime | None = None
) -> bool:
    """Whether ``code`` is the one sent for this link, and still in time."""
    now = now or timezone.now()
    payload = links.read(token, "escalation-ack")
    if issued.nonce != payload.nonce or now > issued.expires_at:
        return False
    cleaned = "".join(ch for ch in str(code) if ch.isdigit())
    return constant_time_compare(issued.digest, _code_digest(payload.nonce, cleaned))


def escalation_acknowledge(
    *,
    token: str,
    user: User | None = None,
    code_confirmed: bool = False,
    now: datetime | None = None,
) -> Escalation:
    """Acknowledge through the signed link: single use, by the person it was sent to.

    A link bound to the covering colleague's account needs them logged in (``LoginNeeded``
    otherwise, ``PermissionDenied`` for someone else logged in); a link bound to no account
    (the practice's fallback contact, a covering clinician named only in the plan) needs the
    one-time code sent to its address (``code_confirmed``). The acknowledgement is recorded
    as whoever it really was: the logged-in user, or nobody with ``via: code``.
    Raises ``links.LinkError`` for a bad, expired or used link.
    """
    now = now or timezone.now()
    link = escalation_link(token=token)
    check_link_holder(link, user)
    if not link.bound and not code_confirmed:
        raise PermissionDenied("A one-time code is needed.")
    signed_in = user is not None and user.is_authenticated
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().filter(pk=link.escalation.pk).first()
        if escalation is None:
            raise links.LinkError("invalid")
        links.consume(link.payload)
        acknowledger = user.pk if link.bound and user is not None else None
        after_fallback = escalation.status == Escalation.Status.FALLBACK_NOTIFIED
        changed = Escalation.objects.filter(
            pk=escalation.pk,
            status__in=[Escalation.Status.NOTIFIED, Escalation.Status.FALLBACK_NOTIFIED],
        ).update(
            status=Escalation.Status.ACKNOWLEDGED,
            acknowledged_at=now,
            acknowledged_by_id=acknowledger,
        )
        if changed:
            audit_write(
                "escalation.acknowledged",
                client=escalation.client,
                obj=escalation,
                actor=user if signed_in else None,
                at=now,
                check_in=escalation.check_in_id,
                acknowledged_by=acknowledger,
                after_fallback=after_fallback,
                via="login" if link.bound else "code",
                recipient=link.recipient,
            )
            logger.info("escalation.acknowledged escalation=%s", escalation.pk)
        escalation.refresh_from_db()
    return escalation


def escalation_read(
    *, user: User | None, escalation_id: object, granted: Iterable[int] = ()
) -> Escalation:
    """Open an acknowledged escalation's check-in for the person it was sent to (404 for
    anyone else; see ``selectors.access_escalation``); the read goes in the audit trail."""
    escalation = access_escalation(user, escalation_id, granted=granted)
    signed_in = user is not None and user.is_authenticated
    audit.record_read(
        user if signed_in else None,
        "checkin",
        escalation.check_in,
        escalation.client,
        detail={"escalation": escalation.pk},
    )
    return escalation


def escalation_fallback_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Tell the practice's fallback contact about escalations unacknowledged in time.

    Each escalation is claimed with a conditional update (status notified -> fallback
    notified) before anything is sent, so overlapping sweeps and a racing acknowledgement
    cannot both win, and a second run sends nothing.
    """
    now = now or timezone.now()
    due = list(
        Escalation.objects.filter(status=Escalation.Status.NOTIFIED, acknowledge_by__lte=now)
        .order_by("acknowledge_by")
        .values_list("id", flat=True)[:limit]
    )
    count = 0
    for escalation_id in due:
        claimed = (
            Escalation.objects.filter(id=escalation_id, status=Escalation.Status.NOTIFIED).update(
                status=Escalation.Status.FALLBACK_NOTIFIED, fallback_notified_at=now
            )
            == 1
        )
        if claimed:
            _notify_fallback(escalation_id=escalation_id, now=now)
            count += 1
    return count


def _notify_fallback(*, escalation_id: int, now: datetime) -> None:
    escalation = Escalation.objects.select_related("client__therapist__practice", "check_in").get(
        pk=escalation_id
    )
    practice = escalation.client.therapist.practice
    email, phone = recipient_addresses(escalation, RECIPIENT_FALLBACK)
    if not (email or phone):
        audit_write(
            "escalation.fallback_missing",
            client=escalation.client,
            obj=escalation,
            at=now,
            check_in=escalation.check_in_id,
            practice=practice.pk if practice else None,
        )
        logger.error("escalation.fallback_missing escalation=%s", escalation.pk)
        return
    sent, failed = _alert(
        escalation,
        recipient=RECIPIENT_FALLBACK,
        subject="Between: a support request was not acknowledged",
        body=FALLBACK_BODY,
        trigger=TRIGGERS[escalation.check_in.need_support_now],
        step="escalation.fallback",
    )
    audit_write(
        "escalation.fallback_notified",
        client=escalation.client,
        obj=escalation,
        at=now,
        check_in=escalation.check_in_id,
        practice=practice.pk if practice else None,
        channels=sent,
        failed=failed,
    )
    logger.info("escalation.fallback_notified escalation=%s channels=%s", escalation.pk, sent)


def check_ins_read(*, user: User, break_id: object) -> tuple[Break, str, list[CheckIn]]:
    """Open a break's check-ins for its therapist or covering clinician (404 for anyone else,
    see ``check_ins_visible_to``); the reads of the break and of its check-ins are audited."""
    brk, role, check_ins = check_ins_visible_to(user, break_id)
    visible = list(check_ins)
    audit.record_read(user, "break", brk, brk.client_id)
    # Recorded even when the list is empty: the caller was let in to read them.
    audit.record_read(user, "checkin", brk, brk.client_id, detail={"check_ins": len(visible)})
    return brk, role, visible


def break_review_submit(
    *,
    brk: Break,
    what_helped: str = "",
    what_was_hard: str = "",
    what_to_change: str = "",
    map_name: str = "",
    map_kind: str = "person",
    map_needs: Iterable[str] = (),
    actor: User | None = None,
    now: datetime | None = None,
) -> BreakReview:
    """Save the client's after-break review (three short answers; editable, one per break).

    Who or what helped can go on the support map too (``map_name``): the map grows from
    break to break."""
    now = now or timezone.now()
    answers = {
        "what_helped": what_helped.strip(),
        "what_was_hard": what_was_hard.strip(),
        "what_to_change": what_to_change.strip(),
    }
    errors: dict[str, list[str]] = {}
    for name, value in answers.items():
        if len(value) > MAX_REVIEW_ANSWER_LENGTH:
            errors[name] = [
                _("Please keep this to %(max)d characters.") % {"max": MAX_REVIEW_ANSWER_LENGTH}
            ]
    if not any(answers.values()) and not map_name.strip():
        errors["what_helped"] = [_("Answer at least one question, in a few words if you like.")]
    if not review_is_open(brk, now):
        raise ValidationError(_("The review opens on the day you return."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review, created = BreakReview.objects.update_or_create(
            break_obj=brk, defaults={**answers, "submitted_at": now}
        )
        audit_write(
            "review.submitted" if created else "review.updated",
            client=brk.client,
            obj=review,
            actor=actor,
            at=now,
            break_id=brk.pk,
        )
        if map_name.strip():
            try:
                map_add(
                    client=brk.client,
                    kind=map_kind,
                    name=map_name,
                    needs=list(map_needs),
                    actor=actor,
                    source=f"review:{brk.pk}",
                )
            except ValidationError as error:
                raise ValidationError({"map_name": error.messages}) from None
    logger.info("review.submitted break=%s", brk.pk)
    return review
