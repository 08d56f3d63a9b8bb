"""Reads of letters and of the therapist's recorded note, and their access checks.

A letter is the client's alone: ``access_letter`` finds only the caller's own, and what a
therapist may know of letters (``letters_summary``) is that they exist and when they arrive;
the text only of those the client chose to share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from core.converters import parse_id
from core.models import User
from planner.breaks.selectors import access_break, access_own_break, require_client
from planner.models import Break, Client, InboxMessage, Letter, ScheduledPrompt

PS = ScheduledPrompt.Status
# A letter's prompt in one of these states stands: the letter is on its way or has arrived.
# (Skipped rows do not: a plan edit superseded it, or it met quiet hours; it is sent again.)
STANDING = (PS.PENDING, PS.CLAIMED, PS.SENT, PS.UNCONFIRMED, PS.FAILED)
ARRIVED = (PS.SENT, PS.UNCONFIRMED, PS.FAILED)  # the inbox message exists


def letters_for_client(client: Client) -> QuerySet[Letter]:
    prompts = ScheduledPrompt.objects.filter(status__in=STANDING).order_by("send_at", "id")
    return (
        Letter.objects.filter(client=client)
        .select_related("break_obj")
        .prefetch_related(Prefetch("prompts", queryset=prompts, to_attr="standing"))
        .order_by("-created_at", "-id")
    )


def access_letter(user: User, letter_id: object) -> Letter:
    """The caller's own letter (a client's); anything else is a 404."""
    client = require_client(user)
    pk = parse_id(letter_id)
    letter = None if pk is None else letters_for_client(client).filter(pk=pk).first()
    if letter is None:
        raise Http404("No such letter.")
    return letter


def _standing(letter: Letter) -> list[ScheduledPrompt]:
    found = getattr(letter, "standing", None)
    if found is None:
        found = list(letter.prompts.filter(status__in=STANDING).order_by("send_at", "id"))
    return found


def letter_state(letter: Letter) -> tuple[str, datetime | None]:
    """("arrived", when) | ("on_its_way", None) | ("waiting", None) | ("did_not_arrive", None)."""
    prompts = _standing(letter)
    arrived = [p for p in prompts if p.status in ARRIVED]
    if arrived:
        return "arrived", arrived[0].sent_at or arrived[0].finished_at or arrived[0].send_at
    if prompts:
        return "on_its_way", None
    if not letter.break_obj.is_live:
        return "did_not_arrive", None  # the break ended (or was cancelled) first
    return "waiting", None


def is_arrived(letter: Letter) -> bool:
    return letter_state(letter)[0] in ("arrived", "on_its_way")


@dataclass
class LettersSummary:
    """What the therapist sees of a break's letters: how many, and the shared ones."""

    written: int = 0
    arrived: int = 0
    shared: list[Letter] = field(default_factory=list)


def letters_summary(brk: Break) -> LettersSummary:
    summary = LettersSummary()
    prompts = ScheduledPrompt.objects.filter(status__in=STANDING)
    rows = (
        Letter.objects.filter(break_obj=brk, client__deleted_at__isnull=True)
        .prefetch_related(Prefetch("prompts", queryset=prompts, to_attr="standing"))
        .order_by("created_at", "id")
    )
    for letter in rows:
        summary.written += 1
        summary.arrived += letter_state(letter)[0] == "arrived"
        if letter.shared:
            summary.shared.append(letter)
    return summary


def inbox_extras(client: Client, messages: list[InboxMessage]) -> list[InboxMessage]:
    """Mark the inbox messages that brought a letter (``m.letter``, the client's own) or the
    therapist's note (``m.note_break``, to play its recording), in one query."""
    ids = [m.prompt_id for m in messages if m.prompt_id is not None]
    rows = (
        ScheduledPrompt.objects.filter(pk__in=ids, client=client, source__in=["letter", "note"])
        .select_related("letter", "break_obj")
        .only("pk", "source", "letter", "break_obj")
    )
    by_prompt = {p.pk: p for p in rows}
    for message in messages:
        prompt = by_prompt.get(message.prompt_id or 0)
        message.letter = prompt.letter if prompt and prompt.source == "letter" else None  # type: ignore[attr-defined]
        message.note_break = prompt.break_obj if prompt and prompt.source == "note" else None  # type: ignore[attr-defined]
    return messages


# --- The therapist's recorded note -----------------------------------------------------------


def access_note_audio(user: User, break_id: object) -> Break:
    """The break whose recording the caller may hear: the therapist's own client's, or the
    client's own (not a draft). Anyone else: 404, and 404 when there is no recording."""
    if getattr(user, "is_therapist", False):
        brk = access_break(user, break_id)
    else:
        brk = access_own_break(user, break_id)
    if not brk.note_audio:
        raise Http404("No recording.")
    return brk
