"""Between's data: clients, breaks and their plans, prompts, deliveries, check-ins.

All datetimes are stored in UTC; local times ("HH:MM") are wall-clock times in the
client's or break's IANA timezone.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from planner.schedule.text import validate_template
from planner.schedule.types import Category, TemplateSpec
from planner.schedule.types import Kind as ScheduleKind

# A check-in at or above this distress (0-10) asks for support, unless the plan sets its own.
DEFAULT_DISTRESS_THRESHOLD = 7


def default_prompt_times() -> list[str]:
    return ["09:00", "13:00", "19:00"]


def default_channels() -> list[str]:
    return ["inbox"]


PROMPT_AMOUNTS = [
    ("fewer", _("Fewer")),
    ("usual", _("The usual amount")),
    ("more", _("More")),
]

# Topics a plan can leave out for one client (the prompts tagged with them).
AVOID_TOPICS = [
    ("body", _("Breathing and body-focused exercises")),
    ("food", _("Prompts that mention food or eating")),
]


def audio_storage() -> Storage:
    """Where recorded notes are kept: STORAGES["audio"] (the file system, or S3-compatible
    storage through django-storages when configured). Never served by a public URL: only
    through a view that checks who asks (planner/letters/views.py)."""
    return storages["audio"]


def note_audio_path(instance: Break, filename: str) -> str:
    """A random name: neither the client's nor the original file's name is in the path."""
    return f"notes/{uuid.uuid4().hex}"


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Push notification")


class Client(models.Model):
    """A therapist's client. May have a login (``user``) to see their plan and inbox."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clients"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client_profile",
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # ISO 3166-1 alpha-2, or "" when not known: then no country's crisis lines are shown,
    # only "your local emergency number". Set where the client is created; the client
    # confirms it (country_confirmed_at) on their preferences page.
    country = models.CharField(_("country"), max_length=2, blank=True, default="")
    country_confirmed_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/London")
    quiet_hours_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    prompt_times = models.JSONField(_("prompt times"), default=default_prompt_times)
    channels = models.JSONField(_("channels"), default=default_channels)
    # How many prompts the client wants (fewer / usual / more); their breaks follow it.
    prompt_amount = models.CharField(
        _("how many prompts"), max_length=8, choices=PROMPT_AMOUNTS, default="usual"
    )
    # Email/SMS carry only a neutral line and a link unless the client opted in to full text.
    full_text_opt_in = models.BooleanField(default=False)
    paused_until = models.DateTimeField(null=True, blank=True)
    # Therapy has ended: off the dashboard and out of caseload absences, history kept.
    archived_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # When the support map was first opened (and started from the plan's sections): a map
    # emptied later on purpose is not filled again.
    support_map_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["therapist", "last_name"])]

    def __str__(self) -> str:
        return f"Client {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def is_paused(self, at=None) -> bool:
        at = at or now()
        return self.paused_until is not None and self.paused_until > at


class ImmutableRecordError(Exception):
    """An append-only record (consent, audit) was about to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    """No bulk delete. (Cascades from a deleted client and SET_NULL updates still work.)"""

    def delete(self):
        raise ImmutableRecordError(f"{self.model.__name__} rows are append-only.")


class AppendOnly(models.Model):
    """A row that is written once and never edited or deleted through the ORM's front door."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(f"A {type(self).__name__} is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(f"A {type(self).__name__} is never deleted.")


class ConsentRecord(AppendOnly):
    """Versioned consent: one row per change, never edited (channels, escalation, full text).

    Append-only: a change of mind is a new row. The rows go only with their client (a
    cascade) and hold no personal data, so ``privacy.client_erase`` keeps them.
    """

    class Subject(models.TextChoices):
        EMAIL = "email", _("Email messages")
        SMS = "sms", _("SMS messages")
        PUSH = "push", _("Push notifications on a device")
        FULL_TEXT = "full_text", _("Full message text in email/SMS")
        ESCALATION = "escalation", _("Escalation to the covering clinician")
        SHARE_CHECK_INS = "share_check_ins", _("Covering clinician may read check-ins")
        FOLLOW_UPS = "follow_ups", _("Follow-up messages after therapy ends")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    subject = models.CharField(max_length=32, choices=Subject.choices)
    granted = models.BooleanField()
    recorded_at = models.DateTimeField(default=now)
    source = models.CharField(max_length=64, default="web")  # web, api, sms-stop, therapist...
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["client", "subject", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.subject}={'yes' if self.granted else 'no'} for client {self.client_id}"


class Break(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = ScheduleKind.HOLIDAY.value, _("Holiday")
        GAP = ScheduleKind.GAP.value, _("Longer gap between sessions")
        UNPLANNED = ScheduleKind.UNPLANNED.value, _("Unplanned absence")
        ENDING = ScheduleKind.ENDING.value, _("Ending of therapy")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class SessionsPlan(models.TextChoices):
        """Unplanned absence: what happens to the client's booked sessions, and who calls."""

        CANCELLED_PRACTICE = (
            "cancelled_practice",
            _("Booked sessions are cancelled for now; the practice will contact the client"),
        )
        CANCELLED_COVERING = (
            "cancelled_covering",
            _("Booked sessions are cancelled for now; the covering clinician will contact them"),
        )
        WITH_COVERING = (
            "with_covering",
            _("Booked sessions go ahead at the usual times with the covering clinician"),
        )

    LIVE_STATUSES = (Status.SCHEDULED, Status.ACTIVE)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="breaks")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="breaks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    return_session_at = models.DateTimeField(_("return session"), null=True, blank=True)
    notice_given_at = models.DateTimeField(_("notice given at"), null=True, blank=True)
    # Schedule settings (default from the client).
    timezone = models.CharField(_("timezone"), max_length=64)
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    prompt_times = models.JSONField(default=default_prompt_times)
    max_per_day = models.PositiveSmallIntegerField(default=3)
    min_spacing_minutes = models.PositiveIntegerField(default=120)
    prompt_amount = models.CharField(max_length=8, choices=PROMPT_AMOUNTS, default="usual")
    avoid_topics = models.JSONField(default=list, blank=True)  # values of AVOID_TOPICS
    seed = models.IntegerField(default=0)
    # Bumped on every edit; a claimed prompt of an older version is never delivered.
    plan_version = models.PositiveIntegerField(default=1)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Covering clinician: free text (name, phone, email) and, when a colleague, their user.
    covering_clinician = models.JSONField(null=True, blank=True)
    covering_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="covered_breaks",
    )
    # The six sections of a safety plan (Stanley-Brown), plus a note and reasons for hope.
    warning_signs = models.JSONField(default=list, blank=True)
    coping_strategies = models.JSONField(default=list, blank=True)
    distractions = models.JSONField(default=list, blank=True)  # people and places
    support_contacts = models.JSONField(default=list, blank=True)  # [{name, relationship,...}]
    professional_contacts = models.JSONField(default=list, blank=True)  # beyond the covering
    environment_safety = models.JSONField(default=list, blank=True)
    reasons_for_hope = models.JSONField(default=list, blank=True)
    therapist_note = models.TextField(blank=True)
    # A short recording of the note (optional), its sniffed type and its transcript.
    note_audio = models.FileField(
        upload_to=note_audio_path, storage=audio_storage, blank=True, max_length=200
    )
    note_audio_type = models.CharField(max_length=32, blank=True)
    note_transcript = models.TextField(blank=True, max_length=4000)
    # An ending: booked booster sessions after the last one (ISO 8601 datetimes, UTC).
    booster_sessions = models.JSONField(default=list, blank=True)
    # An ending: the relapse-prevention blueprint built in the last sessions (planner/ending):
    # what I learned, my early signs, what I do then, who I contact (one item a line each),
    # and how to come back to therapy (the practice's contact is shown beside it).
    blueprint_learned = models.JSONField(default=list, blank=True)
    blueprint_early_signs = models.JSONField(default=list, blank=True)
    blueprint_actions = models.JSONField(default=list, blank=True)
    blueprint_contacts = models.JSONField(default=list, blank=True)
    blueprint_come_back = models.TextField(blank=True)
    # An ending: when the client said yes to follow-ups after the last session (None: they
    # have not, and nothing is sent after it but the reminders of booked booster sessions).
    follow_ups_opted_in_at = models.DateTimeField(null=True, blank=True)
    # The pre-break checklist (planner/checklist): item -> when it was ticked (ISO 8601, UTC).
    checklist = models.JSONField(default=dict, blank=True)
    # An unplanned absence: what happens to booked sessions (said in the first message), a
    # client to phone rather than message (their plan waits as a draft), and the news to
    # give once after an edit (a return booked, or a longer absence).
    sessions_plan = models.CharField(max_length=24, choices=SessionsPlan.choices, blank=True)
    needs_call = models.BooleanField(default=False)
    news = models.CharField(max_length=24, blank=True)
    news_at = models.DateTimeField(null=True, blank=True)
    # Check-ins and escalation (opt-in, recorded with the client's consent).
    distress_threshold = models.PositiveSmallIntegerField(default=DEFAULT_DISTRESS_THRESHOLD)
    escalation_enabled = models.BooleanField(default=False)
    escalation_consent_at = models.DateTimeField(null=True, blank=True)
    share_check_ins_with_covering = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["therapist", "status", "starts_at"]),
            models.Index(fields=["client", "status"]),
        ]

    def __str__(self) -> str:
        return f"Break {self.pk} ({self.kind}, {self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    @property
    def min_spacing(self) -> timedelta:
        return timedelta(minutes=self.min_spacing_minutes)

    @property
    def booster_datetimes(self) -> list[datetime]:
        """The booked booster sessions as aware datetimes, in order."""
        found = []
        for value in self.booster_sessions or []:
            try:
                parsed = datetime.fromisoformat(str(value))
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                found.append(parsed)
        return sorted(found)

    @property
    def last_session_at(self) -> datetime | None:
        """An ending's last session (its end, else its start); None for other kinds."""
        if self.kind != self.Kind.ENDING:
            return None
        return self.ends_at or self.starts_at


class PromptTemplate(models.Model):
    """One prompt of the library (``practice`` null) or a practice's own prompt."""

    key = models.SlugField(max_length=64, unique=True)
    practice = models.ForeignKey(
        "core.Practice", null=True, blank=True, on_delete=models.CASCADE, related_name="prompts"
    )
    category = models.CharField(max_length=32, choices=[(c.value, c.value) for c in Category])
    kinds = models.JSONField(default=list)
    text = models.TextField()
    # Facts the text states besides its placeholders, topics a plan may leave out, and
    # whether it opens its category (see planner.schedule.types.TemplateSpec).
    requires = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)
    lead = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # Practices that switched this library prompt off.
    disabled_by = models.ManyToManyField(
        "core.Practice", blank=True, related_name="disabled_prompts"
    )

    class Meta:
        ordering = ["category", "key"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        """A practice's own prompt is checked like the shipped ones: known placeholders only."""
        if self.category not in Category._value2member_map_:
            return  # the field's own choices report this
        spec = TemplateSpec(
            id=self.key or "new",
            category=Category(self.category),
            text=self.text,
            requires=frozenset(self.requires or ()),
            topics=frozenset(self.topics or ()),
        )
        problems = validate_template(spec)
        if problems:
            raise ValidationError({"text": problems})


class ScheduledPrompt(models.Model):
    """The outbox: one row per planned prompt, written with the plan."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CLAIMED = "claimed", _("Claimed")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")

    class SkipReason(models.TextChoices):
        CANCELLED = "cancelled", _("Break cancelled")
        PAUSED = "paused", _("Paused")
        EXPIRED = "expired", _("Past its validity window")
        QUIET_HOURS = "quiet_hours", _("Quiet hours")
        CHANNEL_WITHDRAWN = "channel_withdrawn", _("Channel withdrawn")
        SUPERSEDED = "superseded", _("Plan changed")
        CLIENT_DELETED = "client_deleted", _("Client data deleted")

    OPEN_STATUSES = (Status.PENDING, Status.CLAIMED)
    TERMINAL_STATUSES = (Status.SENT, Status.SKIPPED, Status.FAILED, Status.UNCONFIRMED)

    # No index of its own: the (break, send_at) index below serves every lookup by break.
    break_obj = models.ForeignKey(
        Break,
        on_delete=models.CASCADE,
        related_name="prompts",
        db_column="break_id",
        db_index=False,
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="prompts")
    template = models.ForeignKey(
        PromptTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=32, choices=[(c.value, c.value) for c in Category])
    text = models.TextField()
    # Not from the library: the therapist's own note ("note") or a letter to self ("letter",
    # whose words stay in the Letter row: ``text`` holds only a neutral line).
    source = models.CharField(max_length=8, blank=True, default="")
    letter = models.ForeignKey(
        "Letter", null=True, blank=True, on_delete=models.SET_NULL, related_name="prompts"
    )
    send_at = models.DateTimeField()
    valid_until = models.DateTimeField()
    plan_version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(max_length=32, choices=SkipReason.choices, blank=True)
    # When the sweep should next look at this row: send_at, a retry's backoff time, or the
    # end of a claim's lease (so the sweep is also the reaper). One partial index serves all.
    due_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["send_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="prompt_due_open_idx",
                condition=models.Q(status__in=["pending", "claimed"]),
            ),
            models.Index(fields=["break_obj", "send_at"]),
            models.Index(fields=["status", "finished_at"]),
        ]

    def __str__(self) -> str:
        return f"Prompt {self.pk} ({self.category}, {self.status})"


class Delivery(models.Model):
    """One delivery of one prompt over one channel: unique, so nothing is sent twice."""

    class Status(models.TextChoices):
        # queued: written with the claim, not yet handed to the provider (safe to send);
        # attempting: about to be / being handed to the provider. A crash leaves it here, and
        # the reaper turns it into unconfirmed: it is never sent again.
        QUEUED = "queued", _("Queued")
        ATTEMPTING = "attempting", _("Attempting")
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Will retry")
        FAILED = "failed", _("Failed")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        SKIPPED = "skipped", _("Skipped")

    # No index of its own: the unique (prompt, channel) constraint's index serves every
    # lookup by prompt, and each delivery written during a peak updates one index fewer.
    prompt = models.ForeignKey(
        ScheduledPrompt, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ATTEMPTING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    provider_id = models.CharField(max_length=128, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=now)
    attempted_at = models.DateTimeField(null=True, blank=True)
    # A transient failure waits here (exponential backoff); the prompt's due_at follows it.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    TERMINAL_STATUSES = (Status.SENT, Status.FAILED, Status.UNCONFIRMED, Status.SKIPPED)

    class Meta:
        ordering = ["prompt_id", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "channel"], name="one_delivery_per_channel")
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Delivery {self.pk} ({self.channel}, {self.status})"


class ChannelCircuit(models.Model):
    """A provider's health, per external channel (the outbox's circuit breaker).

    Consecutive transient failures are counted; at DISPATCH_BREAKER_FAILURES the channel is
    paused until ``paused_until``, and no prompt spends an attempt on it meanwhile. A success
    resets it. Holds no personal data: the error is a short code."""

    channel = models.CharField(max_length=16, choices=Channel.choices, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.channel}: {self.consecutive_failures} failures"


class Letter(models.Model):
    """A letter the client writes to themselves, to arrive during a break.

    The client's alone: its text is shown to nobody else unless ``shared``, and never
    copied into a prompt, an inbox message or a log (those hold a neutral line and ids).
    """

    class Arrival(models.TextChoices):
        DATE = "date", _("On a date I choose")
        FIRST_WEEKEND = "first_weekend", _("On the first weekend of the break")
        CHECK_IN_HIGH = "check_in_high", _("When a check-in is high")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="letters")
    break_obj = models.ForeignKey(
        Break, on_delete=models.CASCADE, related_name="letters", db_column="break_id"
    )
    text = models.TextField(max_length=4000)
    arrival = models.CharField(max_length=16, choices=Arrival.choices)
    arrive_on = models.DateField(null=True, blank=True)  # a local date, for "date"
    # When it is due (UTC): set from the date or the weekend, or by a high check-in.
    arrives_at = models.DateTimeField(null=True, blank=True)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["client", "created_at"]),
            models.Index(fields=["arrives_at"], name="letter_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Letter {self.pk}"


class InboxMessage(models.Model):
    """A prompt delivered to the client's in-app inbox; one per prompt, exactly once."""

    # No index of its own: the (client, -delivered_at, -id) index serves every lookup by client.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="inbox", db_index=False
    )
    prompt = models.OneToOneField(
        ScheduledPrompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbox"
    )
    break_obj = models.ForeignKey(
        Break, null=True, blank=True, on_delete=models.SET_NULL, db_column="break_id"
    )
    category = models.CharField(max_length=32)
    text = models.TextField()
    delivered_at = models.DateTimeField(default=now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-delivered_at", "-id"]
        indexes = [models.Index(fields=["client", "-delivered_at", "-id"])]

    def __str__(self) -> str:
        return f"Inbox message {self.pk}"


class CheckIn(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="check_ins")
    break_obj = models.ForeignKey(
        Break,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="check_ins",
        db_column="break_id",
    )
    distress = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True, max_length=2000)
    need_support_now = models.BooleanField(default=False)
    escalated = models.BooleanField(default=False)
    # A request for support while an escalation is still open joins it (and alerts again).
    repeat_of = models.ForeignKey(
        "Escalation", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats"
    )
    repeat_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"])]

    def __str__(self) -> str:
        return f"Check-in {self.pk}"


class Escalation(models.Model):
    class Status(models.TextChoices):
        NOTIFIED = "notified", _("Covering clinician notified")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        FALLBACK_NOTIFIED = "fallback_notified", _("Practice fallback notified")

    check_in = models.OneToOneField(CheckIn, on_delete=models.CASCADE, related_name="escalation")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="escalations")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NOTIFIED)
    token = models.UUIDField(default=uuid.uuid4, unique=True)
    notified_at = models.DateTimeField(default=now)
    acknowledge_by = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    fallback_notified_at = models.DateTimeField(null=True, blank=True)
    # Set by the one task run that messages the covering clinician (a conditional update
    # claims it), so a redelivered task never sends twice.
    covering_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-notified_at"]
        indexes = [
            models.Index(fields=["status", "acknowledge_by"]),
            # The rate limit: "any escalation for this client since <time>?"
            models.Index(fields=["client", "-notified_at"]),
        ]

    def __str__(self) -> str:
        return f"Escalation {self.pk} ({self.status})"


class BreakReview(models.Model):
    """The after-break review: what helped, what was hard, what to change next time."""

    break_obj = models.OneToOneField(
        Break, on_delete=models.CASCADE, related_name="review", db_column="break_id"
    )
    what_helped = models.TextField(blank=True, max_length=2000)
    what_was_hard = models.TextField(blank=True, max_length=2000)
    what_to_change = models.TextField(blank=True, max_length=2000)
    submitted_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"Review of break {self.break_obj_id}"


class PracticeCrisisResource(models.Model):
    """A local service a practice adds to the shipped crisis resources."""

    practice = models.ForeignKey(
        "core.Practice", on_delete=models.CASCADE, related_name="crisis_resources"
    )
    country = models.CharField(max_length=2)
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=32, blank=True)
    sms = models.CharField(max_length=32, blank=True)
    text_line = models.CharField(max_length=200, blank=True)
    hours = models.CharField(max_length=200)
    source = models.URLField()
    checked_on = models.DateField()

    class Meta:
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return self.name


class AuditEvent(AppendOnly):
    """Who read or changed a client's data. Append-only; details never hold message text."""

    at = models.DateTimeField(default=now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=64)  # e.g. "break.read", "checkin.escalated"
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # record_read's "read in the last ten minutes?" and the staff page's filters.
            models.Index(
                fields=["actor", "object_type", "object_id", "-at"], name="audit_actor_obj_idx"
            ),
            models.Index(fields=["client", "-at"], name="audit_client_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class InboundSms(models.Model):
    """An SMS webhook call already acted on, by the provider's message id (Twilio's
    MessageSid): a replayed request (the same signed STOP or START again) changes nothing.
    Holds no number and no text."""

    message_sid = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"SMS {self.message_sid[:10]}"


class SignedLinkUse(models.Model):
    """A single-use signed link that has been used (its nonce), so it cannot be used again."""

    nonce = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=32)
    used_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.purpose}:{self.nonce[:8]}"


class Invitation(models.Model):
    """An emailed, single-use, expiring link to set a password and join Between.

    For a client (``client`` set: the login is made for that record), a therapist or a staff
    member of ``practice``. Only the SHA-256 of the token is stored; the token itself is made
    by whoever hands it out (the Celery task right before it sends the email, or
    ``manage.py createpractice`` when it prints the link), so it is never in the database, a
    queued task or a log. Minting a new token replaces the hash: the previous link stops
    working. The login (``user``) is created when the invitation is accepted.
    """

    practice = models.ForeignKey(
        "core.Practice", on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=16)  # a core.User.Role value
    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["practice", "role", "-created_at"])]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class ContinuityPlan(models.Model):
    """A therapist's plan for their sudden absence (a "professional will"): the colleague of
    the practice who will contact their clients, what to say, and who needs a phone call
    rather than a message. Read only by the therapist, and by the colleague while practice
    staff have declared an unplanned absence for the therapist (``continuity.selectors``)."""

    therapist = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="continuity_plan"
    )
    colleague = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="continuity_plans_named",
    )
    script = models.TextField(_("what to say"), blank=True, max_length=4000)
    call_clients = models.ManyToManyField(Client, blank=True, related_name="+")
    # Staff said the therapist will not come back (during a declared absence): the colleague
    # may then hand each client over to another therapist. Cleared when the absence ends.
    will_not_return_at = models.DateTimeField(null=True, blank=True)
    will_not_return_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Continuity plan of therapist {self.therapist_id}"


class ContinuityCall(models.Model):
    """A call the colleague made to a client of the absent therapist."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Spoke with the client")
        MESSAGE_LEFT = "message_left", _("Left a message")
        NO_ANSWER = "no_answer", _("No answer")
        WRONG_NUMBER = "wrong_number", _("Number not in use or wrong")

    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="calls")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="continuity_calls")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField(_("when"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-called_at", "-id"]
        indexes = [models.Index(fields=["client", "-called_at"])]

    def __str__(self) -> str:
        return f"Call {self.pk} ({self.outcome})"


class PushSubscription(models.Model):
    """One device (one browser) of a client that takes Web Push notifications.

    Made when the client turns notifications on from Preferences; the browser's push service
    gives ``endpoint`` and the two keys the message is encrypted to. Removed by the client,
    when the push service answers 404/410 (the browser dropped it), and by erasure. The
    consent record is the client's "yes" on that device (subject ``push``)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="push_subscriptions")
    # A push service's URL for this browser; unique: a browser has one per origin.
    endpoint = models.URLField(max_length=1024, unique=True)
    p256dh = models.CharField(max_length=128)  # the browser's P-256 public key, base64url
    auth = models.CharField(max_length=64)  # the 16-byte auth secret, base64url
    created_at = models.DateTimeField(default=now)
    consent = models.ForeignKey(
        ConsentRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Push subscription {self.pk}"


class SupportItem(models.Model):
    """One real support on the client's support map: a person, group, place, activity or
    something to look forward to, the needs it meets and when it is there.

    The map belongs to the client, not to one break: it grows from break to break. ``needs``
    holds values of planner.supportmap.vocab.NEEDS or the client's own words; ``when`` holds
    day tokens ("thu", "weekends", "evenings") and ISO dates ("2026-12-24")."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        GROUP = "group", _("Group")
        PLACE = "place", _("Place")
        ACTIVITY = "activity", _("Activity")
        LOOK_FORWARD = "look_forward", _("Something to look forward to")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="support_items")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=80)
    needs = models.JSONField(default=list, blank=True)
    when = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Where it came from: the plan's sections, a review, or added on the map itself.
    source = models.CharField(max_length=16, default="map")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["client", "position"])]

    def __str__(self) -> str:
        return f"Support item {self.pk}"


class PromptFeedback(models.Model):
    """The client's "This helped" / "Not for me" on one inbox message (changeable).

    "Not for me" keeps that template out of the client's future prompts and weighs its
    category down; "This helped" weighs the category up (planner.supportmap.selectors)."""

    message = models.OneToOneField(InboxMessage, on_delete=models.CASCADE, related_name="feedback")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="prompt_feedback")
    break_obj = models.ForeignKey(
        Break, null=True, blank=True, on_delete=models.SET_NULL, db_column="break_id"
    )
    template = models.ForeignKey(
        PromptTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=32)
    helpful = models.BooleanField()
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["client", "helpful"])]

    def __str__(self) -> str:
        return f"Feedback on message {self.message_id}"
