"""Invitations and passwords: every write of onboarding, one transaction each.

An invitation is a row; its link carries a random token of which only the hash is stored
(see ``planner.models.Invitation``). The token is minted by ``invitation_mint`` right before
it is handed out: by the Celery task that emails it (``invitation_email_send``, after the
transaction that created the invitation has committed) or by ``manage.py createpractice``,
which prints it. Minting again replaces the hash, so only the newest link works.

No email is sent inside a transaction: the services queue a task by name on commit.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.auth import record_reset_request
from core.models import Practice, User
from core.tokens import revoke_tokens
from planner import audit, enqueue
from planner.breaks import services as break_services
from planner.breaks.validation import (
    check_country,
    check_prompt_times,
    check_timezone,
    invalid,
    parse_hhmm,
)
from planner.crisis import practice_row_problems
from planner.models import Break, Client, ConsentRecord, Invitation, PracticeCrisisResource
from planner.onboarding import selectors
from planner.privacy import consent

logger = logging.getLogger(__name__)

INVITATION_PATH = "/invitations/"
MEMBER_ROLES = (User.Role.THERAPIST, User.Role.STAFF)


class InvitationUnusable(Exception):
    """The invitation was used, withdrawn or expired, or its address got a login meanwhile."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}{INVITATION_PATH}{token}/"


def _address_message(reason: str) -> str:
    if reason == "login":
        return _("This email address already belongs to a Between login.")
    return _("This email address has a pending invitation for someone else.")


# --- Sending ------------------------------------------------------------------------------------


@transaction.atomic
def invitation_client_send(
    *, client: Client, actor: User, at: datetime | None = None, email: bool = True
) -> Invitation:
    """Invite a client to set a password (a new link each time: the previous one stops
    working). The email is sent by a task once this commits; with ``email=False`` nothing is
    sent and the caller hands the link out itself (``invitation_hand_out``: the demo)."""
    at = at or current_time()
    if client.deleted_at is not None or client.therapist_id != actor.pk:
        raise invalid("client", _("Unknown client."))
    if client.user_id is not None:
        raise ValidationError(_("This client has already joined Between."))
    if client.archived_at is not None:
        raise ValidationError(_("This client is archived; restore them to invite them."))
    if not client.email:
        raise invalid("email", _("Add an email address for this client before inviting them."))
    practice = client.therapist.practice
    if practice is None:
        raise ValidationError(_("Your login belongs to no practice, so it cannot invite."))
    in_use = selectors.address_in_use(client.email, except_client=client)
    if in_use:
        raise invalid("email", _address_message(in_use))
    Invitation.objects.filter(
        client=client, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=at)
    invitation = Invitation.objects.create(
        practice=practice,
        role=User.Role.CLIENT,
        email=client.email.strip().lower(),
        first_name=client.first_name,
        last_name=client.last_name,
        client=client,
        invited_by=actor,
        created_at=at,
    )
    audit.record(actor, "invitation.created", client=client, obj=invitation, at=at)
    if email:
        enqueue.on_commit(enqueue.INVITATION_SEND, invitation.pk)
    return invitation


@transaction.atomic
def invitation_member_send(
    *,
    practice: Practice,
    actor: User | None,
    email: str,
    role: str = User.Role.THERAPIST,
    first_name: str = "",
    last_name: str = "",
    send: bool = True,
    at: datetime | None = None,
) -> Invitation:
    """Invite a therapist (or a staff member) of ``practice``. An earlier pending invitation
    of the same address to the same practice is replaced (a resend)."""
    at = at or current_time()
    if role not in MEMBER_ROLES:
        raise invalid("role", _("Invite a therapist or a staff member."))
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise invalid("email", _("Enter a valid email address."))
    same = Invitation.objects.filter(
        practice=practice,
        client__isnull=True,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )
    same.update(revoked_at=at)
    in_use = selectors.address_in_use(email)
    if in_use:
        raise invalid("email", _address_message(in_use))
    invitation = Invitation.objects.create(
        practice=practice,
        role=role,
        email=email,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
        invited_by=actor,
        created_at=at,
    )
    audit.record(actor, "invitation.created", obj=invitation, detail={"role": role}, at=at)
    if send:
        enqueue.on_commit(enqueue.INVITATION_SEND, invitation.pk)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """A new link for a pending member invitation (the old one stops working)."""
    if invitation.client is not None:
        return invitation_client_send(client=invitation.client, actor=actor)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation was already used or withdrawn."))
    return invitation_member_send(
        practice=invitation.practice,
        actor=actor,
        email=invitation.email,
        role=invitation.role,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, actor: User) -> Invitation:
    if invitation.is_pending:
        invitation.revoked_at = current_time()
        invitation.save(update_fields=["revoked_at"])
        audit.record(actor, "invitation.withdrawn", client=invitation.client_id, obj=invitation)
    return invitation


def invitation_mint(*, invitation: Invitation, at: datetime | None = None) -> str:
    """A fresh token for a pending invitation, valid ``INVITATION_DAYS`` from now.

    Only its hash is stored; the previous link of this invitation stops working. The caller
    hands the token out at once and keeps it nowhere.
    """
    at = at or current_time()
    token = secrets.token_urlsafe(32)
    invitation.token_hash = selectors.token_hash(token)
    invitation.expires_at = at + timedelta(days=settings.INVITATION_DAYS)
    invitation.save(update_fields=["token_hash", "expires_at"])
    return token


@transaction.atomic
def invitation_hand_out(*, invitation: Invitation, at: datetime | None = None) -> str:
    """A fresh link for a pending invitation given out without an email (the demo prints it);
    it counts as sent, so the client's page says "invited on ..."."""
    at = at or current_time()
    token = invitation_mint(invitation=invitation, at=at)
    invitation.sent_at = at
    invitation.save(update_fields=["sent_at"])
    return token


def invitation_email_send(*, invitation_id: int) -> bool:
    """The task's body: mint a token for a pending invitation and email its link.

    The token is minted in a short transaction that locks the row and is committed before
    the email goes out; the email names the practice and says nothing clinical. Returns
    False when the invitation is no longer pending (nothing is sent).
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("practice")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or not invitation.is_pending:
            logger.info("invitation.not_sent invitation=%s", invitation_id)
            return False
        token = invitation_mint(invitation=invitation)
    context = {
        "practice": invitation.practice.name,
        "role": invitation.role,
        "link": invitation_url(token),
        "days": settings.INVITATION_DAYS,
    }
    subject = render_to_string("email/invitation_subject.txt", context).strip()
    body = render_to_string("email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email], fail_silently=False)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=current_time())
    logger.info("invitation.sent invitation=%s role=%s", invitation.pk, invitation.role)
    return True


# --- Accepting ----------------------------------------------------------------------------------


def _new_user(invitation: Invitation, first_name: str, last_name: str) -> User:
    return User(
        email=invitation.email,
        role=invitation.role,
        practice=invitation.practice,
        first_name=first_name[:150],
        last_name=last_name[:150],
    )


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    password: str,
    first_name: str | None = None,
    last_name: str | None = None,
    country: str | None = None,
    timezone: str | None = None,
    channels: list[str] | None = None,
    quiet_hours_start: time | None = None,
    quiet_hours_end: time | None = None,
    at: datetime | None = None,
) -> User:
    """Accept an invitation: the login is created with this password and, for a client,
    joined to their record with the country, time zone, channels (each consent recorded)
    and quiet hours they chose. Raises ``InvitationUnusable`` or a field ``ValidationError``;
    either way nothing is changed.
    """
    at = at or current_time()
    locked = (
        Invitation.objects.select_for_update()
        .select_related("practice", "client")
        .get(pk=invitation.pk)
    )
    problem = selectors.invitation_problem(locked, at=at)
    if problem:
        raise InvitationUnusable(problem)
    client = locked.client
    if client is not None:
        first_name, last_name = client.first_name, client.last_name
    user = _new_user(
        locked,
        first_name or locked.first_name,
        last_name if last_name is not None else locked.last_name,
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"new_password1": error.messages})
    user.set_password(password)
    user.date_joined = at
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise InvitationUnusable(selectors.TAKEN)
    claimed = Invitation.objects.filter(
        pk=locked.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(accepted_at=at, user=user)
    if claimed != 1:
        raise InvitationUnusable(selectors.USED)
    if client is not None:
        _join_client(
            client=client,
            user=user,
            at=at,
            settings_data={
                "country": country or client.country,
                "timezone": timezone or client.timezone,
                "quiet_hours_start": quiet_hours_start,
                "quiet_hours_end": quiet_hours_end,
            },
            channels=channels or [],
        )
    audit.record(user, "invitation.accepted", client=client, obj=locked, at=at)
    logger.info("invitation.accepted invitation=%s user=%s", locked.pk, user.pk)
    return user


def _join_client(
    *, client: Client, user: User, at: datetime, settings_data: dict[str, Any], channels: list[str]
) -> None:
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if locked.user_id is not None:
        raise InvitationUnusable(selectors.USED)
    locked.user = user
    locked.save(update_fields=["user"])
    break_services.client_update(client=locked, actor=user, source="invitation", **settings_data)
    # The client's own choice, each channel recorded with its time (even when unchanged from
    # what the therapist had set: this is the client's consent, not the therapist's).
    chosen = [c for c in ("email", "sms") if c in channels]
    if "sms" in chosen and not locked.phone:
        raise invalid("sms", _("Your therapist has no phone number for you."))
    for channel in ("email", "sms"):
        consent.consent_record(
            client=locked,
            subject=getattr(ConsentRecord.Subject, channel.upper()),
            granted=channel in chosen,
            source="invitation",
            actor=user,
            at=at,
        )
    locked.channels = ["inbox", *chosen]
    locked.save(update_fields=["channels"])
    Invitation.objects.filter(
        client=locked, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=at)
    client.user = user


# --- Password reset -------------------------------------------------------------------------------


def password_reset_email_send(*, user_id: int) -> bool:
    """The task's body: email a reset link to an active user with a usable password.

    The link is made here, from Django's token generator (no token passes through the
    queue); it stops working once the password changes or the user logs in.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return False
    context = {
        "link": (
            f"{settings.SITE_URL}/reset/{urlsafe_base64_encode(force_bytes(user.pk))}/"
            f"{default_token_generator.make_token(user)}/"
        ),
        "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
    }
    subject = render_to_string("registration/password_reset_subject.txt", context).strip()
    body = render_to_string("registration/password_reset_email.txt", context)
    send_mail(subject, body, None, [user.email], fail_silently=False)
    logger.info("password_reset.sent user=%s", user.pk)
    return True


def password_reset_request(*, email: str, ip: str | None, at: datetime | None = None) -> None:
    """Count the request (for the throttle) and queue the email when the address has a
    login that may reset. Says nothing about whether it has: the page answers the same."""
    record_reset_request(email=email, ip=ip, at=at)
    users = User.objects.filter(email__iexact=email.strip(), is_active=True)
    for user in users:
        if user.has_usable_password():
            enqueue.on_commit(enqueue.PASSWORD_RESET_SEND, user.pk)


# --- The practice, run by its staff -------------------------------------------------------------

PRACTICE_FIELDS = (
    "name",
    "country",
    "timezone",
    "fallback_contact_name",
    "fallback_contact_email",
    "fallback_contact_phone",
    "default_prompt_times",
    "default_quiet_hours_start",
    "default_quiet_hours_end",
)


@transaction.atomic
def practice_update(*, practice: Practice, actor: User, **data: Any) -> Practice:
    """The practice's own settings: name, country and zone, the fallback contact for
    escalations, and the default prompt times and quiet hours of new clients and breaks."""
    unknown = set(data) - set(PRACTICE_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], _("This setting cannot be changed here."))
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key == "country":
            cleaned[key] = check_country(value)
        elif key == "timezone":
            cleaned[key] = check_timezone(value)
        elif key == "default_prompt_times":
            cleaned[key] = check_prompt_times(value, key) if value else []
        elif key in ("default_quiet_hours_start", "default_quiet_hours_end"):
            cleaned[key] = None if value in (None, "") else parse_hhmm(value, key)
        elif key == "name":
            if not str(value or "").strip():
                raise invalid("name", _("The practice needs a name."))
            cleaned[key] = str(value).strip()
        else:
            cleaned[key] = str(value or "").strip()
    start = cleaned.get("default_quiet_hours_start", practice.default_quiet_hours_start)
    end = cleaned.get("default_quiet_hours_end", practice.default_quiet_hours_end)
    if (start is None) != (end is None):
        raise invalid(
            "default_quiet_hours_end", _("Give both the start and the end of the quiet hours.")
        )
    for key, value in cleaned.items():
        setattr(practice, key, value)
    practice.full_clean()
    practice.save(update_fields=list(cleaned) or None)
    audit.record(actor, "practice.updated", obj=practice, detail={"fields": sorted(cleaned)})
    return practice


@transaction.atomic
def therapist_deactivate(*, therapist: User, actor: User) -> User:
    """The therapist can no longer log in (page or API). Refused while they run a live
    break: hand their clients over first (``therapist_hand_over``)."""
    if selectors.live_breaks_of(therapist).exists():
        raise ValidationError(
            _(
                "This therapist has breaks in progress. Hand their clients over to a "
                "colleague first."
            )
        )
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])
    revoke_tokens(therapist)
    audit.record(actor, "therapist.deactivated", obj=therapist)
    logger.info("practice.therapist_deactivated user=%s", therapist.pk)
    return therapist


@transaction.atomic
def therapist_reactivate(*, therapist: User, actor: User) -> User:
    therapist.is_active = True
    therapist.save(update_fields=["is_active"])
    audit.record(actor, "therapist.reactivated", obj=therapist)
    return therapist


@transaction.atomic
def therapist_hand_over(*, therapist: User, to: User, actor: User) -> int:
    """Every client of ``therapist`` (with all their breaks) moves to ``to``, a colleague in
    the same practice; returns how many clients moved.

    Prompts already planned keep their words: they were written for the plan as it was made
    (a holiday of the therapist who is leaving says so). The colleague now sees the clients,
    their plans and check-ins, and is the one told about delivery problems.
    """
    if (
        to.pk == therapist.pk
        or not to.is_active
        or to.role != User.Role.THERAPIST
        or to.practice_id != therapist.practice_id
    ):
        raise invalid("to", _("Choose an active colleague of the same practice."))
    clients = list(Client.objects.filter(therapist=therapist, deleted_at__isnull=True))
    ids = [c.pk for c in clients]
    Client.objects.filter(pk__in=ids).update(therapist=to)
    Break.objects.filter(client_id__in=ids, therapist=therapist).update(therapist=to)
    # A break keeps a reader in its creator ("declarer"): the one who leaves keeps none (the
    # audit trail still says who made each plan).
    Break.objects.filter(client_id__in=ids, created_by=therapist).update(created_by=None)
    audit.record_many(actor, "client.handed_over", [(c.pk, c) for c in clients])
    logger.info("practice.hand_over from=%s to=%s clients=%s", therapist.pk, to.pk, len(ids))
    return len(ids)


@transaction.atomic
def crisis_line_add(*, practice: Practice, actor: User, **data: Any) -> PracticeCrisisResource:
    """A local service the practice has checked against a public source, shown to its
    clients of that country with the shipped lines."""
    row = PracticeCrisisResource(practice=practice, **data)
    row.country = check_country(row.country)
    problems = practice_row_problems(row)
    if problems:
        raise ValidationError([p.split(": ", 1)[-1] for p in problems])
    row.save()
    audit.record(actor, "practice.crisis_line_added", obj=row)
    return row


@transaction.atomic
def crisis_line_remove(*, line: PracticeCrisisResource, actor: User) -> None:
    audit.record(actor, "practice.crisis_line_removed", detail={"line": line.pk})
    line.delete()
