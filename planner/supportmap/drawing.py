"""The support map as a picture: the client at the centre, their supports grouped by need
around them, drawn on the server as inline SVG (like breaks/timeline.py).

No ORM and no clock: the items arrive as arguments. Colours are presentation attributes
(the Content-Security-Policy forbids inline styles). The drawing is one ``role="img"`` with a
title and a description; the same content is given as a table beneath it, for screen
readers and for anyone who prefers text. A support that meets several needs is drawn in
each of their groups; an item with no need yet is in "Not sorted yet".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from planner.schedule.supports import NEEDS
from planner.supportmap.vocab import KIND_LABELS, need_label, when_label

WIDTH, HEIGHT = 760, 600
CENTRE_X, CENTRE_Y = WIDTH / 2, HEIGHT / 2
RADIUS_X, RADIUS_Y = 240, 170
MAX_SHOWN, MAX_CHARS, LINE = 4, 24, 16

# Dark enough for 3:1 against white; told apart by the group's label, never colour alone.
NEED_COLOURS = {
    "company": "#b0413e",
    "practical": "#55606a",
    "comfort": "#1d6b3a",
    "fun": "#b35900",
    "purpose": "#6b4c9a",
    "calm": "#0b5cad",
}
OWN_COLOUR, UNSORTED_COLOUR, CENTRE_COLOUR = "#0f6e6e", "#4a5863", "#1f2a33"


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    colour: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    needs: str
    when: str
    note: str


def groups_of(items: Sequence[Any]) -> list[Group]:
    """The need groups that have supports: the six needs in order, then the client's own
    words in the order they first appear, then the supports with no need yet."""
    order = list(NEEDS)
    for item in items:
        order += [n for n in item.needs if n not in order]
    found = []
    for need in order:
        names = tuple(item.name for item in items if need in item.needs)
        if names:
            colour = NEED_COLOURS.get(need, OWN_COLOUR)
            found.append(Group(need, need_label(need), colour, names))
    unsorted = tuple(item.name for item in items if not item.needs)
    if unsorted:
        found.append(Group("", _("Not sorted yet"), UNSORTED_COLOUR, unsorted))
    return found


def _short(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "\u2026"


def _group_svg(group: Group, angle: float) -> list[str]:
    x = CENTRE_X + RADIUS_X * math.cos(angle)
    y = CENTRE_Y + RADIUS_Y * math.sin(angle)
    anchor = "middle" if abs(math.cos(angle)) < 0.3 else ("start" if math.cos(angle) > 0 else "end")
    dx = {"start": 14, "end": -14, "middle": 0}[anchor]
    lines = [_short(n) for n in group.names[:MAX_SHOWN]]
    if len(group.names) > MAX_SHOWN:
        extra = len(group.names) - MAX_SHOWN
        lines.append(ngettext("and %(n)d more", "and %(n)d more", extra) % {"n": extra})
    # Label and names above the node in the top of the picture, beside or below it elsewhere.
    block = LINE * (len(lines) + 1)
    if math.sin(angle) < -0.3:
        top = y - 14 - block
    elif anchor == "middle":
        top = y + 14
    else:
        top = y - 8
    parts = [
        f'<line x1="{CENTRE_X:.0f}" y1="{CENTRE_Y:.0f}" x2="{x:.1f}" y2="{y:.1f}" '
        f'stroke="{group.colour}" stroke-width="2"/>',
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{group.colour}"/>',
        f'<text x="{x + dx:.1f}" y="{top + LINE:.1f}" text-anchor="{anchor}" font-weight="bold" '
        f'font-size="14" fill="#1f2a33">{escape(group.label)}</text>',
    ]
    for n, line in enumerate(lines):
        parts.append(
            f'<text x="{x + dx:.1f}" y="{top + LINE * (n + 2):.1f}" text-anchor="{anchor}" '
            f'font-size="13" fill="#1f2a33">{escape(line)}</text>'
        )
    return parts


def map_svg(items: Sequence[Any], *, centre: str, id_prefix: str = "map") -> SafeString:
    groups = groups_of(items)
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    description = "; ".join(f"{g.label}: {', '.join(g.names)}" for g in groups) or _(
        "No supports yet."
    )
    parts = [
        f'<svg class="support-map" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(_("Support map"))}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]
    for n, group in enumerate(groups):
        angle = -math.pi / 2 + 2 * math.pi * n / max(len(groups), 1)
        parts += _group_svg(group, angle)
    parts += [
        f'<circle cx="{CENTRE_X:.0f}" cy="{CENTRE_Y:.0f}" r="34" fill="{CENTRE_COLOUR}"/>',
        f'<text x="{CENTRE_X:.0f}" y="{CENTRE_Y + 5:.0f}" text-anchor="middle" font-size="15" '
        f'font-weight="bold" fill="#ffffff">{escape(_short(centre))}</text>',
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308  (every text above is escaped)


def table_rows(items: Sequence[Any]) -> list[Row]:
    return [
        Row(
            name=item.name,
            kind=str(KIND_LABELS.get(item.kind, item.kind)),
            needs=", ".join(need_label(n) for n in item.needs) or _("Not sorted yet"),
            when=", ".join(when_label(w) for w in item.when) or _("Any time"),
            note=item.note,
        )
        for item in items
    ]


def map_context(items: Iterable[Any], *, centre: str, id_prefix: str = "map") -> dict[str, Any]:
    """What templates/planner/supportmap/_map.html needs."""
    items = list(items)
    return {
        "svg": map_svg(items, centre=centre, id_prefix=id_prefix),
        "table": table_rows(items),
        "count": len(items),
        "id_prefix": id_prefix,
    }
