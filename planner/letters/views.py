"""Pages: the client's letters (write, change, delete), the therapist's recorded note, and
the one view that plays a recording (there is no public URL to any audio file)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from core.middleware import limited_session_allowed
from planner.breaks import selectors as break_selectors
from planner.letters import selectors, services
from planner.letters.forms import LetterForm, NoteAudioForm
from planner.me.views import client_required
from planner.models import Client


def _rows(client: Client) -> list[dict]:
    return [
        {"letter": letter, "state": selectors.letter_state(letter)}
        for letter in selectors.letters_for_client(client)
    ]


@client_required
def letters(request: AuthenticatedHttpRequest, client: Client) -> HttpResponse:
    form = LetterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_create(client=client, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your letter is kept. It will arrive as you chose."))
            return redirect("letters")
    return render(
        request,
        "planner/letters/letters.html",
        {
            "client": client,
            "form": form,
            "rows": _rows(client),
            "brk": break_selectors.live_break_for_client(client),
        },
    )


@client_required
def letter_edit(request: AuthenticatedHttpRequest, client: Client, letter_id: int) -> HttpResponse:
    letter = selectors.access_letter(request.user, letter_id)
    form = LetterForm(request.POST or None, initial=LetterForm.initial_for(letter))
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_update(letter=letter, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your letter is saved."))
            return redirect("letters")
    return render(
        request,
        "planner/letters/letter_edit.html",
        {"client": client, "form": form, "letter": letter, "state": selectors.letter_state(letter)},
    )


@client_required
@require_POST
def letter_delete(
    request: AuthenticatedHttpRequest, client: Client, letter_id: int
) -> HttpResponse:
    letter = selectors.access_letter(request.user, letter_id)
    services.letter_delete(letter=letter, actor=request.user)
    messages.success(request, _("The letter is deleted."))
    return redirect("letters")


@login_required
def note_audio_edit(request: AuthenticatedHttpRequest, break_id: int) -> HttpResponse:
    """The therapist's recording of their note, and its transcript."""
    brk = break_selectors.access_break(request.user, break_id)
    initial = {"transcript": brk.note_transcript}
    form = NoteAudioForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("remove"):
                services.note_audio_remove(brk=brk, actor=request.user)
                messages.success(request, _("The recording is removed."))
            else:
                services.note_audio_set(
                    brk=brk,
                    actor=request.user,
                    upload=form.cleaned_data.get("audio") or None,
                    transcript=form.cleaned_data.get("transcript", ""),
                )
                messages.success(
                    request, _("The recording is saved. The client can play it on My break.")
                )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("break", brk.pk)
    return render(request, "planner/letters/note_audio.html", {"brk": brk, "form": form})


@limited_session_allowed
@login_required
def note_audio(request: AuthenticatedHttpRequest, break_id: int) -> FileResponse:
    """The recording itself, for the break's therapist and its client only."""
    brk = selectors.access_note_audio(request.user, break_id)
    response = FileResponse(
        brk.note_audio.open("rb"), content_type=brk.note_audio_type or "application/octet-stream"
    )
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
