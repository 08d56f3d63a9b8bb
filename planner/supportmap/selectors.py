"""Reads of the support map and of what the client's feedback teaches the schedule.

Only reads. The access checks are the breaks room's (``require_client`` for the client's
own map, ``access_client`` for a therapist's client): the views and the API call those
first and pass the client in. This module imports nothing of the breaks room, because
``breaks.preview`` reads the engine's inputs from here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from planner.crisis import resources_for_client
from planner.models import Break, CheckIn, Client, PromptFeedback, SupportItem
from planner.schedule.supports import support_item
from planner.schedule.types import Category
from planner.schedule.types import SupportItem as EngineItem


def items_for(client: Client) -> QuerySet[SupportItem]:
    return SupportItem.objects.filter(client=client).order_by("position", "id")


def api_items(items: Iterable[SupportItem]) -> list[dict[str, Any]]:
    """The map as the API gives it: ``{"id", "kind", "name", "needs", "when", "note"}``."""
    return [
        {
            "id": item.pk,
            "kind": item.kind,
            "name": item.name,
            "needs": list(item.needs),
            "when": list(item.when),
            "note": item.note,
        }
        for item in items
    ]


@dataclass(frozen=True)
class Learned:
    """What the engine takes from the map, the feedback and the last check-in."""

    support_map: tuple[EngineItem, ...] = ()
    blocked_templates: frozenset[str] = frozenset()
    category_weights: tuple[tuple[Category, int], ...] = ()
    lean_since: datetime | None = None


def learned_for(breaks: Iterable[Break]) -> dict[int | None, Learned]:
    """The engine's inputs for each break (keyed by ``pk``; a draft being built has None),
    in three queries whatever the number of breaks."""
    breaks = list(breaks)
    client_ids = {b.client_id for b in breaks}
    items: dict[int, list[EngineItem]] = defaultdict(list)
    for row in SupportItem.objects.filter(client_id__in=client_ids).order_by("position", "id"):
        items[row.client_id].append(support_item(row.name, row.kind, row.needs, row.when))
    blocked: dict[int, set[str]] = defaultdict(set)
    weights: dict[int, Counter[str]] = defaultdict(Counter)
    rows = PromptFeedback.objects.filter(client_id__in=client_ids).values_list(
        "client_id", "category", "helpful", "template__key"
    )
    for client_id, category, helpful, key in rows:
        weights[client_id][category] += 1 if helpful else -1
        if not helpful and key:
            blocked[client_id].add(key)
    lean = _lean_since([b for b in breaks if b.pk is not None])
    found: dict[int | None, Learned] = {}
    for brk in breaks:
        counted = weights.get(brk.client_id, Counter())
        found[brk.pk] = Learned(
            support_map=tuple(items.get(brk.client_id, ())),
            blocked_templates=frozenset(blocked.get(brk.client_id, ())),
            category_weights=tuple(
                sorted(
                    (Category(c), n)
                    for c, n in counted.items()
                    if n and c in Category._value2member_map_
                )
            ),
            lean_since=lean.get(brk.pk),
        )
    return found


def is_high(check_in: CheckIn, brk: Break | None) -> bool:
    """A check-in that asked for support, or scored at the plan's threshold or above."""
    threshold = brk.distress_threshold if brk is not None else None
    return check_in.need_support_now or (threshold is not None and check_in.distress >= threshold)


def _lean_since(breaks: list[Break]) -> dict[int, datetime]:
    """Each break whose latest check-in was high: the time of that check-in."""
    by_pk = {b.pk: b for b in breaks}
    if not by_pk:
        return {}
    latest: dict[int, CheckIn] = {}
    rows = CheckIn.objects.filter(break_obj_id__in=list(by_pk)).order_by(
        "break_obj_id", "-created_at", "-id"
    )
    for row in rows.only("break_obj_id", "distress", "need_support_now", "created_at"):
        latest.setdefault(row.break_obj_id, row)  # type: ignore[arg-type]
    return {pk: row.created_at for pk, row in latest.items() if pk and is_high(row, by_pk.get(pk))}


def break_is_over(brk: Break, at: datetime | None = None) -> bool:
    at = at or current_time()
    end = brk.return_session_at or brk.ends_at
    return brk.status == Break.Status.COMPLETED or (end is not None and end <= at)


def helped_during(brk: Break, at: datetime | None = None) -> list[PromptFeedback]:
    """What the client marked "This helped" during a break, for the therapist once the break
    is over (never while it runs, and never as a score): the messages, oldest first."""
    if not break_is_over(brk, at):
        return []
    return list(
        PromptFeedback.objects.filter(break_obj=brk, helpful=True)
        .select_related("message")
        .order_by("message__delivered_at", "id")
    )


def added_after(brk: Break) -> list[SupportItem]:
    """Supports the client added to the map from this break's review."""
    return list(
        SupportItem.objects.filter(client_id=brk.client_id, source=f"review:{brk.pk}").order_by(
            "id"
        )
    )


def crisis_line(client: Client) -> str:
    """The line a prompt carries after a high check-in: the client's first crisis service
    (or their emergency number, or what to do when the country is not known), and that
    Between is not an emergency service. Only what the crisis table holds is stated."""
    crisis = resources_for_client(client)
    line = ""
    for entry in crisis.get("resources") or []:
        how = entry.get("phone") or entry.get("sms") or entry.get("text_line")
        if entry.get("name") and how:
            hours = f" ({entry['hours']})" if entry.get("hours") else ""
            line = _("If you want to talk to someone now: %(name)s, %(how)s%(hours)s.") % {
                "name": entry["name"],
                "how": how,
                "hours": hours,
            }
            break
    if crisis.get("emergency"):
        danger = _("If you are in danger, call %(number)s.") % {"number": crisis["emergency"]}
    else:
        danger = _("If you are in danger, call your local emergency number.")
    return " ".join(
        part for part in (line, danger, _("Between is not an emergency service.")) if part
    )
