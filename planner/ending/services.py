"""An ending's writes that belong to the client: their yes (or no) to follow-ups.

Follow-ups after the last session are sent only when the client said yes, themselves, on My
break; each change is a consent record, and the unsent prompts are planned again at once
(a no takes the planned follow-ups away; a yes plans them from now on).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.models import User
from planner import audit
from planner.breaks.services import reschedule
from planner.breaks.validation import invalid
from planner.models import Break
from planner.privacy.consent import Subject, consent_record

FIELD = "follow_ups"


@transaction.atomic
def follow_ups_set(
    *, brk: Break, actor: User, granted: bool, source: str = "web", at: datetime | None = None
) -> Break:
    """Record the client's answer for their ending; idempotent (the same answer again
    writes nothing)."""
    at = at or current_time()
    locked = (
        Break.objects.select_for_update(of=("self",), no_key=True)
        .select_related("client", "therapist", "therapist__practice", "covering_user")
        .get(pk=brk.pk)
    )
    if locked.kind != Break.Kind.ENDING:
        raise invalid(FIELD, _("Only an ending has follow-ups."))
    if not locked.is_live:
        raise invalid(FIELD, _("This ending is over; its follow-ups can no longer change."))
    if (locked.follow_ups_opted_in_at is not None) == granted:
        return locked
    locked.follow_ups_opted_in_at = at if granted else None
    locked.save(update_fields=["follow_ups_opted_in_at", "updated_at"])
    consent_record(
        client=locked.client,
        subject=Subject.FOLLOW_UPS,
        granted=granted,
        source=f"{source} break {locked.pk}",
        actor=actor,
        at=at,
    )
    reschedule(locked, at=at)
    audit.record(
        actor, "break.follow_ups", client=locked.client, obj=locked, detail={"granted": granted}
    )
    return locked
