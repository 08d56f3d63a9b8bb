"""Forms for the check-in and after-break review pages (the services validate again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from planner.checkins.services import MAX_NOTE_LENGTH, MAX_REVIEW_ANSWER_LENGTH
from planner.supportmap.vocab import KIND_LABELS, MAX_NAME, NEED_LABELS


class CheckInForm(forms.Form):
    distress = forms.TypedChoiceField(
        label=_("How distressed do you feel right now?"),
        help_text=_("0 is not at all, 10 is the most you can imagine."),
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a number from 0 to 10.")},
    )
    note = forms.CharField(
        label=_("Anything you want to add (optional)"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    need_support_now = forms.BooleanField(label=_("I need support now"), required=False)


class ReviewForm(forms.Form):
    what_helped = forms.CharField(
        label=_("What helped during the break?"),
        required=False,
        max_length=MAX_REVIEW_ANSWER_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    what_was_hard = forms.CharField(
        label=_("What was hard?"),
        required=False,
        max_length=MAX_REVIEW_ANSWER_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    what_to_change = forms.CharField(
        label=_("What would you change next time?"),
        required=False,
        max_length=MAX_REVIEW_ANSWER_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Who or what helped, onto the support map (optional): the map grows from break to break.
    map_name = forms.CharField(
        label=_("Who or what helped? Add it to your support map (optional)"),
        required=False,
        max_length=MAX_NAME,
        help_text=_("A person, a group, a place or something you did, in your own words."),
    )
    map_kind = forms.ChoiceField(
        label=_("Kind"), choices=list(KIND_LABELS.items()), required=False, initial="person"
    )
    map_needs = forms.MultipleChoiceField(
        label=_("What it gave you"),
        required=False,
        choices=list(NEED_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_map_kind(self) -> str:
        return self.cleaned_data.get("map_kind") or "person"
