"""The therapist's note as the first caring message of a break: which message, and its words.

Apart from the services so the preview (planner/breaks/preview.py) and the stored plan
(planner/breaks/services._store_prompts) both use it without an import cycle: it imports
only the models.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from planner.models import Break, ScheduledPrompt

NOTE_SOURCE = "note"
FIRST_CARING = ("first_contact", "acknowledgement")


def note_message_text(brk: Break) -> str:
    """The note as a message. It names its writer only when the break's therapist wrote the
    plan (an absence declared by a colleague carries a note the therapist may not have
    written)."""
    therapist = brk.therapist
    name = therapist.first_name or therapist.full_name
    if brk.created_by_id in (None, therapist.pk) and name:
        lead = _("A note from %(name)s for your break:") % {"name": name}
    else:
        lead = _("A note left for you with your plan:")
    return f"{lead}\n\n{brk.therapist_note.strip()}"


def first_caring(
    rows: list,
    category_of: Any = lambda r: r.category,
    send_at_of: Any = lambda r: r.send_at,
) -> Any:
    """The first caring message among ``rows`` (None when there is none)."""
    found = [r for r in rows if category_of(r) in FIRST_CARING]
    return min(found, key=send_at_of, default=None)


def notes_sent(breaks: list[Break]) -> set[int]:
    """The breaks among ``breaks`` whose note already went out (or may have): one query."""
    ids = [b.pk for b in breaks if b.pk is not None and b.therapist_note.strip()]
    if not ids:
        return set()
    return set(
        ScheduledPrompt.objects.filter(break_obj_id__in=ids, source=NOTE_SOURCE)
        .filter(status__in=[ScheduledPrompt.Status.SENT, ScheduledPrompt.Status.UNCONFIRMED])
        .values_list("break_obj_id", flat=True)
    )


def put_note_first(brk: Break, rows: list[list], *, sent: set[int]) -> None:
    """Give the break's first caring message the therapist's note, once per break.

    ``rows``: the prompts about to be stored for ``brk``, as breaks.services._store_prompts
    writes them (lists in the order of its ``PROMPT_COLUMNS``); ``sent``: ``notes_sent`` of
    the breaks being stored. Nothing happens without a note, without a first caring message
    in the plan, or when the note already went out."""
    if not brk.therapist_note.strip() or brk.pk in sent:
        return
    first = first_caring(rows, lambda r: r[ROW_CATEGORY], lambda r: r[ROW_SEND_AT])
    if first is None:
        return
    first[ROW_TEXT] = note_message_text(brk)
    first[ROW_TEMPLATE] = None
    first[ROW_SOURCE] = NOTE_SOURCE


# Where put_note_first finds a row's values (breaks.services.PROMPT_COLUMNS, which checks them).
ROW_TEMPLATE, ROW_CATEGORY, ROW_TEXT, ROW_SEND_AT, ROW_SOURCE = 2, 3, 4, 5, 9
