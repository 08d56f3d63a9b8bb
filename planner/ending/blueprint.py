"""The relapse-prevention blueprint of an ending: its fields, in the order the plan shows them.

A leaf (it imports nothing of the project but translations), so the plan's validation, the
plan builder and the client's pages can all build on the one list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# (field, the client's heading, the therapist's help in the plan builder)
BLUEPRINT_LISTS: tuple[tuple[str, StrOrPromise, StrOrPromise], ...] = (
    (
        "blueprint_learned",
        _("What I learned"),
        _("What the client takes from therapy, in their words. One per line."),
    ),
    (
        "blueprint_early_signs",
        _("My early signs"),
        _("The first signs that things are slipping. One per line."),
    ),
    (
        "blueprint_actions",
        _("What I do then"),
        _("Small, concrete steps for when the early signs show. One per line."),
    ),
    (
        "blueprint_contacts",
        _("Who I contact"),
        _("People and services, with how to reach them. One per line."),
    ),
)
BLUEPRINT_LIST_FIELDS = tuple(name for name, _label, _help in BLUEPRINT_LISTS)
COME_BACK = "blueprint_come_back"
COME_BACK_LABEL = _("How to come back to therapy")
COME_BACK_HELP = _(
    "How re-referral works at your practice (a GP letter, a self-referral form, a waiting "
    "time). The practice's phone and email are shown beside it."
)
COME_BACK_MAX = 2000
BLUEPRINT_FIELDS = (*BLUEPRINT_LIST_FIELDS, COME_BACK)
