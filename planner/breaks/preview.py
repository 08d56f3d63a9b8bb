"""The schedule a break would get: the engine's view of a break, and a preview with text.

Writes nothing; the services store what this plans (``services._store_prompts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.timezone import now as current_time

from planner.breaks.prompts import library_for
from planner.breaks.validation import parse_hhmm
from planner.models import Break
from planner.schedule.engine import plan_schedule
from planner.schedule.text import render
from planner.schedule.types import Kind, PlannedPrompt, PlanSettings


def plan_settings(brk: Break, *, at: datetime | None = None) -> PlanSettings:
    """The schedule engine's view of a break."""
    return PlanSettings(
        kind=Kind(brk.kind),
        timezone=brk.timezone,
        starts_at=brk.starts_at,
        ends_at=brk.ends_at,
        return_session_at=brk.return_session_at,
        now=at or current_time(),
        prompt_times=tuple(parse_hhmm(t, "prompt_times") for t in brk.prompt_times),
        quiet_hours_start=brk.quiet_hours_start,
        quiet_hours_end=brk.quiet_hours_end,
        max_per_day=brk.max_per_day,
        min_spacing=timedelta(minutes=brk.min_spacing_minutes),
        notice_given_at=brk.notice_given_at,
        coping_strategies=tuple(brk.coping_strategies or ()),
        support_contact_names=tuple(c.get("name", "") for c in brk.support_contacts or ()),
        seed=brk.seed,
    )


def break_preview(brk: Break, *, at: datetime | None = None) -> list[PreviewPrompt]:
    """The schedule a draft would get, with text, without writing anything."""
    at = at or current_time()
    library = library_for(brk.therapist.practice)
    texts = {spec.id: spec.text for spec in library}
    planned = plan_schedule(plan_settings(brk, at=at), library)
    context = message_context(brk)
    return [
        PreviewPrompt(p, render(texts[p.template_id], {**context, **p.context})) for p in planned
    ]


@dataclass(frozen=True)
class PreviewPrompt:
    planned: PlannedPrompt
    text: str


def message_context(brk: Break) -> dict[str, str]:
    tz = ZoneInfo(brk.timezone)
    covering = (brk.covering_clinician or {}).get("name", "")
    return_date = ""
    if brk.return_session_at is not None:
        return_date = date_format(brk.return_session_at.astimezone(tz), "l j F")
    therapist = brk.therapist
    return {
        "first_name": brk.client.first_name,
        "return_date": return_date,
        "therapist_name": therapist.first_name or therapist.full_name,
        "covering_name": covering,
    }
