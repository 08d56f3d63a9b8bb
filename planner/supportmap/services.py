"""Every write of the support map: starting it from the plan, replacing it, adding to it from
a review, and planning the client's live breaks again when what the engine learns changes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.models import User
from planner import audit
from planner.breaks.services import reschedule
from planner.models import Break, Client, SupportItem
from planner.schedule.supports import KINDS, NEEDS, WHEN_TOKENS
from planner.supportmap import selectors
from planner.supportmap.vocab import (
    MAX_ITEMS,
    MAX_NAME,
    MAX_NEEDS,
    MAX_NOTE,
    MAX_OWN_NEED,
    MAX_WHEN,
)

FIELD = "items"
_OWN_NEED = re.compile(r"^[^\W\d_][\w' -]*$")


def _problem(index: int, message: str) -> ValidationError:
    return ValidationError(
        {FIELD: [_("Support %(number)s: %(problem)s") % {"number": index + 1, "problem": message}]}
    )


def _text(value: Any, index: int, name: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _problem(index, _("%(field)s must be a text.") % {"field": name})
    value = " ".join(value.split())
    if required and not value:
        raise _problem(index, _("give it a name."))
    if len(value) > limit:
        raise _problem(
            index,
            _("%(field)s can be at most %(count)s characters.") % {"field": name, "count": limit},
        )
    return value


def _list(value: Any, index: int, name: str, limit: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _problem(index, _("%(field)s must be a list of texts.") % {"field": name})
    found: list[str] = []
    for v in value:
        v = " ".join(v.split())
        if v and v not in found:
            found.append(v)
    if len(found) > limit:
        raise _problem(index, _("at most %(count)s %(field)s.") % {"count": limit, "field": name})
    return found


def check_when(values: list[str], index: int) -> list[str]:
    for token in values:
        if token in WHEN_TOKENS:
            continue
        try:
            day = date.fromisoformat(token)
        except ValueError:
            day = None
        if day is None or len(token) != 10 or not 2000 <= day.year <= 2099:
            raise _problem(
                index,
                _('"%(value)s" is not a day: use mon..sun, weekends, evenings or a date.')
                % {"value": token[:20]},
            )
    return values


def check_needs(values: list[str], index: int) -> list[str]:
    for need in values:
        if need in NEEDS:
            continue
        if len(need) > MAX_OWN_NEED or not _OWN_NEED.match(need):
            raise _problem(
                index,
                _("a need of your own is a word or two, at most %(count)s letters.")
                % {"count": MAX_OWN_NEED},
            )
    return values


def check_items(values: Any) -> list[dict[str, Any]]:
    """The map's items cleaned, or a ValidationError under ``items`` naming the support."""
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > MAX_ITEMS:
        raise ValidationError(
            {FIELD: [_("Give a list of at most %(count)s supports.") % {"count": MAX_ITEMS}]}
        )
    cleaned = []
    for index, raw in enumerate(values):
        if not isinstance(raw, Mapping):
            raise _problem(index, _("give its kind and name."))
        kind = raw.get("kind")
        if kind not in KINDS:
            raise _problem(index, _("choose what kind of support it is."))
        item_id = raw.get("id")
        if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, int)):
            raise _problem(index, _("unknown id."))
        cleaned.append(
            {
                "id": item_id,
                "kind": kind,
                "name": _text(raw.get("name"), index, "name", MAX_NAME, required=True),
                "needs": check_needs(_list(raw.get("needs"), index, "needs", MAX_NEEDS), index),
                "when": check_when(_list(raw.get("when"), index, "when", MAX_WHEN), index),
                "note": _text(raw.get("note"), index, "note", MAX_NOTE),
            }
        )
    return cleaned


def _plan_source(client: Client) -> Break | None:
    """The plan the map starts from: the client's latest break that is not cancelled."""
    return (
        Break.objects.filter(client=client)
        .exclude(status=Break.Status.CANCELLED)
        .order_by("-starts_at", "-id")
        .first()
    )


def starting_items(brk: Break | None) -> list[dict[str, Any]]:
    """The plan's people and activities as map items: its support contacts (company) and
    what takes the mind off (needs not yet said: the client sorts them)."""
    if brk is None:
        return []
    items: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(name: str, kind: str, needs: list[str]) -> None:
        name = " ".join(str(name or "").split())[:MAX_NAME]
        if name and name.casefold() not in seen and len(items) < MAX_ITEMS:
            seen.add(name.casefold())
            items.append({"kind": kind, "name": name, "needs": needs, "when": [], "note": ""})

    for contact in brk.support_contacts or []:
        add(contact.get("name", ""), "person", ["company"])
    for distraction in brk.distractions or []:
        add(distraction, "activity", [])
    return items


@transaction.atomic
def map_open(*, client: Client, actor: User | None) -> list[SupportItem]:
    """The map, started from the plan's sections the first time anyone opens it."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.support_map_started_at is None:
        rows = [
            SupportItem(client=client, position=n, source="plan", **item)
            for n, item in enumerate(starting_items(_plan_source(client)))
        ]
        SupportItem.objects.bulk_create(rows)
        client.support_map_started_at = current_time()
        client.save(update_fields=["support_map_started_at"])
        audit.record(actor, "supportmap.started", client=client, detail={"items": len(rows)})
        if rows:
            replan_client(client)
    return list(selectors.items_for(client))


@transaction.atomic
def map_replace(
    *, client: Client, items: Sequence[Mapping[str, Any]], actor: User | None
) -> list[SupportItem]:
    """The whole map as given: items with a known id are changed, new ones added, the rest
    removed. The client's live breaks are planned again (the prompts quote the map)."""
    cleaned = check_items(list(items))
    client = Client.objects.select_for_update().get(pk=client.pk)
    existing = {row.pk: row for row in selectors.items_for(client)}
    unknown = [i for i, item in enumerate(cleaned) if item["id"] not in (None, *existing)]
    if unknown:
        raise _problem(unknown[0], _("unknown id."))
    kept: set[int] = set()
    for position, item in enumerate(cleaned):
        fields = {k: item[k] for k in ("kind", "name", "needs", "when", "note")}
        row = existing.get(item["id"]) if item["id"] is not None else None
        if row is None or row.pk in kept:
            SupportItem.objects.create(client=client, position=position, **fields)
            continue
        kept.add(row.pk)
        for key, value in {**fields, "position": position}.items():
            setattr(row, key, value)
        row.save()
    removed = [pk for pk in existing if pk not in kept]
    SupportItem.objects.filter(pk__in=removed).delete()
    if client.support_map_started_at is None:
        client.support_map_started_at = current_time()
        client.save(update_fields=["support_map_started_at"])
    audit.record(
        actor,
        "supportmap.updated",
        client=client,
        detail={"items": len(cleaned), "removed": len(removed)},
    )
    replan_client(client)
    return list(selectors.items_for(client))


@transaction.atomic
def map_add(
    *,
    client: Client,
    kind: str,
    name: str,
    needs: Sequence[str] = (),
    when: Sequence[str] = (),
    actor: User | None,
    source: str = "map",
) -> SupportItem:
    """One more support at the end of the map (the after-break review offers this)."""
    item = check_items([{"kind": kind, "name": name, "needs": list(needs), "when": list(when)}])
    client = Client.objects.select_for_update().get(pk=client.pk)
    position = selectors.items_for(client).count()
    fields = {k: item[0][k] for k in ("kind", "name", "needs", "when", "note")}
    row = SupportItem.objects.create(client=client, position=position, source=source, **fields)
    if client.support_map_started_at is None:
        client.support_map_started_at = current_time()
        client.save(update_fields=["support_map_started_at"])
    audit.record(actor, "supportmap.added", client=client, obj=row, detail={"source": source})
    replan_client(client)
    return row


def replan_client(client: Client, *, at: datetime | None = None) -> int:
    """Plan the unsent prompts of the client's live, activated breaks again (each locked)."""
    planned = 0
    live = Break.objects.select_for_update(of=("self",)).filter(
        client_id=client.pk, status__in=Break.LIVE_STATUSES, activated_at__isnull=False
    )
    for brk in live.select_related("client", "therapist__practice", "covering_user"):
        planned += reschedule(brk, at=at)
    return planned
