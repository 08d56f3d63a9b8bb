"""The checklist on a break's page: a tick box per item, the notice as a day."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from planner.breaks.forms import add_service_errors, date_field
from planner.checklist.selectors import NOTICE, RETURN, checklist_items
from planner.models import Break


class ChecklistForm(forms.Form):
    """The items of the break's kind; a return session the plan holds is ticked, fixed."""

    def __init__(self, *args: Any, brk: Break, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.brk = brk
        self.items = checklist_items(brk)
        for item in self.items:
            if item.key == NOTICE:
                self.fields[NOTICE] = date_field(
                    item.label,
                    initial=item.notice_day,
                    help_text=_(
                        "The day the client was told. Leave empty until you have told them."
                    ),
                )
            else:
                fixed = item.key == RETURN and item.return_at is not None
                self.fields[item.key] = forms.BooleanField(
                    label=item.label, required=False, initial=item.done, disabled=fixed
                )

    def rows(self) -> list[tuple[forms.BoundField, Any]]:
        return [(self[item.key], item) for item in self.items]

    def to_service_items(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            key: data.get(key) if key == NOTICE else bool(data.get(key))
            for key in self.fields
            if not self.fields[key].disabled
        }

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {"checklist": None, "notice_given_at": NOTICE})
