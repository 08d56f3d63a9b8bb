"""The client's letter form and the therapist's recorded-note form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from planner.breaks.forms import add_service_errors
from planner.letters.services import MAX_LETTER
from planner.models import Letter


class LetterForm(forms.Form):
    text = forms.CharField(
        label=_("Your letter"),
        max_length=MAX_LETTER,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Write to yourself as you will be during the break: what you know now that you "
            "may want to hear then."
        ),
    )
    arrival = forms.ChoiceField(
        label=_("When should it arrive?"),
        choices=Letter.Arrival.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "It arrives in your messages at your first message time of the day. "
            '"When a check-in is high" means a check-in at or above your plan\'s threshold.'
        ),
    )
    arrive_on = forms.DateField(
        label=_("The day (for a date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    shared = forms.BooleanField(
        label=_("Share this letter with my therapist"),
        required=False,
        help_text=_(
            "Unless you tick this, only you can read it. Your therapist sees only that a "
            "letter exists."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        dated = data.get("arrival") == Letter.Arrival.DATE
        if dated and not data.get("arrive_on") and not self.has_error("arrive_on"):
            self.add_error("arrive_on", _("Choose the day the letter arrives."))
        return data

    @classmethod
    def initial_for(cls, letter: Letter) -> dict[str, Any]:
        return {
            "text": letter.text,
            "arrival": letter.arrival,
            "arrive_on": letter.arrive_on,
            "shared": letter.shared,
        }

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {})


class NoteAudioForm(forms.Form):
    audio = forms.FileField(
        label=_("Recording"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*"}),
    )
    transcript = forms.CharField(
        label=_("Transcript"),
        max_length=MAX_LETTER,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you say in the recording, for a client who reads rather than listens."),
    )

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["audio"].help_text = _(
            "A short recording of your note: MP3, M4A, OGG, WebM or WAV, up to %(mb)s MB."
        ) % {"mb": settings.AUDIO_MAX_BYTES // (1024 * 1024)}
