"""Reads of an ending's own parts: the blueprint as the client's pages show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.http import Http404

from planner.breaks.selectors import live_break_for_client
from planner.ending.blueprint import BLUEPRINT_LISTS
from planner.models import Break, Client

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Blueprint:
    sections: list[tuple[StrOrPromise, list[str]]]
    come_back: str  # how re-referral works, as the therapist wrote it ("" when not written)
    practice_name: str = ""
    practice_phone: str = ""
    practice_email: str = ""
    boosters: list = field(default_factory=list)  # booked booster sessions, aware, in order

    @property
    def quotes(self) -> bool:
        """Whether the follow-ups have words of the blueprint to quote (what I learned, my
        early signs, what I do then; who I contact is never quoted)."""
        return any(items for _label, items in self.sections[:3])

    @property
    def has_practice_contact(self) -> bool:
        return bool(self.practice_phone or self.practice_email)


def blueprint_for(brk: Break | None) -> Blueprint | None:
    """An ending's blueprint with the practice's contact for coming back; None for a break
    of another kind. Only what is known is given: a way to reach the practice is shown when
    the practice has one."""
    if brk is None or brk.kind != Break.Kind.ENDING:
        return None
    practice = brk.therapist.practice if brk.therapist_id else None
    return Blueprint(
        sections=[
            (label, list(getattr(brk, name) or [])) for name, label, _help in BLUEPRINT_LISTS
        ],
        come_back=brk.blueprint_come_back,
        practice_name=practice.name if practice else "",
        practice_phone=practice.contact_phone if practice else "",
        practice_email=practice.contact_email if practice else "",
        boosters=brk.booster_datetimes,
    )


def ending_for_client(client: Client) -> Break:
    """The ending My break shows, whose follow-ups the client answers for; else 404."""
    brk = live_break_for_client(client)
    if brk is None or brk.kind != Break.Kind.ENDING:
        raise Http404("No ending.")
    return brk
