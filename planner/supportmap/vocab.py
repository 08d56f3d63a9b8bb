"""The words of the support map: kinds, needs and "when", with their labels."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from planner.schedule.supports import KINDS, NEEDS, WEEKDAY_TOKENS, WHEN_TOKENS

KIND_LABELS = {
    "person": _("Person"),
    "group": _("Group"),
    "place": _("Place"),
    "activity": _("Activity"),
    "look_forward": _("Something to look forward to"),
}
NEED_LABELS = {
    "company": _("Company"),
    "practical": _("Practical help"),
    "comfort": _("Comfort"),
    "fun": _("Fun"),
    "purpose": _("Purpose"),
    "calm": _("Calm"),
}
WHEN_LABELS = {
    "mon": _("Mondays"),
    "tue": _("Tuesdays"),
    "wed": _("Wednesdays"),
    "thu": _("Thursdays"),
    "fri": _("Fridays"),
    "sat": _("Saturdays"),
    "sun": _("Sundays"),
    "weekends": _("Weekends"),
    "evenings": _("Evenings"),
}
assert set(KIND_LABELS) == set(KINDS) and set(NEED_LABELS) == set(NEEDS)
assert set(WHEN_LABELS) == set(WHEN_TOKENS) and set(WEEKDAY_TOKENS) <= set(WHEN_LABELS)

MAX_ITEMS = 40
MAX_NAME = 80
MAX_NOTE = 300
MAX_NEEDS = 8
MAX_OWN_NEED = 30
MAX_WHEN = 12


def need_label(need: str) -> str:
    """A need's label, or the client's own word as they wrote it."""
    return str(NEED_LABELS.get(need, need))


def when_label(token: str) -> str:
    return str(WHEN_LABELS.get(token, token))
