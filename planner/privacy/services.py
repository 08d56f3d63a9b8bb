"""A client's data stays theirs: export everything (JSON) and erase on request.

``client_erase`` removes personal data and message text but keeps the rows (statuses,
categories, timestamps) so that anonymous counts, such as prompts sent per day, survive. The
client row stays as an anonymous tombstone with ``deleted_at`` set, which every selector
already treats as gone.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.formats import date_format
from django.utils.timezone import now as current_time
from django.utils.translation import gettext as _

from core.auth import email_hash
from core.models import LoginAttempt, User
from core.tokens import revoke_tokens
from planner import audit, enqueue
from planner.breaks.validation import (
    CLIENT_FIELDS,
    PLAN_CONTENT_FIELDS,
    PLAN_LIST_FIELDS,
    SCHEDULE_FIELDS,
)
from planner.ending.blueprint import BLUEPRINT_LIST_FIELDS, COME_BACK
from planner.letters.services import delete_audio_after_commit, letters_erase
from planner.models import (
    Break,
    BreakReview,
    CheckIn,
    Client,
    ContinuityCall,
    Delivery,
    Escalation,
    InboxMessage,
    Letter,
    PromptFeedback,
    ScheduledPrompt,
    SupportItem,
)
from planner.phone.selectors import push_service_name, subscriptions_for_client
from planner.phone.services import subscriptions_erase

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "between.export.v1"


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _json(getattr(obj, name)) for name in fields}


CLIENT_EXPORT_FIELDS = ("id", *CLIENT_FIELDS, "paused_until", "created_at")
BREAK_EXPORT_FIELDS = (
    "id",
    "kind",
    "status",
    "starts_at",
    "ends_at",
    "return_session_at",
    "notice_given_at",
    *SCHEDULE_FIELDS,
    "paused_at",
    *PLAN_CONTENT_FIELDS,
    "distress_threshold",
    "escalation_enabled",
    "escalation_consent_at",
    "share_check_ins_with_covering",
    "booster_sessions",
    "follow_ups_opted_in_at",
    "checklist",
    "activated_at",
    "cancelled_at",
    "created_at",
)
PROMPT_EXPORT_FIELDS = (
    "id",
    "break_obj_id",
    "category",
    "text",
    "send_at",
    "status",
    "skip_reason",
    "sent_at",
)
INBOX_EXPORT_FIELDS = ("id", "break_obj_id", "category", "text", "delivered_at", "acknowledged_at")
CHECK_IN_EXPORT_FIELDS = (
    "id",
    "break_obj_id",
    "distress",
    "note",
    "need_support_now",
    "escalated",
    "created_at",
)
ESCALATION_EXPORT_FIELDS = (
    "id",
    "check_in_id",
    "status",
    "notified_at",
    "acknowledge_by",
    "acknowledged_at",
    "fallback_notified_at",
)
# Calls a colleague made while the therapist was absent (planner/continuity).
CALL_EXPORT_FIELDS = ("id", "called_at", "outcome", "note")
REVIEW_EXPORT_FIELDS = (
    "break_obj_id",
    "what_helped",
    "what_was_hard",
    "what_to_change",
    "submitted_at",
)


LETTER_EXPORT_FIELDS = (
    "id",
    "break_obj_id",
    "text",
    "arrival",
    "arrive_on",
    "arrives_at",
    "shared",
    "created_at",
)


def _rename_break_id(row: dict[str, Any]) -> dict[str, Any]:
    if "break_obj_id" in row:
        row["break_id"] = row.pop("break_obj_id")
    return row


def client_export(*, client: Client, actor: Any) -> dict[str, Any]:
    """Everything Between holds about this client, JSON-serialisable, in a fixed number of
    queries. Audited as ``client.exported``."""
    consents = [
        {
            "subject": record.subject,
            "granted": record.granted,
            "recorded_at": _json(record.recorded_at),
            "source": record.source,
        }
        for record in client.consents.order_by("recorded_at", "id")
    ]
    breaks = list(Break.objects.filter(client=client).order_by("starts_at", "id"))

    def rows(queryset: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        return [_rename_break_id(_row(obj, fields)) for obj in queryset]

    data = {
        "format": EXPORT_FORMAT,
        "exported_at": _json(current_time()),
        "client": _row(client, CLIENT_EXPORT_FIELDS),
        "consents": consents,
        "breaks": rows(breaks, BREAK_EXPORT_FIELDS),
        "prompts": rows(
            ScheduledPrompt.objects.filter(client=client).order_by("send_at", "id"),
            PROMPT_EXPORT_FIELDS,
        ),
        "inbox": rows(
            InboxMessage.objects.filter(client=client).order_by("delivered_at", "id"),
            INBOX_EXPORT_FIELDS,
        ),
        "check_ins": rows(
            CheckIn.objects.filter(client=client).order_by("created_at", "id"),
            CHECK_IN_EXPORT_FIELDS,
        ),
        "escalations": rows(
            Escalation.objects.filter(client=client).order_by("notified_at", "id"),
            ESCALATION_EXPORT_FIELDS,
        ),
        "reviews": rows(
            BreakReview.objects.filter(break_obj__client=client).order_by("submitted_at"),
            REVIEW_EXPORT_FIELDS,
        ),
        "calls": rows(
            ContinuityCall.objects.filter(client=client).order_by("called_at", "id"),
            CALL_EXPORT_FIELDS,
        ),
        # The devices that get push notifications (the browsers' keys are not part of it).
        "push_devices": [
            {
                "id": d.pk,
                "service": push_service_name(d),
                "endpoint": d.endpoint,
                "created_at": _json(d.created_at),
            }
            for d in subscriptions_for_client(client)
        ],
        "support_map": rows(
            SupportItem.objects.filter(client=client).order_by("position", "id"),
            ("id", "kind", "name", "needs", "when", "note", "source", "created_at"),
        ),
        "prompt_feedback": [
            {
                "message_id": row.message_id,
                "template": row.template.key if row.template is not None else "",
                "category": row.category,
                "helpful": row.helpful,
                "recorded_at": _json(row.recorded_at),
            }
            for row in PromptFeedback.objects.filter(client=client)
            .select_related("template")
            .order_by("recorded_at", "id")
        ],
        "letters": rows(
            Letter.objects.filter(client=client).order_by("created_at", "id"),
            LETTER_EXPORT_FIELDS,
        ),
    }
    audit.record(actor, "client.exported", client=client)
    return data


@transaction.atomic
def client_erase(*, client: Client, actor: Any, at: datetime | None = None) -> None:
    """Delete a client's personal data and message text; keep anonymous counts.

    One transaction. Names, email and phone go from the client and from their login (which
    is deactivated, with an unusable password, and its API tokens deleted); every plan field,
    prompt and inbox text, check-in note and review answer is blanked; live and draft breaks
    are cancelled and their unsent prompts skipped as ``client_deleted``. Rows, statuses,
    categories and timestamps stay, so delivery counts survive. The therapist is told by
    email, by a task queued after the commit, without the client's name. Erasing twice does
    nothing more.
    """
    at = at or current_time()
    # FOR NO KEY UPDATE: rows written meanwhile that refer to the client (an edit's prompts,
    # an inbox message) only need its key, so they do not wait for us while we wait for them.
    client = Client.objects.select_for_update(no_key=True).get(pk=client.pk)
    if client.deleted_at is not None:
        return
    therapist = client.therapist
    login = client.user
    old_emails = {client.email, login.email if login is not None else ""} - {""}

    # Breaks first: cancel what could still send, then blank every plan field.
    breaks = Break.objects.filter(client=client)
    breaks.filter(status__in=[Break.Status.DRAFT, *Break.LIVE_STATUSES]).update(
        status=Break.Status.CANCELLED, cancelled_at=at
    )
    blank: dict[str, Any] = {key: [] for key in PLAN_LIST_FIELDS}
    blank.update(support_contacts=[], covering_clinician=None, therapist_note="")
    blank.update({key: [] for key in BLUEPRINT_LIST_FIELDS}, **{COME_BACK: ""})
    assert set(blank) == set(PLAN_CONTENT_FIELDS)  # every field of the plan's content goes
    breaks.update(**blank, updated_at=at)
    prompts = ScheduledPrompt.objects.filter(client=client)
    prompts.filter(status__in=ScheduledPrompt.OPEN_STATUSES).update(
        status=ScheduledPrompt.Status.SKIPPED,
        skip_reason=ScheduledPrompt.SkipReason.CLIENT_DELETED,
        claimed_until=None,
        claim_token=None,
        finished_at=at,
    )
    # Provider errors can quote a phone number or an address.
    prompts.update(text="", last_error="")
    Delivery.objects.filter(prompt__client=client).update(last_error="")
    InboxMessage.objects.filter(client=client).update(text="")
    subscriptions_erase(client)  # every device's push subscription
    CheckIn.objects.filter(client=client).update(note="")
    ContinuityCall.objects.filter(client=client).update(note="")
    # The support map names people and places: it goes; the feedback holds no words of theirs.
    SupportItem.objects.filter(client=client).delete()
    # Letters to self go entirely, and so do the recordings of the therapist's notes.
    delete_audio_after_commit(letters_erase(client=client))
    BreakReview.objects.filter(break_obj__client=client).update(
        what_helped="", what_was_hard="", what_to_change=""
    )

    client.first_name = ""
    client.last_name = ""
    client.email = ""
    client.phone = ""
    client.channels = ["inbox"]
    client.full_text_opt_in = False
    client.deleted_at = at
    client.save(
        update_fields=[
            "first_name",
            "last_name",
            "email",
            "phone",
            "channels",
            "full_text_opt_in",
            "deleted_at",
        ]
    )
    if login is not None:
        _erase_login(login)
    LoginAttempt.objects.filter(email_hash__in=[email_hash(e) for e in old_emails]).delete()

    audit.record(actor, "client.erased", client=client)
    logger.info("privacy.client_erased client=%s", client.pk)
    # By a task after the commit: an SMTP server that is slow or down (20 s timeout) must not
    # hold the client's request, and the deletion stands whatever happens to the email.
    enqueue.on_commit(enqueue.NOTIFY_CLIENT_ERASED, therapist.pk, client.pk, at.isoformat())


def _erase_login(user: User) -> None:
    user.email = f"deleted-{user.pk}@invalid"
    user.first_name = ""
    user.last_name = ""
    user.phone = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "first_name", "last_name", "phone", "is_active", "password"])
    revoke_tokens(user)


class NoticeNotSent(Exception):
    """The therapist's notice could not be sent now (the task tries again). The message is
    the error's class name only: an SMTP error can quote the recipient's address."""


def erasure_notice_send(*, therapist_id: int, client_id: int, at: datetime) -> None:
    """Tell the therapist that a client's data was deleted, without the client's name.

    Run by the ``planner.notify_client_erased`` task after the erasure committed."""
    therapist = User.objects.filter(pk=therapist_id).first()
    if therapist is None or not therapist.email:
        return
    day = date_format(at, "j F Y")
    message = _(
        "A client (id %(id)s) asked for their data to be deleted; it was deleted on %(day)s."
    ) % {"id": client_id, "day": day}
    note = _("Between keeps only anonymous counts of the prompts that were sent.")
    try:
        send_mail(
            subject=_("A client's data was deleted"),
            message=f"{message}\n\n{note}\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[therapist.email],
        )
    except Exception as error:  # any SMTP failure; the erasure itself is done
        # The class name only: an SMTP error message can quote the recipient's address.
        logger.warning(
            "privacy.therapist_notice_failed client=%s error=%s", client_id, type(error).__name__
        )
        raise NoticeNotSent(type(error).__name__) from None
    logger.info("privacy.therapist_notified client=%s", client_id)
