"""The schedule a break would get: the engine's view of a break, and a preview with text.

Writes nothing; the services store what this plans (``services._store_prompts``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.timezone import now as current_time
from django.utils.translation import get_language, gettext_lazy

from planner.breaks.prompts import library_for
from planner.breaks.validation import parse_hhmm
from planner.letters.note import first_caring, note_message_text
from planner.models import Break
from planner.schedule.engine import plan_schedule
from planner.schedule.text import render
from planner.schedule.types import (
    Amount,
    Category,
    Delivered,
    Kind,
    PlannedPrompt,
    PlanSettings,
    TemplateSpec,
)
from planner.supportmap.selectors import Learned, learned_for

SESSIONS_PLAN_TEXT: dict[str, Any] = {
    Break.SessionsPlan.CANCELLED_PRACTICE: gettext_lazy(
        "Your booked sessions are cancelled for now, and %(practice)s will contact you about "
        "what happens next."
    ),
    Break.SessionsPlan.CANCELLED_COVERING: gettext_lazy(
        "Your booked sessions are cancelled for now, and %(covering)s will contact you."
    ),
    Break.SessionsPlan.WITH_COVERING: gettext_lazy(
        "Your booked sessions go ahead at the usual times with %(covering)s."
    ),
}


def covering_name(brk: Break) -> str:
    """The covering clinician's name as the plan gives it ("" when nobody covers)."""
    name = str((brk.covering_clinician or {}).get("name") or "").strip()
    if not name and brk.covering_user_id is not None and brk.covering_user is not None:
        name = brk.covering_user.full_name
    return name


def practice_name(brk: Break) -> str:
    practice = brk.therapist.practice if brk.therapist_id else None
    return practice.name.strip() if practice is not None else ""


def plan_settings(
    brk: Break,
    *,
    at: datetime | None = None,
    delivered: tuple[Delivered, ...] = (),
    learned: Learned | None = None,
) -> PlanSettings:
    """The schedule engine's view of a break, with what the client's support map, feedback
    and last check-in say (read here unless given: ``learned_for`` reads many at once)."""
    if learned is None:
        learned = learned_for([brk]).get(brk.pk, Learned())
    news = Category(brk.news) if brk.news in Category._value2member_map_ else None
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
        reasons_for_hope=tuple(brk.reasons_for_hope or ()),
        distractions=tuple(brk.distractions or ()),
        seed=brk.seed,
        amount=Amount(brk.prompt_amount or Amount.USUAL.value),
        has_cover=bool(covering_name(brk)),
        has_practice=bool(practice_name(brk)),
        has_sessions_plan=bool(sessions_plan_text(brk)),
        booster_sessions=tuple(brk.booster_datetimes) if brk.kind == Break.Kind.ENDING else (),
        follow_ups=brk.follow_ups_opted_in_at is not None,
        learned=tuple(brk.blueprint_learned or ()),
        early_signs=tuple(brk.blueprint_early_signs or ()),
        early_steps=tuple(brk.blueprint_actions or ()),
        avoid_topics=frozenset(brk.avoid_topics or ()),
        news=news,
        news_at=brk.news_at if news is not None else None,
        delivered=delivered,
        support_map=learned.support_map,
        blocked_templates=learned.blocked_templates,
        category_weights=learned.category_weights,
        lean_since=learned.lean_since,
    )


def break_preview(
    brk: Break,
    *,
    at: datetime | None = None,
    library: list[TemplateSpec] | None = None,
    learned: Learned | None = None,
) -> list[PreviewPrompt]:
    """The schedule a draft would get, with text, without writing anything (``library``:
    the practice's, and ``learned``: what the client's map and feedback say, when the caller
    has them already)."""
    at = at or current_time()
    if library is None:
        library = library_for(brk.therapist.practice)
    texts = {spec.id: spec.text for spec in library}
    planned = plan_schedule(plan_settings(brk, at=at, learned=learned), library)
    context = message_context(brk)
    # The therapist's note is the first caring message, as it will be when stored.
    note = first_caring(planned, lambda p: p.category.value) if brk.therapist_note.strip() else None
    return [
        PreviewPrompt(p, note_message_text(brk), note=True)
        if p is note
        else PreviewPrompt(p, render_planned(texts[p.template_id], context, p, brk))
        for p in planned
    ]


@dataclass(frozen=True)
class PreviewPrompt:
    planned: PlannedPrompt
    text: str
    note: bool = False  # the therapist's note in the place of the planned template


def _date(value: datetime, brk: Break) -> str:
    return _local_date(value, brk.timezone, get_language())


@functools.lru_cache(maxsize=1024)
def _local_date(value: datetime, zone: str, language: str | None) -> str:
    """A day as the client reads it ("Monday 5 April"), in their zone and the active language
    (part of the key: it names the day and the month). Remembered: a caseload's breaks share
    their dates, and formatting one was a tenth of activating 600."""
    return date_format(value.astimezone(ZoneInfo(zone)), "l j F")


def render_planned(text: str, context: dict[str, str], planned: PlannedPrompt, brk: Break) -> str:
    """One planned prompt's text: the break's context, the engine's, the session it is about."""
    extra = {"booster_date": _date(planned.about, brk)} if planned.about else {}
    return render(text, {**context, **planned.context, **extra})


def sessions_plan_text(brk: Break) -> str:
    """What happens to booked sessions, in a sentence for the client; "" when the plan does
    not say, or the person it names is missing (no stand-in: the fact is then not stated)."""
    template = SESSIONS_PLAN_TEXT.get(brk.sessions_plan) if brk.sessions_plan else None
    if template is None:
        return ""
    names = {"practice": practice_name(brk), "covering": covering_name(brk)}
    needed = (
        "practice" if brk.sessions_plan == Break.SessionsPlan.CANCELLED_PRACTICE else "covering"
    )
    if not names[needed]:
        return ""
    return str(template) % names


def message_context(brk: Break) -> dict[str, str]:
    return_date = _date(brk.return_session_at, brk) if brk.return_session_at else ""
    therapist = brk.therapist
    return {
        "first_name": brk.client.first_name,
        "return_date": return_date,
        "therapist_name": therapist.first_name or therapist.full_name,
        "covering_name": covering_name(brk),
        "practice_name": practice_name(brk),
        "sessions_plan": sessions_plan_text(brk),
    }
