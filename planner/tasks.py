"""Every Celery task of Between. Thin: each takes ids, calls one service, and holds no logic.

Services never import this module; they queue a task by its name through
``planner.enqueue``, whose constants name every task here. Delivery never relies on long ETAs
or countdowns: a retry is a row with a backoff time that the sweep picks up. The only
Celery-level retry is for a database hiccup, a few seconds later.
"""

from __future__ import annotations

import gc
import logging
import smtplib
from datetime import datetime

from celery import shared_task
from celery.signals import worker_init, worker_process_init
from django.db import InterfaceError, OperationalError

from planner import enqueue
from planner.breaks import services as break_services
from planner.checkins import services as checkin_services
from planner.continuity import services as continuity_services
from planner.delivery import channels, notify, outbox, pipeline
from planner.letters import services as letter_services
from planner.onboarding import services as onboarding_services
from planner.privacy import services as privacy_services

logger = logging.getLogger(__name__)


@worker_init.connect
def prepare_worker(**_kwargs: object) -> None:
    """In a worker's main process, before it starts its pool: what it loaded frozen out of
    the garbage collector's full collections, as in each pool process below (measured: the
    main process's took 75-112 ms each, freeing at most a few hundred objects). The pool
    processes it forks start with these frozen too."""
    gc.freeze()


@worker_process_init.connect
def prepare_worker_process(**_kwargs: object) -> None:
    """Once in each worker process, before its first task: the delivery's templates loaded
    (the first batch after a start no longer pays for it), then every object loaded so far
    (Django, Celery, the app) frozen out of the garbage collector's full collections, which
    otherwise walk them all and find nothing to free (measured at 100,000 prompts: four full
    collections in each worker process, 83-125 ms each, none freeing anything). A template
    that cannot be loaded is logged, not raised: the process still serves every other task,
    and a message that needs the template fails on its own, as it did before."""
    try:
        channels.load_templates()
    except Exception as exc:  # the type only: a template error can quote its source
        logger.warning("worker.templates_not_loaded error=%s", type(exc).__name__)
    gc.freeze()


@shared_task(name=enqueue.DISPATCH_SWEEP, time_limit=120, soft_time_limit=100)
def dispatch_sweep() -> int:
    """Claim due prompts and enqueue their delivery (Celery beat runs this every minute)."""
    return outbox.sweep()


@shared_task(name=enqueue.BREAKS_ADVANCE, time_limit=120, soft_time_limit=100)
def breaks_advance() -> tuple[int, int]:
    """Scheduled breaks that started become active; finished ones become completed."""
    return break_services.breaks_advance()


@shared_task(name=enqueue.LETTERS_RELEASE, time_limit=120, soft_time_limit=100)
def letters_release() -> int:
    """Letters to self that are due go into the outbox (beat runs this every minute)."""
    return letter_services.letters_release()


# The hard limit stays under the default claim lease (DISPATCH_LEASE_SECONDS=300), so a live
# task is never reaped from under itself.
@shared_task(
    name=enqueue.DELIVER_BATCH,
    time_limit=outbox.DELIVER_TIME_LIMIT,
    soft_time_limit=outbox.DELIVER_TIME_LIMIT - 40,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=5,
    max_retries=3,
)
def deliver_batch(prompt_ids: list[int], claim_token: str) -> dict:
    """Deliver one claimed batch (see planner.delivery.pipeline and outbox)."""
    summary = pipeline.deliver_batch(prompt_ids, claim_token)
    return {"prompts": summary.prompts, "attempted": summary.attempted, **summary.counts}


@shared_task(
    name=enqueue.NOTIFY_CHANNEL_OFF,
    time_limit=60,
    soft_time_limit=45,
    autoretry_for=(OSError,),
    retry_backoff=2,
    retry_backoff_max=10,
    max_retries=3,
)
def notify_channel_off(client_id: int, break_id: int | None, channel: str) -> None:
    """Tell the therapist that a channel was switched off after a permanent provider error."""
    notify.channel_off_notify(client_id=client_id, break_id=break_id, channel=channel)


@shared_task(
    name=enqueue.NOTIFY_CLIENT_ERASED,
    time_limit=60,
    soft_time_limit=45,
    autoretry_for=(privacy_services.NoticeNotSent,),
    retry_backoff=30,
    retry_backoff_max=900,
    max_retries=8,
)
def notify_client_erased(therapist_id: int, client_id: int, erased_at: str) -> None:
    """Tell the therapist, after the commit, that a client's data was erased (no name)."""
    privacy_services.erasure_notice_send(
        therapist_id=therapist_id, client_id=client_id, at=datetime.fromisoformat(erased_at)
    )


# Escalation: no automatic retries. The covering clinician's message is claimed before it is
# sent (so a redelivery never sends twice), and an unacknowledged escalation reaches the
# practice's fallback contact through the sweep whatever happened to the first message.


@shared_task(name=enqueue.ESCALATION_NOTIFY, time_limit=60, soft_time_limit=45)
def escalation_notify(escalation_id: int) -> list[str]:
    return checkin_services.escalation_notify(escalation_id=escalation_id)


@shared_task(name=enqueue.ESCALATION_REPEAT_NOTIFY, time_limit=60, soft_time_limit=45)
def escalation_repeat_notify(check_in_id: int) -> list[str]:
    """Alert again for a repeat request joined to an open escalation (claimed once)."""
    return checkin_services.escalation_repeat_notify(check_in_id=check_in_id)


@shared_task(name=enqueue.ESCALATION_FALLBACK_SWEEP, time_limit=120, soft_time_limit=100)
def escalation_fallback_sweep() -> int:
    """Beat runs this every ESCALATION_SWEEP_SECONDS (60 by default)."""
    return checkin_services.escalation_fallback_sweep()


# Onboarding emails: the link is made inside the task (never passed through the queue), so a
# retry after a transient SMTP error simply makes and sends a fresh one.
EMAIL_RETRY = {
    "autoretry_for": (OSError, smtplib.SMTPException),
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "max_retries": 3,
}


@shared_task(name=enqueue.INVITATION_SEND, time_limit=60, soft_time_limit=45, **EMAIL_RETRY)
def invitation_send(invitation_id: int) -> bool:
    """Email an invitation's link (a client, a therapist or a staff member)."""
    return onboarding_services.invitation_email_send(invitation_id=invitation_id)


@shared_task(name=enqueue.PASSWORD_RESET_SEND, time_limit=60, soft_time_limit=45, **EMAIL_RETRY)
def password_reset_send(user_id: int) -> bool:
    """Email a password reset link (Django's token, made here)."""
    return onboarding_services.password_reset_email_send(user_id=user_id)


# No retries: the inbox message is already there, and a retry could send a line twice.
@shared_task(name=enqueue.CONTINUITY_HANDOVER_NOTICE, time_limit=60, soft_time_limit=45)
def continuity_handover_notice(client_id: int) -> list[str]:
    """Tell a handed-over client, after the commit, that there is a message in Between."""
    return continuity_services.handover_notice_send(client_id=client_id)
