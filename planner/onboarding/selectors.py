"""Reads for onboarding: invitations by token, a client's invitation status, practice staff.

Someone else's object is a 404 here too: the practice page and its therapists are reached
only through ``access_practice`` / ``access_practice_therapist``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.timezone import now as current_time

from core.models import Practice, User
from planner.models import Break, Client, Invitation, PracticeCrisisResource


def token_hash(token: str) -> str:
    """What is stored of a token. The tokens are 256 random bits, so a plain SHA-256 is
    enough: there is nothing to guess, and the hash is useless as a link."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# --- Invitations by token ----------------------------------------------------------------------

# Why an invitation cannot be used. "unknown" also covers a malformed token.
UNKNOWN, USED, EXPIRED, WITHDRAWN, TAKEN = "unknown", "used", "expired", "withdrawn", "taken"


def invitation_problem(invitation: Invitation, *, at: datetime | None = None) -> str | None:
    """None when the invitation can be accepted now, else the reason it cannot."""
    at = at or current_time()
    if invitation.accepted_at is not None:
        return USED
    if invitation.revoked_at is not None or not invitation.token_hash:
        return WITHDRAWN
    if invitation.expires_at is None or invitation.expires_at <= at:
        return EXPIRED
    if invitation.role == User.Role.CLIENT:
        client = invitation.client
        if client is None or client.deleted_at is not None or client.archived_at is not None:
            return WITHDRAWN
        if client.user_id is not None:
            return USED
        if client.email.strip().lower() != invitation.email.lower():
            return WITHDRAWN  # the therapist changed the address since
    if User.objects.filter(email__iexact=invitation.email).exists():
        return TAKEN
    return None


def invitation_for_token(token: str) -> tuple[Invitation | None, str | None]:
    """The invitation behind a link and why it cannot be used (None: it can)."""
    if not token or len(token) > 200:
        return None, UNKNOWN
    invitation = (
        Invitation.objects.select_related("practice", "client", "client__therapist")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        return None, UNKNOWN
    return invitation, invitation_problem(invitation)


def address_in_use(email: str, *, except_client: Client | None = None) -> str | None:
    """Why ``email`` cannot be invited: it has a login, or a pending invitation for someone
    else (another client record, or a member of a practice). None when it is free."""
    if User.objects.filter(email__iexact=email).exists():
        return "login"
    pending = Invitation.objects.filter(
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=current_time()))
    if except_client is not None:
        pending = pending.exclude(client=except_client)
    return "invited" if pending.exists() else None


# --- A client's invitation status --------------------------------------------------------------


@dataclass(frozen=True)
class InvitationStatus:
    status: str  # not_invited, sending, invited, expired, joined
    invited_at: datetime | None = None
    expires_at: datetime | None = None
    joined_at: datetime | None = None


def invitation_status_for_client(client: Client) -> InvitationStatus:
    """What the client's page and the API say: not invited / invited on ... / joined on ...

    Uses ``client.invitations`` as prefetched by the API list (newest first) when it is.
    """
    invitations = sorted(client.invitations.all(), key=lambda i: (i.created_at, i.pk))
    latest = invitations[-1] if invitations else None
    if client.user is not None:
        accepted = next((i for i in reversed(invitations) if i.accepted_at), None)
        joined = accepted.accepted_at if accepted else client.user.date_joined
        return InvitationStatus("joined", joined_at=joined)
    if (
        latest is None
        or latest.revoked_at is not None
        or latest.email.lower() != client.email.strip().lower()
    ):
        return InvitationStatus("not_invited")
    if latest.sent_at is None or latest.expires_at is None:
        return InvitationStatus("sending", invited_at=latest.created_at)
    state = "invited" if latest.expires_at > current_time() else "expired"
    return InvitationStatus(state, invited_at=latest.sent_at, expires_at=latest.expires_at)


# --- The practice and its staff ----------------------------------------------------------------


def is_practice_staff(user: User) -> bool:
    """Staff of a practice run its page (not the Django admin)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.practice_id is not None
        and (user.role == User.Role.STAFF or user.is_staff)
    )


def access_practice(user: User) -> Practice:
    """The caller's practice, for its staff; anyone else gets a 404."""
    if not is_practice_staff(user) or user.practice_id is None:
        raise Http404("No such page.")
    return Practice.objects.get(pk=user.practice_id)


def therapists_of(practice: Practice) -> QuerySet[User]:
    return User.objects.filter(practice=practice, role=User.Role.THERAPIST).order_by(
        "-is_active", "last_name", "first_name", "email"
    )


def access_practice_therapist(user: User, therapist_id: object) -> User:
    """A therapist of the caller's practice, for its staff; else a 404."""
    practice = access_practice(user)
    try:
        return therapists_of(practice).get(pk=int(str(therapist_id)))
    except (User.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such therapist.")


def pending_member_invitations(practice: Practice) -> list[Invitation]:
    """Invitations of therapists and staff not yet accepted nor withdrawn, newest first."""
    return list(
        Invitation.objects.filter(
            practice=practice,
            client__isnull=True,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).order_by("-created_at", "-id")
    )


def member_invitation(practice: Practice, invitation_id: object) -> Invitation:
    try:
        return Invitation.objects.get(
            pk=int(str(invitation_id)), practice=practice, client__isnull=True
        )
    except (Invitation.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such invitation.")


def live_breaks_of(therapist: User) -> QuerySet[Break]:
    """Breaks a therapist runs that are scheduled or active: to hand over before leaving."""
    return (
        Break.objects.filter(therapist=therapist, status__in=Break.LIVE_STATUSES)
        .filter(client__deleted_at__isnull=True)
        .select_related("client")
        .order_by("starts_at", "id")
    )


def live_breaks_covered_by(therapist: User) -> QuerySet[Break]:
    return (
        Break.objects.filter(covering_user=therapist, status__in=Break.LIVE_STATUSES)
        .filter(client__deleted_at__isnull=True)
        .select_related("client", "therapist")
        .order_by("starts_at", "id")
    )


def crisis_lines_of(practice: Practice) -> QuerySet[PracticeCrisisResource]:
    return PracticeCrisisResource.objects.filter(practice=practice).order_by("country", "name")


def access_crisis_line(user: User, line_id: object) -> PracticeCrisisResource:
    practice = access_practice(user)
    try:
        return crisis_lines_of(practice).get(pk=int(str(line_id)))
    except (PracticeCrisisResource.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such line.")


def colleagues_for_hand_over(therapist: User) -> QuerySet[User]:
    if therapist.practice_id is None:
        return User.objects.none()
    return (
        User.objects.filter(
            practice_id=therapist.practice_id, role=User.Role.THERAPIST, is_active=True
        )
        .exclude(pk=therapist.pk)
        .order_by("last_name", "first_name")
    )
