"""Every write of letters to self and of the therapist's own message.

Letters. The client writes a letter for their break (the one in progress, else the next)
and chooses when it arrives: on a date, on the first weekend of the break, or when a
check-in is at the plan's threshold or above. A date or a weekend becomes an instant at
the break's first message time that day; ``letters_release`` (beat, every minute) turns a
due letter into an outbox row, so it arrives like any prompt (inbox, and email/SMS with a
neutral line unless the client opted in to full text). A high check-in makes the letter
due at once (``letters_on_high_check_in``, from planner/checkins/services.py). The text
stays in the Letter row: the prompt and the inbox message hold a neutral line, so no
therapist page, API answer, admin list or log ever carries it.

The therapist's note. ``put_note_first`` gives the first caring message of a break (the
first ``first_contact``, or an ending's ``acknowledgement``) the note's words, once per
break; ``note_audio_set`` stores a short recording through Django's storage API after
sniffing its header, with a transcript.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.formats import date_format
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.models import User
from planner import audit
from planner.breaks.selectors import live_break_for_client
from planner.letters.selectors import STANDING, is_arrived
from planner.models import Break, Client, InboxMessage, Letter, ScheduledPrompt
from planner.schedule.localtime import in_quiet_hours, localize

logger = logging.getLogger(__name__)

LETTER_CATEGORY = "letter"
LETTER_LINE = "A letter you wrote to yourself has arrived."
MAX_LETTER = 4000
# How long a released letter may wait in the outbox (workers down) before it is skipped as
# late; the next release sends it again.
LETTER_VALID = timedelta(hours=12)
OPEN_ENDED_DAYS = 366  # a date in an open-ended break: within a year of its start
A = Letter.Arrival


def _first_times(brk: Break) -> list[time]:
    found = []
    for value in brk.prompt_times or ["09:00"]:
        try:
            found.append(time.fromisoformat(str(value)))
        except ValueError:
            continue
    return sorted(found) or [time(9, 0)]


def _instant_on(brk: Break, day: date, *, not_before: datetime) -> datetime | None:
    """The first of the break's message times on ``day`` that is not before ``not_before``."""
    tz = ZoneInfo(brk.timezone)
    for wall in _first_times(brk):
        instant = localize(day, wall, tz)
        if instant >= not_before:
            return instant
    return None


def _last_day(brk: Break) -> date:
    tz = ZoneInfo(brk.timezone)
    end = brk.return_session_at or brk.ends_at
    if end is None:
        return (brk.starts_at + timedelta(days=OPEN_ENDED_DAYS)).astimezone(tz).date()
    return end.astimezone(tz).date()


def arrival_instant(
    brk: Break, arrival: str, arrive_on: date | None, *, at: datetime
) -> datetime | None:
    """When a letter arrives (UTC), or None for "when a check-in is high".

    Raises ValidationError (field ``arrive_on`` or ``arrival``) when the break has no such
    moment left."""
    if arrival == A.CHECK_IN_HIGH:
        return None
    tz = ZoneInfo(brk.timezone)
    first_day = max(brk.starts_at, at).astimezone(tz).date()
    last_day = _last_day(brk)
    not_before = max(brk.starts_at, at)
    if arrival == A.DATE:
        if arrive_on is None:
            raise ValidationError({"arrive_on": [_("Choose the day the letter arrives.")]})
        if not first_day <= arrive_on <= last_day:
            raise ValidationError(
                {
                    "arrive_on": [
                        _("Choose a day from %(first)s to %(last)s, during your break.")
                        % {
                            "first": date_format(first_day, "j F"),
                            "last": date_format(last_day, "j F"),
                        }
                    ]
                }
            )
        instant = _instant_on(brk, arrive_on, not_before=not_before)
        if instant is None:
            raise ValidationError(
                {"arrive_on": [_("Today's message times have passed; choose a later day.")]}
            )
        return instant
    day = first_day
    while day <= last_day:
        if day.weekday() >= 5:  # Saturday or Sunday
            instant = _instant_on(brk, day, not_before=not_before)
            if instant is not None:
                return instant
        day += timedelta(days=1)
    raise ValidationError({"arrival": [_("Your break has no weekend left; choose a date.")]})


def _check_letter(text: Any, arrival: Any) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(text, str) or not text.strip():
        errors["text"] = [_("Write the letter first.")]
    elif len(text) > MAX_LETTER:
        errors["text"] = [_("A letter can be up to %(n)s characters.") % {"n": MAX_LETTER}]
    if arrival not in A.values:
        errors["arrival"] = [_("Choose when the letter arrives.")]
    if errors:
        raise ValidationError(errors)


def letter_create(
    *,
    client: Client,
    actor: User | None,
    text: str,
    arrival: str,
    arrive_on: date | None = None,
    shared: bool = False,
    at: datetime | None = None,
) -> Letter:
    """A new letter for the client's break (the one in progress, else the next one)."""
    at = at or current_time()
    _check_letter(text, arrival)
    brk = live_break_for_client(client, at=at)
    if brk is None:
        raise ValidationError(
            {"arrival": [_("A letter arrives during a break, and no break is planned yet.")]}
        )
    arrives_at = arrival_instant(brk, arrival, arrive_on, at=at)
    letter = Letter.objects.create(
        client=client,
        break_obj=brk,
        text=text.strip(),
        arrival=arrival,
        arrive_on=arrive_on if arrival == A.DATE else None,
        arrives_at=arrives_at,
        shared=bool(shared),
        created_at=at,
    )
    audit.record(actor, "letter.written", client=client, obj=letter, at=at)
    logger.info("letters.written letter=%s client=%s", letter.pk, client.pk)
    return letter


def letter_update(
    *, letter: Letter, actor: User | None, at: datetime | None = None, **changes: Any
) -> Letter:
    """Change the text, the sharing, or (until it arrived) when it arrives."""
    at = at or current_time()
    text = changes.get("text", letter.text)
    arrival = changes.get("arrival", letter.arrival)
    arrive_on = changes.get("arrive_on", letter.arrive_on)
    _check_letter(text, arrival)
    moved = (arrival, arrive_on if arrival == A.DATE else None) != (
        letter.arrival,
        letter.arrive_on,
    )
    if moved:
        if is_arrived(letter):
            raise ValidationError({"arrival": [_("This letter has arrived already.")]})
        letter.arrives_at = arrival_instant(letter.break_obj, arrival, arrive_on, at=at)
    letter.text = text.strip()
    letter.arrival = arrival
    letter.arrive_on = arrive_on if arrival == A.DATE else None
    if "shared" in changes:
        letter.shared = bool(changes["shared"])
    letter.save()
    fields = sorted(k for k in changes if k in ("text", "arrival", "arrive_on", "shared"))
    audit.record(
        actor, "letter.changed", client=letter.client_id, obj=letter, detail={"fields": fields}
    )
    logger.info("letters.changed letter=%s", letter.pk)
    return letter


@transaction.atomic
def letter_delete(*, letter: Letter, actor: User | None) -> None:
    """The letter goes, with the inbox message it brought; a release not yet sent is skipped."""
    prompts = ScheduledPrompt.objects.filter(letter=letter)
    InboxMessage.objects.filter(prompt__in=prompts).delete()
    prompts.filter(status__in=ScheduledPrompt.OPEN_STATUSES).update(
        status=ScheduledPrompt.Status.SKIPPED,
        skip_reason=ScheduledPrompt.SkipReason.CANCELLED,
        claim_token=None,
        claimed_until=None,
        finished_at=current_time(),
    )
    client_id, pk = letter.client_id, letter.pk
    letter.delete()
    audit.record(actor, "letter.deleted", client=client_id, detail={"letter": pk})
    logger.info("letters.deleted letter=%s", pk)


def _quiet_now(brk: Break, now: datetime) -> bool:
    client = brk.client
    start = brk.quiet_hours_start or client.quiet_hours_start
    end = brk.quiet_hours_end or client.quiet_hours_end
    local = now.astimezone(ZoneInfo(brk.timezone or client.timezone))
    return in_quiet_hours(local.time().replace(tzinfo=None), start, end)


def _due_letters(now: datetime):
    standing = ScheduledPrompt.objects.filter(letter=OuterRef("pk"), status__in=STANDING)
    return (
        Letter.objects.filter(
            arrives_at__lte=now,
            break_obj__status__in=Break.LIVE_STATUSES,
            break_obj__paused_at__isnull=True,
            client__deleted_at__isnull=True,
        )
        .exclude(Exists(standing))
        .select_related("break_obj", "break_obj__client")
        .order_by("arrives_at", "id")
    )


def letters_release(*, now: datetime | None = None, only: Iterable[int] | None = None) -> int:
    """Due letters into the outbox: one prompt each, sent by the next sweep. A letter whose
    client is in quiet hours, or paused, waits for the next run. Returns how many."""
    now = now or current_time()
    due = _due_letters(now)
    if only is not None:
        due = due.filter(pk__in=list(only))
    released = 0
    for letter in due[:500]:
        brk = letter.break_obj
        if _quiet_now(brk, now) or brk.client.is_paused(now):
            continue
        with transaction.atomic():
            # Serialise with a concurrent release (a check-in and the beat at once).
            locked = Letter.objects.select_for_update().filter(pk=letter.pk).first()
            if locked is None or not _due_letters(now).filter(pk=letter.pk).exists():
                continue
            ScheduledPrompt.objects.create(
                break_obj=brk,
                client_id=letter.client_id,
                category=LETTER_CATEGORY,
                source="letter",
                letter=letter,
                text=LETTER_LINE,
                send_at=now,
                due_at=now,
                valid_until=now + LETTER_VALID,
                plan_version=brk.plan_version,
            )
        released += 1
        logger.info("letters.released letter=%s", letter.pk)
    return released


def letters_on_high_check_in(*, brk: Break, now: datetime) -> int:
    """A check-in at the plan's threshold or above: the break's "when a check-in is high"
    letters that have not come yet are due now (each arrives once)."""
    ids = list(
        Letter.objects.filter(
            break_obj=brk, arrival=A.CHECK_IN_HIGH, arrives_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Letter.objects.filter(pk__in=ids).update(arrives_at=now)
    transaction.on_commit(partial(_release_after_commit, ids, now))
    return len(ids)


def _release_after_commit(ids: list[int], now: datetime) -> None:
    try:
        letters_release(now=now, only=ids)
    except Exception as error:  # the beat's release sends them a minute later
        logger.warning("letters.release_failed error=%s", type(error).__name__)


def letters_erase(*, client: Client) -> list[str]:
    """Erasure: every letter goes. Returns the recordings' file names, to delete after commit."""
    Letter.objects.filter(client=client).delete()
    names = [
        name
        for name in Break.objects.filter(client=client).values_list("note_audio", flat=True)
        if name
    ]
    Break.objects.filter(client=client).update(
        note_audio="", note_audio_type="", note_transcript=""
    )
    return names


# --- The therapist's recorded note ------------------------------------------------------------

# Audio types Between plays, told by their first bytes (never by the name alone).
AUDIO_EXTENSIONS = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "aac": "audio/mp4",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "webm": "audio/webm",
    "weba": "audio/webm",
    "wav": "audio/wav",
}
MP4_BRANDS = {b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"dash", b"3gp4", b"3gp5"}


def sniff_audio(head: bytes) -> str | None:
    """The audio type the file's header shows, or None."""
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "audio/mpeg"  # an MPEG audio frame (layer bits set: not AAC's ADTS)
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "audio/mp4"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "audio/webm"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    return None


def check_audio(upload: UploadedFile) -> str:
    """The recording's type after checking its size, its name and its header; else a
    ValidationError on ``audio``."""
    limit = settings.AUDIO_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError({"audio": [_("The file is empty.")]})
    if upload.size > limit:
        raise ValidationError(
            {"audio": [_("A recording can be up to %(mb)s MB.") % {"mb": limit // (1024 * 1024)}]}
        )
    extension = (upload.name or "").rsplit(".", 1)[-1].lower() if "." in (upload.name or "") else ""
    expected = AUDIO_EXTENSIONS.get(extension)
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff_audio(head)
    if expected is None or found is None or found != expected:
        raise ValidationError({"audio": [_("Upload an MP3, M4A, OGG, WebM or WAV recording.")]})
    return found


def _delete_files(names: list[str]) -> None:
    storage = Break._meta.get_field("note_audio").storage
    for name in names:
        try:
            storage.delete(name)
        except Exception as error:  # a stray file is cleaned by hand; the row is right
            logger.warning("letters.audio_delete_failed error=%s", type(error).__name__)


def delete_audio_after_commit(names: list[str]) -> None:
    if names:
        transaction.on_commit(partial(_delete_files, names))


@transaction.atomic
def note_audio_set(
    *, brk: Break, actor: User, upload: UploadedFile | None, transcript: str
) -> Break:
    """Store (or replace) the note's recording and its transcript; both are required the
    first time, so the message can be read as well as heard."""
    transcript = (transcript or "").strip()
    errors: dict[str, list[str]] = {}
    if upload is None and not brk.note_audio:
        errors["audio"] = [_("Choose a recording to upload.")]
    if not transcript:
        errors["transcript"] = [_("Add a transcript, so the message can be read as well as heard.")]
    elif len(transcript) > MAX_LETTER:
        errors["transcript"] = [
            _("A transcript can be up to %(n)s characters.") % {"n": MAX_LETTER}
        ]
    kind = ""
    if upload is not None:
        try:
            kind = check_audio(upload)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    old = brk.note_audio.name if brk.note_audio else ""
    if upload is not None:
        brk.note_audio.save("note", upload, save=False)
        brk.note_audio_type = kind
    brk.note_transcript = transcript
    brk.save(update_fields=["note_audio", "note_audio_type", "note_transcript", "updated_at"])
    if upload is not None and old:
        delete_audio_after_commit([old])
    audit.record(actor, "break.note_audio_set", client=brk.client_id, obj=brk)
    logger.info("letters.note_audio_set break=%s", brk.pk)
    return brk


@transaction.atomic
def note_audio_remove(*, brk: Break, actor: User) -> Break:
    old = brk.note_audio.name if brk.note_audio else ""
    brk.note_audio = ""
    brk.note_audio_type = ""
    brk.note_transcript = ""
    brk.save(update_fields=["note_audio", "note_audio_type", "note_transcript", "updated_at"])
    delete_audio_after_commit([old] if old else [])
    audit.record(actor, "break.note_audio_removed", client=brk.client_id, obj=brk)
    return brk
