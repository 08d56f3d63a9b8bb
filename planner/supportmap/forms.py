"""The support map's form: one block per support, blank blocks to add more (no script)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from planner.supportmap.vocab import (
    KIND_LABELS,
    MAX_ITEMS,
    MAX_NAME,
    MAX_NOTE,
    MAX_OWN_NEED,
    NEED_LABELS,
    WHEN_LABELS,
)

EXTRA_ROWS = 2


class SupportItemForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    name = forms.CharField(
        label=_("Who or what"),
        required=False,
        max_length=MAX_NAME,
        help_text=_("In your own words, e.g. Thursday choir, my sister Jo, the park café."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=list(KIND_LABELS.items()))
    needs = forms.MultipleChoiceField(
        label=_("What it gives you"),
        required=False,
        choices=list(NEED_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    own_need = forms.CharField(
        label=_("Or in your own word"), required=False, max_length=MAX_OWN_NEED
    )
    when = forms.MultipleChoiceField(
        label=_("When it is there"),
        required=False,
        choices=list(WHEN_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Prompts bring it up on these days. Leave empty for any time."),
    )
    on_date = forms.DateField(
        label=_("Or on a date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=MAX_NOTE)

    def item(self) -> dict[str, Any] | None:
        """The support as the service takes it; None for a blank or removed block."""
        data = self.cleaned_data
        if not data or data.get("DELETE") or not (data.get("name") or "").strip():
            return None
        needs = list(data.get("needs") or [])
        if (data.get("own_need") or "").strip():
            needs.append(data["own_need"].strip())
        when = list(data.get("when") or [])
        if data.get("on_date"):
            when.append(data["on_date"].isoformat())
        return {
            "id": data.get("id"),
            "kind": data["kind"],
            "name": data["name"],
            "needs": needs,
            "when": when,
            "note": data.get("note") or "",
        }

    @classmethod
    def initial_for(cls, row: Any) -> dict[str, Any]:
        own = [n for n in row.needs if n not in NEED_LABELS]
        dates = [w for w in row.when if w not in WHEN_LABELS]
        return {
            "id": row.pk,
            "name": row.name,
            "kind": row.kind,
            "needs": [n for n in row.needs if n in NEED_LABELS],
            "own_need": own[0] if own else "",
            "when": [w for w in row.when if w in WHEN_LABELS],
            "on_date": dates[0] if dates else None,
            "note": row.note,
        }


class BaseSupportMapFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Take it off the map")


SupportMapFormSet = forms.formset_factory(
    SupportItemForm,
    formset=BaseSupportMapFormSet,
    extra=EXTRA_ROWS,
    can_delete=True,
    max_num=MAX_ITEMS,
    absolute_max=MAX_ITEMS,
)


def map_formset(rows: list[Any], data: Any = None) -> Any:
    return SupportMapFormSet(
        data, initial=[SupportItemForm.initial_for(r) for r in rows], prefix="support"
    )


def formset_items(formset: Any) -> list[dict[str, Any]]:
    return [item for form in formset.forms if (item := form.item()) is not None]
