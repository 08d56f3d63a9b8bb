"""The one writer of the pre-break checklist (the page and ``PATCH /api/v1/breaks/{id}/``).

A tick records when it was made; unticking removes it. The notice day is the plan's own
``notice_given_at``: changing it here is an edit of the plan (``breaks.services.break_update``),
so the preparation messages move with it. Nothing waits on the checklist: activating a break
never looks at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.models import User
from planner import audit
from planner.breaks.services import break_update
from planner.breaks.validation import in_date_range, invalid
from planner.checklist.selectors import NOTICE, items_for_kind
from planner.models import Break
from planner.schedule.localtime import localize

FIELD = "checklist"


def _check(brk: Break, items: Mapping[str, Any]) -> None:
    if not isinstance(items, Mapping):
        raise invalid(FIELD, _("Give the checklist as an object of items."))
    known = [item.key for item in items_for_kind(brk.kind)]
    if not known and items:
        raise invalid(FIELD, _("An unplanned absence has no pre-break checklist."))
    for key, value in items.items():
        if key not in known:
            raise invalid(
                FIELD,
                _("Unknown item %(item)s for this kind of break; use one of %(items)s.")
                % {"item": repr(str(key)[:40]), "items": ", ".join(known)},
            )
        if key == NOTICE:
            if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
                raise invalid(FIELD, _("Give the day notice was given (YYYY-MM-DD), or null."))
            if value is not None and not in_date_range(datetime.combine(value, time(12))):
                raise invalid(FIELD, _("Give a date between the years 2000 and 2099."))
        elif not isinstance(value, bool):
            raise invalid(FIELD, _("Tick an item with true, untick it with false."))


@transaction.atomic
def checklist_update(*, brk: Break, actor: User, items: Mapping[str, Any]) -> Break:
    """Tick and untick items of the break's checklist; ``notice_given`` sets the day the
    client was told (None: not yet). Only the items given change."""
    _check(brk, items)
    locked = Break.objects.select_for_update(of=("self",), no_key=True).get(pk=brk.pk)
    if locked.status in (Break.Status.COMPLETED, Break.Status.CANCELLED):
        raise invalid(FIELD, _("The checklist of a finished or cancelled break is kept as it was."))
    ticked = dict(locked.checklist or {})
    at = current_time().isoformat()
    for key, value in items.items():
        if key == NOTICE:
            continue
        if value:
            ticked.setdefault(key, at)
        else:
            ticked.pop(key, None)
    changed = sorted(k for k in set(ticked) ^ set(locked.checklist or {}))
    if changed:
        Break.objects.filter(pk=brk.pk).update(checklist=ticked)
        audit.record(
            actor, "break.checklist", client=brk.client_id, obj=brk, detail={"items": changed}
        )
    brk.refresh_from_db()
    if NOTICE in items:
        day = items[NOTICE]
        told = None if day is None else localize(day, time(0, 0), ZoneInfo(brk.timezone))
        if told != brk.notice_given_at:
            brk = break_update(brk=brk, actor=actor, notice_given_at=told)
    return brk
